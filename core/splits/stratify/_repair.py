"""Repairs after the deal of :func:`core.splits.stratify.stratify`: polish, settle sizes, cover rare columns.

* :func:`polish`: a local search of exact best swaps (and, for groups, moves) between every
  pair of splits, among the few units whose move helps most, reducing the squared deviation of
  every split's label composition and size (:class:`Balance`).
* :meth:`Balance.settle_sizes`: groups are moved between splits until no single move brings two
  splits nearer their shares of the rows; every split is then within one unit's size of its share
  (of ``fractions * rows`` itself, not of a rounded target).
* :func:`cover_rare_columns`: a label with at least k units that some split lacks gets a unit
  swapped in, without taking any split further from its share than the settling allows. On tiny
  inputs of single rows, gaps the swaps leave get :func:`exact_cover`, a bounded exact search.

Hand-written because no library offers this (see :mod:`core.splits.stratify._engine`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["polish", "Balance", "may_lack", "cover_rare_columns", "exact_cover"]

_POLISH_MAX_ROUNDS = 500
_POLISH_MIN_ROUNDS = 3
_POLISH_WORK = 200_000_000  # polish rounds stop at about this many sparse multiply-adds in all
_COVER_GIVERS = 256  # units tried as the giver of one missing column
_EXACT_MAX_UNITS = 48  # up to this many single rows, gaps the swaps leave get an exact search
_EXACT_BUDGET = 3_000  # search steps of that exact search (about 70 ms at most)


def polish(counts, is_label, assignment, demand, sizes, goal, weighted) -> bool:
    """Improve ``assignment`` in place by swaps (and moves, for groups); whether it ran.

    Single rows are polished only when the deal left a label a whole unit off its share, and
    only on the labels (not pairs), until every label is within one unit. Groups are always
    polished on every column and size, then settled to within one unit's size of ``goal``, the
    rows each split should hold.
    """
    if not weighted and np.abs(demand[is_label]).max(initial=0.0) < 1:
        return False
    scored = counts if weighted else counts[:, np.flatnonzero(is_label)]
    balance = Balance(scored, sizes, assignment, goal, moves=weighted)
    work = len(goal) * (counts.nnz + counts.shape[0])
    balance.polish(max(_POLISH_MIN_ROUNDS, min(_POLISH_MAX_ROUNDS, _POLISH_WORK // work)), until_within_one=not weighted)
    if weighted:
        balance.settle_sizes()
    return True


class Balance:
    """Per-split deviations of label composition and size, and the moves and swaps that shrink them.

    Unit u stands for the vector e_u = (y_u - rate * s_u, s_u): its label counts beyond what its
    rows would carry at the overall label rates, then its rows. Column j of ``deviation`` is
    the sum of e_u over split j minus (0, target_j): label composition off the overall rates,
    then rows off the target. Moving a summed vector d from split a to b changes the objective
    |deviation|^2 by 2 d . (D_b - D_a) + 2 |d|^2; a swap of u (in a) and v (in b) moves e_u - e_v.
    """

    def __init__(self, counts, sizes, assignment, targets, moves: bool) -> None:
        self.counts = counts.astype(np.float64)
        self.sizes = sizes.astype(np.float64)
        self.assignment = assignment
        self.moves = moves  # units of one row only swap, so that split sizes stay exact
        k = len(targets)
        self.rate = self.counts.sum(axis=0).A1 / self.sizes.sum()
        self.by_rate = self.counts @ self.rate  # y_u . rate
        split_rows = np.bincount(assignment, weights=self.sizes, minlength=k)
        onehot = sp.csr_matrix(
            (np.ones(len(assignment)), (np.arange(len(assignment)), assignment)), shape=(len(assignment), k)
        )
        label = (self.counts.T @ onehot).toarray() - self.rate[:, None] * split_rows[None, :]
        self.deviation = np.vstack([label, split_rows - targets])  # (L + 1, k)
        self.norm = self.counts.multiply(self.counts).sum(axis=1).A1  # |y_u|^2

    def rows(self, units: np.ndarray) -> np.ndarray:
        """The label counts of a few ``units`` as a dense (len(units), L) array."""
        indptr = self.counts.indptr
        starts, lengths = indptr[units], indptr[units + 1] - indptr[units]
        at = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        rows = np.zeros((len(units), len(self.rate)))
        rows[np.repeat(np.arange(len(units)), lengths), self.counts.indices[at]] = self.counts.data[at]
        return rows

    def pulls(self, rows, sizes, splits) -> np.ndarray:
        """(units, len(splits)): e_u . D_j for the units with label ``rows`` and ``sizes``."""
        label = self.deviation[:-1, splits]
        return rows @ label + sizes[:, None] * (self.deviation[-1, splits] - self.rate @ label)[None, :]

    def gram(self, rows, sizes, by_rate) -> np.ndarray:
        """e_u . e_v for every pair of the units with label ``rows``, ``sizes`` and y . rate."""
        cross = np.outer(by_rate, sizes)
        return rows @ rows.T - cross - cross.T + np.outer(sizes, sizes) * (self.rate @ self.rate + 1)

    def move_costs(self) -> np.ndarray:
        """(n_units, k): change of the objective if each unit alone moved to each split (inf: stays)."""
        pull = self.pulls(self.counts, self.sizes, slice(None))
        rows = np.arange(len(self.assignment))
        own = self.norm - 2 * self.sizes * self.by_rate + self.sizes**2 * (self.rate @ self.rate + 1)
        cost = 2 * (pull - pull[rows, self.assignment][:, None]) + 2 * own[:, None]
        cost[rows, self.assignment] = np.inf
        return cost

    def transfer(self, units, signs, a: int, b: int) -> None:
        """Move ``units`` with sign +1 from split a to b, and with sign -1 from b to a."""
        for unit, sign in zip(units, signs, strict=True):
            lo, hi = self.counts.indptr[unit], self.counts.indptr[unit + 1]
            for split, direction in ((a, -sign), (b, sign)):
                self.deviation[self.counts.indices[lo:hi], split] += direction * self.counts.data[lo:hi]
                self.deviation[:-1, split] -= direction * self.sizes[unit] * self.rate
                self.deviation[-1, split] += direction * self.sizes[unit]
            self.assignment[unit] = b if sign > 0 else a

    def polish(self, max_rounds: int, until_within_one: bool = False, shortlist: int = 8) -> None:
        """Rounds of improving swaps (and moves) between every pair of splits, until none helps.

        With ``until_within_one``, stop as soon as every column is within one unit of its
        share in every split.
        """
        k = self.deviation.shape[1]
        for _ in range(max_rounds):
            if until_within_one and np.abs(self.deviation[:-1]).max(initial=0) < 1:
                return
            cost = self.move_costs()
            improved = False
            for a in range(k):
                for b in range(a + 1, k):
                    # Swaps of one-row units change each label by at most one: none can help
                    # unless some label is more than one apart between the two splits.
                    gap = self.deviation[:-1, a] - self.deviation[:-1, b]
                    if self.moves or np.abs(gap).max(initial=0) > 1:
                        improved |= self._exchange(cost, a, b, shortlist)
            if not improved:
                return

    def _exchange(self, cost, a: int, b: int, shortlist: int) -> bool:
        """Greedy exact swaps (and moves) among the units likeliest to help between splits a and b.

        The candidates' pulls and Gram matrix are exact, and updated after each step, so every
        applied step lowers the objective.
        """
        from_a = cheapest(np.flatnonzero(self.assignment == a), cost[:, b], shortlist)
        from_b = cheapest(np.flatnonzero(self.assignment == b), cost[:, a], shortlist)
        units = np.concatenate([from_a, from_b])
        if not len(from_a) or (not len(from_b) and not self.moves):
            return False
        sign = np.r_[np.ones(len(from_a)), -np.ones(len(from_b))]  # +1: would go a -> b
        rows, sizes = self.rows(units), self.sizes[units]
        gram = self.gram(rows, sizes, self.by_rate[units])
        pull = self.pulls(rows, sizes, [a, b])
        free = np.ones(len(units), dtype=bool)
        na = len(from_a)
        changed = False
        while True:
            move = 2 * sign * (pull[:, 1] - pull[:, 0]) + 2 * np.diag(gram)
            move[~free] = np.inf
            swap = move[:na, None] + move[None, na:] - 4 * gram[:na, na:]
            chosen = np.unravel_index(np.argmin(swap), swap.shape) if swap.size else None
            best = swap[chosen] if chosen is not None else np.inf
            picked = [chosen[0], na + chosen[1]] if chosen is not None else []
            if self.moves and move.min() < best:
                best, picked = move.min(), [int(np.argmin(move))]
            if not best < -1e-9:
                return changed
            picked = np.array(picked)
            self.transfer(units[picked], sign[picked], a, b)
            shift = gram[:, picked] @ sign[picked]
            pull[:, 0] -= shift
            pull[:, 1] += shift
            free[picked] = False
            changed = True

    def settle_sizes(self) -> None:
        """Move units between splits until no single move narrows the size gap of two splits.

        A unit of s rows moved from split a to split b narrows their gap g = x_a - x_b (rows
        over the goal) when s < g; the pair with the widest gap goes first, and the unit nearest
        g / 2 (then the least harm to the labels) moves. Every move lowers the sum of squared
        excesses, so this ends; it ends with the fuller split of every pair holding no unit
        smaller than their gap: no group sits where another split could take it and bring both
        nearer their goals. As the excesses sum to 0, every split is then within the largest
        unit's size of its goal.
        """
        k = self.deviation.shape[1]
        while True:
            excess = self.deviation[-1]
            gap = excess[:, None] - excess[None, :]  # (k, k): a's excess over b's
            for pair in np.argsort(-gap, axis=None, kind="stable")[: k * (k - 1) // 2]:
                fuller, emptier = divmod(int(pair), k)
                members = np.flatnonzero((self.assignment == fuller) & (self.sizes < gap[fuller, emptier]))
                if gap[fuller, emptier] > 0 and len(members):
                    break
            else:
                return
            fit = np.abs(self.sizes[members] - gap[fuller, emptier] / 2)
            close = members[fit == fit.min()]
            harm = self.move_costs()[close, emptier] if len(close) > 1 else np.zeros(1)
            self.transfer([int(close[np.argmin(harm)])], [1.0], fuller, emptier)


def cheapest(units: np.ndarray, cost: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` units with the lowest cost, cheapest first."""
    if len(units) > count:
        units = units[np.argpartition(cost[units], count)[:count]]
    return units[np.argsort(cost[units], kind="stable")]


