"""The polish's objective and its moves: :class:`Balance` (dense rows) and :class:`SparseBalance` (many columns).

Each split's deviation of label composition and size from its share, the cost of moving or swapping units
between two splits, and the search for the cheapest (:class:`_SizeIndex`, :class:`_Shortlists`), used by
:class:`core.splits.stratify._repair.Repair`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._blocks import _column_split_sums, _square_sums, row_blocks, row_products
from ._cover import entries

__all__ = ["Balance", "SparseBalance", "cheapest", "POLISH_SHORTLIST"]

POLISH_SHORTLIST = 8  # units per side each exchange of the polish tries, by default

_FLOAT_COPY_ENTRIES = 1 << 24  # up to this many entries the polish keeps a float copy (fastest); beyond, 128 MiB+
_COST_CELLS = 1 << 20  # with more units x splits than this, the polish keeps shortlists, not the costs (:class:`_Shortlists`)


class Balance:
    """Per-split deviations of label composition and size, and the moves and swaps that shrink them.

    Unit u stands for the vector e_u = (y_u - rate * s_u, s_u): its label counts beyond what its
    rows would carry at the overall label rates, then its rows. Column j of ``deviation`` is
    the sum of e_u over split j minus (0, target_j): label composition off the overall rates,
    then rows off the target. Moving a summed vector d from split a to b changes the objective
    |deviation|^2 by 2 d . (D_b - D_a) + 2 |d|^2; a swap of u (in a) and v (in b) moves e_u - e_v.

    ``offset`` (optional, (L + 1, k)) is added to ``deviation``: the part of a larger table these units do not
    hold, already placed (its e summed per split); ``rate`` (optional, (L,)) replaces the units' own label rates
    (the larger table's). Both default off: the units alone.
    """

    @staticmethod
    def is_large(n_units: int, k: int, moves: bool = False) -> bool:
        """Whether the polish of ``n_units`` units among ``k`` splits takes the large form: swaps only and more
        than ``_COST_CELLS`` units x splits; it then keeps shortlists, not the costs, and no per-unit arrays.

        Examples
        --------
        >>> Balance.is_large(1_000, 5), Balance.is_large(1_000_000, 5), Balance.is_large(1_000_000, 5, moves=True)
        (False, True, False)
        """
        return not moves and n_units * k > _COST_CELLS

    def __init__(self, *, counts, sizes, assignment, targets, moves: bool, offset=None, rate=None) -> None:
        k = len(targets)
        # Many single rows: the integer counts as given (products read a block of rows at a time) and nothing of
        # length n_units is kept (y_u . rate and |y_u|^2 are computed where needed); else a float copy, the fastest
        self.large = Balance.is_large(len(assignment), k, moves)
        copy = not self.large and counts.dtype != np.float64 and counts.nnz <= _FLOAT_COPY_ENTRIES
        self.counts = counts.astype(np.float64) if copy else counts
        # many rows of one row each (a broadcast 1): a broadcast 1.0, not n_units floats
        one = self.large and sizes.strides == (0,)
        self.sizes = np.broadcast_to(np.float64(1), sizes.shape) if one else np.ascontiguousarray(sizes, dtype=np.float64)
        self.assignment = assignment
        self.moves = moves  # units of one row only swap, so that split sizes stay exact
        self.deviation = np.empty((counts.shape[1] + 1, k))  # (L + 1, k): label composition, then rows
        label = self.deviation[:-1]
        totals, norm = _column_split_sums(counts, assignment, k, norms=not self.large, out=label)  # whole numbers
        self.rate = totals / self.sizes.sum() if rate is None else np.asarray(rate, dtype=np.float64)
        del totals
        self.square = self.rate @ self.rate + 1  # |rate|^2 + 1, once (the same value every time)
        self.norm = norm  # |y_u|^2, or None
        self.by_rate = None if self.large else row_products(counts, self.rate)  # y_u . rate, or None
        split_rows = np.bincount(assignment, weights=self.sizes, minlength=k)
        step = 1 << 16  # columns at a time: no (L,) temporary (806,000 pair columns: 6 MiB)
        for j, rows in enumerate(split_rows.tolist()):  # a column at a time: no (L, k) temporary
            for lo in range(0, len(label), step):
                label[lo : lo + step, j] -= self.rate[lo : lo + step] * rows
        self.deviation[-1] = split_rows - targets
        if offset is not None:
            self.deviation += offset

    def apart(self, a: int, b: int) -> bool:
        """Whether some column is more than one unit apart between splits a and b."""
        return _apart(self.deviation[:-1, a], self.deviation[:-1, b])

    def shifts(self) -> list[float]:
        """Per split j, what a unit's pull gains per row beyond its labels: D_j's rows less rate . D_j's labels."""
        return (self.deviation[-1, :] - self.rate @ self.deviation[:-1, :]).tolist()

    def label_products(self, block) -> np.ndarray:
        """(rows, k): each of the sparse ``block``'s rows times every split's label deviation."""
        return row_products(block, self.deviation[:-1, :])

    def blocks(self):
        """The counts a block of rows at a time: (lo, hi, the rows lo..hi)."""
        for lo, hi in row_blocks(self.counts):
            yield lo, hi, self.counts[lo:hi]

    def by_rate_of(self, units: np.ndarray) -> np.ndarray:
        """y_u . rate of ``units`` (the same values whether kept or computed now: each is its own row's sum)."""
        return self.by_rate[units] if self.by_rate is not None else row_products(self.counts[units], self.rate)

    def norm_of(self, units: np.ndarray) -> np.ndarray:
        """|y_u|^2 of ``units``."""
        return self.norm[units] if self.norm is not None else _square_sums(self.counts[units])

    def rows(self, units: np.ndarray) -> np.ndarray:
        """The label counts of a few ``units`` as a dense (len(units), L) array."""
        indptr = self.counts.indptr
        starts, lengths = indptr[units], indptr[units + 1] - indptr[units]
        at = entries(starts, lengths)
        rows = np.zeros((len(units), len(self.rate)))
        rows[np.repeat(np.arange(len(units)), lengths), self.counts.indices[at]] = self.counts.data[at]
        return rows

    def pulls(self, rows, sizes, splits) -> np.ndarray:
        """(units, len(splits)): e_u . D_j for the units with label ``rows`` and ``sizes``."""
        label = self.deviation[:-1, splits]
        pull = row_products(rows, label) if sp.issparse(rows) else rows @ label
        for j, shift in enumerate((self.deviation[-1, splits] - self.rate @ label).tolist()):
            pull[:, j] += sizes * shift  # a column at a time: no (units, k) temporaries at a million units
        return pull

    def gram(self, rows, sizes, by_rate) -> np.ndarray:
        """e_u . e_v for every pair of the units with label ``rows``, ``sizes`` and y . rate."""
        cross = np.outer(by_rate, sizes)
        return rows @ rows.T - cross - cross.T + np.outer(sizes, sizes) * self.square

    def move_costs(self) -> np.ndarray:
        """(n_units, k): change of the objective if each unit alone moved to each split (inf: stays)."""
        pull = self.pulls(self.counts, self.sizes, slice(None))
        rows = np.arange(len(self.assignment))
        own = self.norm - 2 * self.sizes * self.by_rate + self.sizes**2 * self.square
        cost = pull  # in place, the same operations: 2 * (pull - pull at its own split) + 2 * own
        cost -= pull[rows, self.assignment][:, None]
        cost *= 2
        cost += 2 * own[:, None]
        cost[rows, self.assignment] = np.inf
        return cost

    def move_costs_of(self, units: np.ndarray) -> np.ndarray:
        """The rows ``units`` of :meth:`move_costs`, computed for those units only (the same arithmetic)."""
        counts = self.counts[units]
        pull = self.pulls(counts, self.sizes[units], slice(None))
        rows = np.arange(len(units))
        sizes, by_rate = self.sizes[units], self.by_rate_of(units)
        own = self.norm_of(units) - 2 * sizes * by_rate + sizes**2 * self.square
        cost = 2 * (pull - pull[rows, self.assignment[units]][:, None]) + 2 * own[:, None]
        cost[rows, self.assignment[units]] = np.inf
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

    def polish(self, max_rounds: int, until_within_one: bool = False, shortlist: int = POLISH_SHORTLIST) -> None:
        """Rounds of improving swaps (and moves) between every pair of splits, until none helps.

        With ``until_within_one``, stop as soon as every column is within one unit of its
        share in every split.
        """
        k = self.deviation.shape[1]
        for _ in range(max_rounds):
            if until_within_one and np.abs(self.deviation[:-1]).max(initial=0) < 1:
                return
            cost = _Shortlists(self, shortlist) if self.large else _CostMatrix(self.move_costs())
            improved = False
            for a in range(k):
                for b in range(a + 1, k):
                    # Swaps of one-row units change each label by at most one: none can help
                    # unless some label is more than one apart between the two splits.
                    if self.moves or self.apart(a, b):
                        improved |= self._exchange(cost, a, b, shortlist)
            if not improved:
                return

    def _exchange(self, cost, a: int, b: int, shortlist: int) -> bool:
        """Greedy exact swaps (and moves) among the units likeliest to help between splits a and b.

        The candidates' pulls and Gram matrix are exact, and updated after each step, so every
        applied step lowers the objective.
        """
        from_a = cost.cheapest(self.assignment, a, b, shortlist)
        from_b = cost.cheapest(self.assignment, b, a, shortlist)
        units = np.concatenate([from_a, from_b])
        if not len(from_a) or (not len(from_b) and not self.moves):
            return False
        sign = np.r_[np.ones(len(from_a)), -np.ones(len(from_b))]  # +1: would go a -> b
        rows, sizes = self.rows(units), self.sizes[units]
        gram = self.gram(rows, sizes, self.by_rate_of(units))
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
        sizes = _SizeIndex(self.sizes, self.assignment, k)
        while True:
            excess = self.deviation[-1]
            gap = excess[:, None] - excess[None, :]  # (k, k): a's excess over b's
            for pair in np.argsort(-gap, axis=None, kind="stable")[: k * (k - 1) // 2]:
                fuller, emptier = divmod(int(pair), k)
                if gap[fuller, emptier] > 0 and sizes.any_below(fuller, gap[fuller, emptier]):
                    break
            else:
                return
            close = sizes.nearest(fuller, gap[fuller, emptier], self.assignment)  # sizes nearest g / 2, below g
            harm = self.move_costs_of(close)[:, emptier] if len(close) > 1 else np.zeros(1)
            unit = int(close[np.argmin(harm)])
            self.transfer([unit], [1.0], fuller, emptier)
            sizes.moved(unit, fuller, emptier)


class _SizeIndex:
    """The units of each split by size, for :meth:`Balance.settle_sizes`: which sizes a split holds below a gap,
    and its units of the sizes nearest half the gap (ascending), without a pass over every unit per move."""

    def __init__(self, sizes: np.ndarray, assignment: np.ndarray, k: int) -> None:
        self.values, self.code = np.unique(sizes, return_inverse=True)
        self.code = self.code.reshape(-1)
        n_values = len(self.values)
        self.held = np.bincount(assignment * n_values + self.code, minlength=k * n_values).reshape(k, n_values)
        order = np.argsort(self.code, kind="stable")  # units by size, ascending within a size
        self.units = np.split(order, np.cumsum(np.bincount(self.code, minlength=n_values))[:-1])

    def any_below(self, split: int, gap: float) -> bool:
        """Whether ``split`` holds a unit of fewer rows than ``gap``."""
        return bool(self.held[split, : np.searchsorted(self.values, gap, side="left")].any())

    def nearest(self, split: int, gap: float, assignment: np.ndarray) -> np.ndarray:
        """The units of ``split`` smaller than ``gap`` whose size is nearest ``gap / 2``, ascending."""
        present = np.flatnonzero(self.held[split, : np.searchsorted(self.values, gap, side="left")] > 0)
        fit = np.abs(self.values[present] - gap / 2)
        best = present[fit == fit.min()]
        found = [self.units[b][assignment[self.units[b]] == split] for b in best]
        return found[0] if len(found) == 1 else np.sort(np.concatenate(found))

    def moved(self, unit: int, old: int, new: int) -> None:
        self.held[old, self.code[unit]] -= 1
        self.held[new, self.code[unit]] += 1


def _apart(first: np.ndarray, second: np.ndarray) -> bool:
    """Whether some entry of ``first`` is more than one from ``second``'s (one temporary, freed before the
    exchange: at 806,000 pair columns the gap was 6 MiB held through it)."""
    gap = first - second
    return bool(np.abs(gap, out=gap).max(initial=0) > 1)


def cheapest(units: np.ndarray, cost: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` units with the lowest cost, cheapest first."""
    if len(units) > count:
        units = units[np.argpartition(cost[units], count)[:count]]
    return units[np.argsort(cost[units], kind="stable")]


class _CostMatrix:
    """:meth:`Balance.move_costs` of a round's start, whole (up to ``_COST_CELLS`` cells)."""

    def __init__(self, matrix: np.ndarray) -> None:
        self.matrix = matrix

    def cheapest(self, assignment: np.ndarray, a: int, b: int, count: int) -> np.ndarray:
        """The ``count`` units now in split a whose move to b costs least, cheapest first."""
        return cheapest(np.flatnonzero(assignment == a), self.matrix[:, b], count)


class _Shortlists:
    """For many units: per pair of splits (a, b), the units of a whose move to b cost least at the round's
    start, kept while :meth:`Balance.move_costs` is computed a block of rows at a time (never whole: at a
    million units and 5 splits it is 40 MiB, and its temporaries more).

    Each list keeps ``count * k`` units, cheapest first (ties: lowest unit first), so that enough are left after the round's
    earlier exchanges take some out of a; units that came into a during the round are not offered.
    """

    def __init__(self, balance: Balance, count: int) -> None:
        k = balance.deviation.shape[1]
        keep = count * k
        shift = balance.shifts()
        square = balance.rate @ balance.rate + 1
        found = {(a, b): [] for a in range(k) for b in range(k) if a != b}
        for lo, hi, block in balance.blocks():
            sizes = balance.sizes[lo:hi]
            cost = balance.label_products(block)
            for j in range(k):
                cost[:, j] += sizes * shift[j]
            home = balance.assignment[lo:hi]
            rows = np.arange(hi - lo)
            own = _square_sums(block) - 2 * sizes * row_products(block, balance.rate) + sizes**2 * square
            cost -= cost[rows, home][:, None]
            cost *= 2
            cost += 2 * own[:, None]
            for a in range(k):
                members = np.flatnonzero(home == a)
                for b in range(k):
                    if b != a and len(members):
                        found[a, b].append(_lowest(members + lo, cost[members, b], keep))
                        # Every 8 blocks, merge to the lowest ``keep`` of what is kept so far (the same lowest in the
                        # end): a list holds at most 8 x keep units, not keep per block of every row, and a merge
                        # (a lexsort of 8 x keep) comes once per 8 blocks. 8 is a margin, not a tuned figure.
                        if len(found[a, b]) >= 8:
                            found[a, b] = [_merged(found[a, b], keep)]
        self.lists = {pair: _merged(parts, keep)[0] for pair, parts in found.items()}

    def cheapest(self, assignment: np.ndarray, a: int, b: int, count: int) -> np.ndarray:
        """The ``count`` cheapest units of the (a, b) list still in split a, cheapest first."""
        units = self.lists.get((a, b), np.zeros(0, dtype=np.int64))
        return units[assignment[units] == a][:count]


def _merged(parts: list, keep: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``keep`` units of lowest (cost, unit) among ``parts`` of (units, costs), cheapest first, with their costs."""
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    units = np.concatenate([units for units, _ in parts])
    costs = np.concatenate([costs for _, costs in parts])
    order = np.lexsort((units, costs))[:keep]
    return units[order], costs[order]


def _lowest(units: np.ndarray, cost: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` units of lowest cost and their costs (which of equal costs: as ``np.argpartition`` picks)."""
    if len(units) > count:
        pick = np.argpartition(cost, count)[:count]
        return units[pick], cost[pick]
    return units, cost


class SparseBalance(Balance):
    """:class:`Balance` for many columns (labels and pairs): a few units' rows stay sparse.

    The exact swap search reads each candidate's row; with 100,000 pair columns a dense row per
    candidate would cost more than the whole deal, so rows, their Gram matrix and their pulls are
    sparse products here. Same objective, same moves.
    """

    labels: np.ndarray | None = None  # with every pair column on two units or more: which columns are labels

    def rows(self, units: np.ndarray) -> sp.csr_matrix:
        return self.counts[units].astype(np.float64)

    def shared(self, rows: sp.csr_matrix) -> np.ndarray:
        """``rows @ rows.T`` of a few 0/1 rows: their common columns. With ``labels`` set (single 0/1 rows whose
        pair columns are exactly the label pairs on two units or more), from the labels alone: two rows with
        m labels in common share exactly the m (m - 1) / 2 pairs of them (each such pair is on both, so kept),
        and a row's own entries are its diagonal. The same whole numbers, in a fraction of the time."""
        if self.labels is None:
            return (rows @ rows.T).toarray()
        n = rows.shape[0]
        owner = np.repeat(np.arange(n), np.diff(rows.indptr))
        mine = self.labels[rows.indices]
        indptr = np.r_[0, np.cumsum(np.bincount(owner[mine], minlength=n))]
        labels = sp.csr_matrix((np.ones(int(mine.sum())), rows.indices[mine], indptr), shape=rows.shape)
        common = (labels @ labels.T).toarray()  # a sparse product of the labels only: no BLAS threads
        shared = common + common * (common - 1) / 2
        np.fill_diagonal(shared, np.bincount(owner, weights=rows.data * rows.data, minlength=n))
        return shared

    def transfer(self, units, signs, a: int, b: int) -> None:
        """:meth:`Balance.transfer`, the dense rate term once per split and only when the rows moved do not cancel
        (a swap of two single rows leaves it as it was): each unit's own columns cost its entries only."""
        moved = 0.0  # rows going from a to b
        for unit, sign in zip(units, signs, strict=True):
            lo, hi = self.counts.indptr[unit], self.counts.indptr[unit + 1]
            columns, data = self.counts.indices[lo:hi], self.counts.data[lo:hi]
            self.deviation[columns, a] -= sign * data
            self.deviation[columns, b] += sign * data
            moved += sign * self.sizes[unit]
            self.assignment[unit] = b if sign > 0 else a
        if moved:
            self.deviation[:-1, a] += moved * self.rate
            self.deviation[:-1, b] -= moved * self.rate
            self.deviation[-1, a] -= moved
            self.deviation[-1, b] += moved

    def gram(self, rows, sizes, by_rate) -> np.ndarray:
        cross = np.outer(by_rate, sizes)
        return self.shared(rows) - cross - cross.T + np.outer(sizes, sizes) * self.square
