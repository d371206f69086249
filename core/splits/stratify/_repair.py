"""Repairs after the deal of :func:`core.splits.stratify.stratify`: polish, settle sizes, cover rare columns.

A :class:`Repair` holds one deal (the split of every unit, what each column still lacks) with
what it must keep (the rows each split should hold, how far they may stray, the random rank of
every unit), and improves the deal in place:

* :meth:`Repair.polish`: a local search of exact best swaps (and, for groups, moves) between
  every pair of splits, among the few units whose move helps most, reducing the squared
  deviation of every split's label composition and size (:class:`Balance`).
* :meth:`Balance.settle_sizes`: groups are moved between splits until no single move brings two
  splits nearer their shares of the rows; every split is then within one unit's size of its share
  (of ``fractions * rows`` itself, not of a rounded target).
* :meth:`Repair.cover_rare_columns`: a label with at least k units that some split lacks gets a
  unit swapped in (:mod:`core.splits.stratify._cover`), without taking any split further from its share than
  the settling allows. On tiny inputs of single rows, gaps the swaps leave get
  :func:`exact_cover`, a bounded exact search.

Hand-written because no library offers this (see :mod:`core.splits.stratify._engine`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._cover import _Cover, entries, exact_cover
from ._deal import column_counts

__all__ = ["Repair", "Balance", "SparseBalance", "may_lack"]

_POLISH_MAX_ROUNDS = 500
_POLISH_MIN_ROUNDS = 3
_POLISH_WORK = 200_000_000  # polish rounds stop at about this many sparse multiply-adds in all
_PAIR_POLISH_WORK = 150_000  # the pair polish: rounds of about this many multiply-adds in all
_PAIR_SHORTLIST = 32
_DENSE_ROW_COLUMNS = 4096  # up to this many columns, the pair polish reads candidates' rows dense  # units per side tried in each exchange of the pair polish
_EXACT_MAX_UNITS = 48  # up to this many single rows, gaps the swaps leave get an exact search
_BLOCK_ENTRIES = 1 << 18  # sparse products read the counts this many entries at a time (a float copy: 2 MiB)
_FLOAT_COPY_ENTRIES = 1 << 24  # up to this many entries the polish keeps a float copy (fastest); beyond, 128 MiB+
_SPLIT_CELLS = 1 << 21  # split_counts with more columns x splits goes one split at a time (less memory)
_COST_CELLS = 1 << 20  # with more units x splits than this, the polish keeps shortlists, not the costs (:class:`_Shortlists`)


@dataclass(kw_only=True, eq=False)
class Repair:
    """A deal of units to splits, and the repairs that improve it in place: polish, then cover.

    Parameters
    ----------
    counts : scipy.sparse.csr_matrix, shape (n_units, L)
        The units' counts per column (labels, and with ``order=2`` label pairs), in canonical order.
    is_label : ndarray of bool, shape (L,)
        Which columns are labels (not pairs): the polish of single rows and the cover look at these.
    sizes : ndarray of int, shape (n_units,)
        Rows per unit.
    targets : ndarray of int, shape (k,)
        The rounded rows per split; a split with none needs no label.
    goal : ndarray of float, shape (k,)
        The rows each split should hold: ``targets`` for single rows, ``fractions * rows`` for groups.
    band : int
        Rows a split may stray from its ``goal`` in the cover (0: the sizes stay exact).
    weighted : bool
        Units differ in size or count above 1: polish every column and size, then settle sizes.
    shuffle : ndarray of int, shape (n_units,)
        A random rank per unit; breaks the cover's remaining ties.
    assignment : ndarray of int64, shape (n_units,)
        The split of every unit. The repairs change it in place.
    demand : ndarray, shape (L, k)
        Per column and split, its share minus what the deal gave it (stale once the polish ran).

    Examples
    --------
    >>> counts = sp.csr_matrix(np.array([[1, 0], [1, 0], [0, 1], [0, 1]]))
    >>> repair = Repair(
    ...     counts=counts, is_label=np.ones(2, dtype=bool), sizes=np.ones(4, dtype=np.int64),
    ...     targets=np.array([2, 2]), goal=np.array([2.0, 2.0]), band=0, weighted=False,
    ...     shuffle=np.arange(4), assignment=np.array([0, 0, 1, 1]), demand=np.array([[1.0, -1.0], [-1.0, 1.0]]),
    ... )
    >>> repair.polish(), repair.assignment.tolist()
    (True, [1, 0, 0, 1])
    """

    counts: sp.csr_matrix
    is_label: np.ndarray
    sizes: np.ndarray
    targets: np.ndarray
    goal: np.ndarray
    band: int
    weighted: bool
    shuffle: np.ndarray
    assignment: np.ndarray
    demand: np.ndarray

    def polish(self) -> bool:
        """Improve the assignment by swaps (and moves, for groups); whether it ran.

        Single rows are polished only when the deal left a label a whole unit off its share, and
        only on the labels (not pairs), until every label is within one unit. Groups are always
        polished on every column and size, then settled to within one unit's size of ``goal``.
        """
        if not self.weighted and np.abs(self.demand[self.is_label]).max(initial=0.0) < 1:
            return False
        every = self.weighted or bool(self.is_label.all())  # else the labels only: a copy without the pairs
        scored = self.counts if every else self._labels_only()
        balance = Balance(counts=scored, sizes=self.sizes, assignment=self.assignment, targets=self.goal, moves=self.weighted)
        balance.polish(self._polish_rounds(), until_within_one=not self.weighted)
        if self.weighted:
            balance.settle_sizes()
        return True

    def polish_pairs(self, min_rounds: int = 0, shortlist: int = _PAIR_SHORTLIST, kept_pairs: bool = False) -> bool:
        """Polish single rows on every column, labels and label pairs alike; whether any swap was taken.

        The swaps of :meth:`polish`, scored on the pairs too, for about ``_PAIR_POLISH_WORK``
        multiply-adds in all and at least ``min_rounds`` rounds. Small sparse inputs get it in full
        (medical, 978 rows x 45 labels, 5 folds, seeds 0-2: LPD 2.14e-3 -> 2.00e-3, LD 1.90e-3 ->
        1.88e-3); larger ones with few pairs (yeast, the 100,000 x 50 bench set) get none, as their
        deal already balances the pairs; with many pairs the engine asks for one round of a longer
        ``shortlist`` (delicious, seeds 0-2: LPD 2.177e-4 -> 2.135e-4, where two rounds of 32 reach
        2.142e-4 in more time). With many columns the candidates' rows stay sparse (:class:`SparseBalance`).
        """
        work = len(self.goal) * (self.counts.nnz + self.counts.shape[0])
        rounds = max(min_rounds, min(_POLISH_MAX_ROUNDS, _PAIR_POLISH_WORK // work))
        if not rounds:
            return False
        before = self.assignment.copy()
        kind = SparseBalance if self.counts.shape[1] > _DENSE_ROW_COLUMNS else Balance
        balance = kind(counts=self.counts, sizes=self.sizes, assignment=self.assignment, targets=self.goal, moves=False)
        if kept_pairs and kind is SparseBalance:
            balance.labels = self.is_label
        balance.polish(rounds, shortlist=shortlist)
        return not np.array_equal(before, self.assignment)

    def polish_pairs_and_cover(
        self, min_rounds: int = 0, shortlist: int = _PAIR_SHORTLIST, gaps: int | None = None, kept_pairs: bool = False
    ) -> None:
        """:meth:`polish_pairs`, then :meth:`cover_rare_columns`; the split from before both is kept
        when they leave more (label, split) gaps than it had (the pair polish does not look at them).
        ``gaps``: those of the split now, if known (:meth:`cover_rare_columns` returns them). ``kept_pairs``:
        the pair columns are exactly the label pairs on two units or more (:meth:`SparseBalance.shared`)."""
        kept, gaps = self.assignment.copy(), self.gaps() if gaps is None else gaps
        if self.polish_pairs(min_rounds, shortlist, kept_pairs) and self.cover_rare_columns() > gaps:
            self.assignment[:] = kept

    def gaps(self) -> int:
        """How many (label, split) pairs lack a label with at least k units (splits with a target only)."""
        held = self._held()
        required = self.is_label & (held.sum(axis=1) >= len(self.targets))
        return int(_lacking(held, required, self.targets).sum())

    def _polish_rounds(self) -> int:
        """Rounds of the polish: about ``_POLISH_WORK`` sparse multiply-adds in all, within bounds."""
        work = len(self.goal) * (self.counts.nnz + self.counts.shape[0])
        return max(_POLISH_MIN_ROUNDS, min(_POLISH_MAX_ROUNDS, _POLISH_WORK // work))

    def may_lack(self, shares: np.ndarray) -> bool:
        """Whether the deal (before any polish) may have left a label with k units out of a split."""
        totals = column_counts(self.counts.indices, self.counts.shape[1])
        return may_lack(totals=totals, is_label=self.is_label, demand=self.demand, shares=shares, targets=self.targets)

    def cover_rare_columns(self) -> int:
        """Swap a unit in wherever a label with at least k units is missing from a split; the gaps left
        (as :meth:`gaps` counts them).

        A swap keeps every split within ``band`` rows of its ``goal``. When no swap fills a gap
        without opening another, one that opens a single other gap is taken and that gap queued,
        up to a fixed number of steps (:meth:`_Cover.fill`). On tiny inputs of single rows, gaps
        left get :func:`exact_cover`.

        Examples
        --------
        Label 0 is on two rows, both in split 0; a swap gives split 1 one of them:

        >>> repair = Repair(
        ...     counts=sp.csr_matrix(np.array([[1, 0], [1, 1], [0, 1], [0, 1]])), is_label=np.ones(2, dtype=bool),
        ...     sizes=np.ones(4, dtype=np.int64), targets=np.array([2, 2]), goal=np.array([2.0, 2.0]), band=0,
        ...     weighted=False, shuffle=np.arange(4), assignment=np.array([0, 0, 1, 1]), demand=np.zeros((2, 2)),
        ... )
        >>> repair.cover_rare_columns()
        0
        >>> repair.assignment.tolist()
        [1, 0, 0, 1]
        """
        held = self._held()
        required = self.is_label & (held.sum(axis=1) >= len(self.targets))
        missing = [tuple(pair) for pair in np.argwhere(_lacking(held, required, self.targets))]
        if not missing:
            return 0
        cover = _Cover.start(self, held=held, required=required)
        cover.fill(missing)
        left = int(_lacking(cover.held, cover.required, self.targets).sum())  # ``held`` follows every swap
        if left and self._tiny():
            found = exact_cover(present=cover.present, required=required, assignment=self.assignment, targets=self.targets)
            if found is not None:
                self.assignment[:] = found
                left = self.gaps()
        return left

    def _held(self) -> np.ndarray:
        """(L, k): the units holding each column, per split; with pair columns, only the labels' rows are
        counted (the pairs' stay 0: the cover and the gaps read labels only)."""
        k = len(self.targets)
        if self.is_label.all():
            return split_counts(self.counts, self.assignment, k)
        held = np.zeros((self.counts.shape[1], k), dtype=np.int64)
        held[self.is_label] = split_counts(self._labels_only(), self.assignment, k)
        return held

    def _labels_only(self) -> sp.csr_matrix:
        """The label columns of ``counts`` (as ``counts[:, labels]``: the same entries in the same order),
        made once: the label polish, the gaps and the cover read it."""
        if getattr(self, "_labels", None) is None:
            counts = self.counts
            keep = self.is_label[counts.indices]
            indptr = _kept_indptr(counts.indptr, keep)
            number = np.cumsum(self.is_label) - 1
            self._labels = sp.csr_matrix(
                (counts.data[keep], number[counts.indices[keep]].astype(np.int32), indptr),
                shape=(counts.shape[0], int(self.is_label.sum())),
            )
        return self._labels

    def _tiny(self) -> bool:
        """Few enough single rows for :func:`exact_cover`."""
        return len(self.assignment) <= _EXACT_MAX_UNITS and bool((self.sizes == 1).all())


def _lacking(held: np.ndarray, required: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """(L, k): the required columns a split with a target holds no unit of."""
    return required[:, None] & (held == 0) & (targets > 0)[None, :]


def may_lack(*, totals, is_label, demand, shares, targets) -> bool:
    """After a deal of 0/1 rows (``totals`` units per column): whether some label with at least k
    units is absent from a split."""
    held = np.rint(totals[:, None] * shares[None, :] - demand)  # (L, k): the share minus the demand left
    required = is_label & (held.sum(axis=1) >= len(shares))
    return bool((held[required][:, targets > 0] == 0).any())


class Balance:
    """Per-split deviations of label composition and size, and the moves and swaps that shrink them.

    Unit u stands for the vector e_u = (y_u - rate * s_u, s_u): its label counts beyond what its
    rows would carry at the overall label rates, then its rows. Column j of ``deviation`` is
    the sum of e_u over split j minus (0, target_j): label composition off the overall rates,
    then rows off the target. Moving a summed vector d from split a to b changes the objective
    |deviation|^2 by 2 d . (D_b - D_a) + 2 |d|^2; a swap of u (in a) and v (in b) moves e_u - e_v.
    """

    def __init__(self, *, counts, sizes, assignment, targets, moves: bool) -> None:
        k = len(targets)
        # Many single rows: the integer counts as given (products read a block of rows at a time) and nothing of
        # length n_units is kept (y_u . rate and |y_u|^2 are computed where needed); else a float copy, the fastest
        self.large = not moves and len(assignment) * k > _COST_CELLS
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
        self.rate = totals / self.sizes.sum()
        self.square = self.rate @ self.rate + 1  # |rate|^2 + 1, once (the same value every time)
        self.norm = norm  # |y_u|^2, or None
        self.by_rate = None if self.large else row_products(counts, self.rate)  # y_u . rate, or None
        split_rows = np.bincount(assignment, weights=self.sizes, minlength=k)
        for j, rows in enumerate(split_rows.tolist()):  # a column at a time: no (L, k) temporary
            label[:, j] -= self.rate * rows
        self.deviation[-1] = split_rows - targets

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

    def polish(self, max_rounds: int, until_within_one: bool = False, shortlist: int = 8) -> None:
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
        label = balance.deviation[:-1, :]
        shift = (balance.deviation[-1, :] - balance.rate @ label).tolist()
        square = balance.rate @ balance.rate + 1
        found = {(a, b): [] for a in range(k) for b in range(k) if a != b}
        for lo, hi in row_blocks(balance.counts):
            block, sizes = balance.counts[lo:hi], balance.sizes[lo:hi]
            cost = row_products(block, label)
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
        self.lists = {}
        for pair, parts in found.items():
            units = np.concatenate([units for units, _ in parts]) if parts else np.zeros(0, dtype=np.int64)
            costs = np.concatenate([costs for _, costs in parts]) if parts else np.zeros(0)
            self.lists[pair] = units[np.lexsort((units, costs))[:keep]]

    def cheapest(self, assignment: np.ndarray, a: int, b: int, count: int) -> np.ndarray:
        """The ``count`` cheapest units of the (a, b) list still in split a, cheapest first."""
        units = self.lists.get((a, b), np.zeros(0, dtype=np.int64))
        return units[assignment[units] == a][:count]


def _lowest(units: np.ndarray, cost: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` units of lowest cost and their costs (which of equal costs: as ``np.argpartition`` picks)."""
    if len(units) > count:
        pick = np.argpartition(cost, count)[:count]
        return units[pick], cost[pick]
    return units, cost


def _square_sums(matrix: sp.csr_matrix) -> np.ndarray:
    """Per row, the sum of its squared counts (float64; whole numbers, exact in any order)."""
    values = matrix.data.astype(np.float64)
    lengths = np.diff(matrix.indptr)
    return np.bincount(np.repeat(np.arange(matrix.shape[0]), lengths), weights=values * values, minlength=matrix.shape[0])


def _kept_indptr(indptr: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The row pointers of the entries ``keep`` marks: kept entries before each row's start, counted a block
    of about ``_BLOCK_ENTRIES`` entries at a time (no count per entry of the whole matrix)."""
    out = np.zeros(len(indptr), dtype=np.int64)
    cuts = np.unique(np.r_[0, np.searchsorted(indptr, np.arange(0, indptr[-1], _BLOCK_ENTRIES), side="right") - 1,
                          len(indptr) - 1]).tolist()  # fmt: skip
    total = 0
    for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
        start, stop = int(indptr[lo]), int(indptr[hi])
        before = np.zeros(stop - start + 1, dtype=np.int64)
        np.cumsum(keep[start:stop], out=before[1:])
        out[lo + 1 : hi + 1] = total + before[indptr[lo + 1 : hi + 1] - start]
        total += int(before[-1])
    return out


def row_blocks(matrix: sp.csr_matrix, entries: int = _BLOCK_ENTRIES) -> list[tuple[int, int]]:
    """Ranges of rows of ``matrix`` holding about ``entries`` entries each, covering every row."""
    indptr = matrix.indptr
    cuts = np.searchsorted(indptr, np.arange(0, indptr[-1], entries), side="right") - 1
    cuts = np.unique(np.r_[0, cuts, matrix.shape[0]]).tolist()
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def row_products(matrix: sp.csr_matrix, dense: np.ndarray) -> np.ndarray:
    """``matrix @ dense`` a block of rows at a time: the same values (each row's sum is its own, in the
    same order), without a float copy of the whole of an integer ``matrix``."""
    if matrix.dtype == np.float64 or matrix.nnz <= _BLOCK_ENTRIES:
        return np.asarray(matrix @ dense)
    out = np.empty((matrix.shape[0],) + dense.shape[1:])
    for lo, hi in row_blocks(matrix):
        out[lo:hi] = matrix[lo:hi] @ dense
    return out


def split_counts(counts: sp.csr_matrix, assignment: np.ndarray, k: int, weights: bool = False, out=None) -> np.ndarray:
    """(L, k): per column and split, the units holding it (or with ``weights``, the float64 sum of their
    counts: whole numbers, exact in any order); a block of rows at a time, so the
    temporaries are a block's, never one code per entry.

    Examples
    --------
    >>> split_counts(sp.csr_matrix(np.array([[1, 0], [1, 1], [0, 2]])), np.array([0, 1, 1]), 2, weights=True).tolist()
    [[1.0, 1.0], [0.0, 3.0]]
    """
    cells = counts.shape[1] * k
    if cells > _SPLIT_CELLS:  # many columns: one split at a time, so a block adds L sums, not L x k
        return _split_counts_by_split(counts, assignment, k, weights, out)
    given, out = out, np.zeros(cells, dtype=np.float64 if weights else np.int64)
    indptr = counts.indptr
    for lo, hi in row_blocks(counts, max(_BLOCK_ENTRIES, cells // 4)):  # each block adds ``cells`` sums
        start, stop = int(indptr[lo]), int(indptr[hi])
        code = np.repeat(assignment[lo:hi], np.diff(indptr[lo : hi + 1]))
        code += counts.indices[start:stop].astype(np.int64) * k
        out += np.bincount(code, weights=counts.data[start:stop] if weights else None, minlength=cells)
    if given is not None:
        given[...] = out.reshape(-1, k)
        return given
    return out.reshape(-1, k)


def _split_counts_by_split(counts, assignment, k, weights, out=None) -> np.ndarray:
    """:func:`split_counts` a block of rows and one split at a time (the same sums, less memory), into ``out``."""
    n_cols = counts.shape[1]
    if out is None:
        out = np.zeros((n_cols, k), dtype=np.float64 if weights else np.int64)
    else:
        out[...] = 0
    indptr = counts.indptr
    for lo, hi in row_blocks(counts, 4 * _BLOCK_ENTRIES):
        start, stop = int(indptr[lo]), int(indptr[hi])
        split_of = np.repeat(assignment[lo:hi], np.diff(indptr[lo : hi + 1]))
        indices = counts.indices[start:stop]
        values = counts.data[start:stop] if weights else None
        for split in range(k):
            chosen = split_of == split
            out[:, split] += np.bincount(indices[chosen], weights=None if values is None else values[chosen], minlength=n_cols)
    return out


def _column_split_sums(counts: sp.csr_matrix, assignment: np.ndarray, k: int, norms: bool, out: np.ndarray):
    """Per column its total, written to ``out`` (L, k) its sum per split, and per unit its sum of squares (if
    ``norms``, else None): float64 sums of whole numbers (exact in any order), a block of rows at a time."""
    per_split = split_counts(counts, assignment, k, weights=True, out=out)
    norm = None
    if norms:
        norm = np.concatenate([_square_sums(counts[lo:hi]) for lo, hi in row_blocks(counts, 4 * _BLOCK_ENTRIES)])
    return per_split.sum(axis=1), norm


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