# ---------------------------------------------------------------------------------------------
# every split gets every column that has at least k units


def may_lack(totals, is_label, demand, shares, targets) -> bool:
    """After a deal of 0/1 rows (``totals`` units per column): whether some label with at least k
    units is absent from a split."""
    held = np.rint(totals[:, None] * shares[None, :] - demand)  # (L, k): the share minus the demand left
    required = is_label & (held.sum(axis=1) >= len(shares))
    return bool((held[required][:, targets > 0] == 0).any())


def cover_rare_columns(counts, is_label, assignment, sizes, targets, goal, shuffle, band) -> None:
    """Swap a unit in wherever a label with at least k units is missing from a split.

    ``targets`` are the rounded row targets (a split with none needs no label), ``goal`` the rows
    each split should hold. A swap keeps every split within ``band`` rows of its goal (0: equal
    sizes only). When no
    swap fills the gap without opening another, one that opens a single other gap is taken and
    that gap queued, up to a fixed number of steps.
    """
    k = len(targets)
    entry_split = np.repeat(assignment, np.diff(counts.indptr))
    held = np.bincount(counts.indices * k + entry_split, minlength=counts.shape[1] * k).reshape(-1, k)
    required = is_label & (held.sum(axis=1) >= k)  # held: (L, k) units with each column per split
    missing = [tuple(pair) for pair in np.argwhere(required[:, None] & (held == 0) & (targets > 0)[None, :])]
    if not missing:
        return
    present = sp.csr_matrix((np.ones(counts.nnz, dtype=np.int64), counts.indices, counts.indptr), shape=counts.shape)
    by_column = present.tocsc()
    excess = np.bincount(assignment, weights=sizes, minlength=k) - goal
    steps = 10 * len(missing) + 10
    while missing and steps:
        column, split = missing.pop(0)
        steps -= 1
        if held[column, split] == 0:
            args = (present, by_column, held, required, assignment, sizes, shuffle, excess, band)
            missing += swap_in(*args, int(column), int(split))
    left = required[:, None] & (held == 0) & (targets > 0)[None, :]
    if left.any() and len(assignment) <= _EXACT_MAX_UNITS and (sizes == 1).all():
        found = exact_cover(present, required, assignment, targets)
        if found is not None:
            assignment[:] = found


def exact_cover(present, required, assignment, targets, budget: int = _EXACT_BUDGET) -> np.ndarray | None:
    """A split of single rows with exactly ``targets`` rows per split in which every ``required`` column
    is in every split with a target, as near ``assignment`` as the search finds; None if there is none
    (or none within ``budget`` search steps).

    Depth-first, rows that hold the rarest required columns first, each row trying its current split
    first, so a found split keeps most rows where they were. Tiny inputs only: one-unit swaps miss
    splits that need a rotation of three rows or more, and only there can exact sizes and full
    coverage be hard to reconcile.
    """
    k = len(targets)
    columns = np.flatnonzero(required)
    rarity = {int(c): i for i, c in enumerate(columns[np.argsort(present[:, columns].sum(axis=0).A1, kind="stable")])}
    rows = [
        frozenset(int(c) for c in present.indices[present.indptr[u] : present.indptr[u + 1]] if required[c])
        for u in range(len(assignment))
    ]
    order = sorted(range(len(rows)), key=lambda u: min((rarity[c] for c in rows[u]), default=len(rarity)))
    room = [int(t) for t in targets]
    lacking = [set(rarity) if room[j] > 0 else set() for j in range(k)]
    chosen = np.array(assignment, copy=True)
    steps = [budget]
    unplaced = {c: sum(c in row for row in rows) for c in rarity}  # rows still to place that hold c

    def place(i: int) -> bool:
        if any(lacking[j] and room[j] == 0 for j in range(k)):
            return False
        if i == len(order):
            return not any(lacking)
        if any(sum(c in lack for lack in lacking) > unplaced[c] for c in rarity):
            return False  # more splits lack c than rows with c are left to place
        steps[0] -= 1
        if steps[0] < 0:
            return False
        unit = order[i]
        for c in rows[unit]:
            unplaced[c] -= 1
        tried = set()
        for j in sorted(range(k), key=lambda j: (j != assignment[unit], -room[j])):
            state = (room[j], frozenset(lacking[j]))
            if room[j] == 0 or state in tried:  # splits alike so far: trying one of them is enough
                continue
            tried.add(state)
            gained = lacking[j] & rows[unit]
            room[j] -= 1
            lacking[j] -= gained
            chosen[unit] = j
            if place(i + 1):
                return True
            room[j] += 1
            lacking[j] |= gained
        for c in rows[unit]:
            unplaced[c] += 1
        return False

    return chosen if place(0) else None


def swap_in(present, by_column, held, required, assignment, sizes, shuffle, excess, band, column, split) -> list:
    """Move a unit holding ``column`` into ``split``, in exchange for one of its units (or none).

    The giver comes from a split with two or more of the column; sizes stay within ``band`` of
    the goal (``excess`` is each split's rows minus its goal). Preferred: the exchange that
    leaves no split without a required column it had, then the one that takes the two splits'
    sizes least far from their goals (the rise in their squared excess), then the taker with the
    fewest labels. An exchange that leaves one such gap is taken only if none leaves none.
    Givers are tried in turn (at most ``_COVER_GIVERS``) until one costs no size at all, so a
    big group is not pushed into a small split while a small one could go. Returns the gaps it
    opened.
    """
    holders = by_column.indices[by_column.indptr[column] : by_column.indptr[column + 1]]
    holders = holders[held[column, assignment[holders]] >= 2]
    per_row = np.append(np.diff(present.indptr), 0)  # the last entry stands for "no taker"
    holders = holders[np.lexsort((shuffle[holders], per_row[holders], -held[column, assignment[holders]]))]
    takers = np.append(np.flatnonzero(assignment == split), -1)
    starts, lengths = np.append(present.indptr[:-1], 0)[takers], per_row[takers]
    at = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    taker_columns = present.indices[at]  # the takers' columns, row after row
    owner = np.repeat(np.arange(len(takers)), lengths)
    sole = required[taker_columns] & (held[taker_columns, split] == 1)  # the taker is its split's only one
    shuffled = np.append(shuffle, -1)[takers]
    limit = band + 1e-9  # the goal may be fractional
    best = None  # (gaps opened, size harm, giver, taker position)
    for giver in holders[:_COVER_GIVERS]:
        source = int(assignment[giver])
        flow = sizes[giver] - np.append(sizes, 0)[takers]  # rows going from source to split
        fits = (np.abs(excess[source] - flow) <= limit) & (np.abs(excess[split] + flow) <= limit)
        harm = 2 * flow * (flow - (excess[source] - excess[split]))  # rise of the two squared excesses
        giver_columns = present.indices[present.indptr[giver] : present.indptr[giver + 1]]
        giver_sole = giver_columns[required[giver_columns] & (held[giver_columns, source] == 1)]
        opened = np.bincount(owner[sole & ~np.isin(taker_columns, giver_columns)], minlength=len(takers))
        opened += len(giver_sole) - np.bincount(owner[np.isin(taker_columns, giver_sole)], minlength=len(takers))
        options = np.flatnonzero(fits & (opened <= 1))
        if not len(options):
            continue
        choice = options[np.lexsort((shuffled[options], lengths[options], harm[options], opened[options]))[0]]
        if best is None or (opened[choice], harm[choice]) < best[:2]:
            best = (opened[choice], harm[choice], giver, choice)
        if best[0] == 0 and best[1] <= 1e-9:
            break
    if best is None:
        return []
    _, _, giver, choice = best
    source, taker = int(assignment[giver]), int(takers[choice])
    for unit, old, new in ((giver, source, split), (taker, split, source)):
        if unit >= 0:
            cols = present.indices[present.indptr[unit] : present.indptr[unit + 1]]
            held[cols, old] -= 1
            held[cols, new] += 1
            assignment[unit] = new
            excess[old] -= sizes[unit]
            excess[new] += sizes[unit]
    gaps = np.argwhere(required[:, None] & (held == 0))
    return [(int(c), int(j)) for c, j in gaps if j in (source, split)]
