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

from ._balance import POLISH_SHORTLIST, Balance, SparseBalance
from ._blocks import kept_columns, kept_split_counts, permuted_columns, split_counts
from ._cover import _Cover, exact_cover
from ._deal import column_counts
from ._pair_rows import PairBalance, PairRows

__all__ = ["Repair", "may_lack"]

_POLISH_MAX_ROUNDS = 500
_POLISH_MIN_ROUNDS = 3
_POLISH_WORK = 200_000_000  # polish rounds stop at about this many sparse multiply-adds in all
# Groups (weighted units) from this many on: each round's exchanges look at _WIDE_SHORTLIST units per side, not
# POLISH_SHORTLIST, and the rounds take 1/_WIDE_WORK_CUT of the work. A round's pass over every unit costs the
# same whatever the shortlist, so wider exchanges fix more per pass: on the 100M-row bench's 32 batches of
# 156,000 groups (20 binary tasks and 5 bins), seed 0, LD over the 20 positive labels 1.44e-06 (was 1.40e-06)
# and solver CPU 14.4 s (was 23.0) (bench/results/dask-parts/notes.md). So an in-memory stratified (or group)
# split of 50,000 groups or more gives another assignment than before this polish, equally balanced.
_WIDE_POLISH_UNITS = 50_000
_WIDE_SHORTLIST = 64
_WIDE_WORK_CUT = 3
_PAIR_POLISH_WORK = 150_000  # the pair polish: rounds of about this many multiply-adds in all
_PAIR_SHORTLIST = 32  # units per side tried in each exchange of the pair polish
_DENSE_ROW_COLUMNS = 4096  # up to this many columns, the pair polish reads candidates' rows dense
_EXACT_MAX_UNITS = 48  # up to this many single rows, gaps the swaps leave get an exact search


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
    demand : ndarray, shape (labels, k), or None
        Per label (the rows of ``is_label``'s columns) and split, its share minus what the deal gave it
        (stale once the polish ran; read by :meth:`polish` and :meth:`may_lack` only, so it may be dropped after them).
    pairs : PairRows, optional
        Order 2 of many single 0/1 rows: the labels and pairs, made from the rows' labels when read. ``counts``
        is then the labels alone (``is_label`` all True), as the label polish and the cover read them; the pair
        polish reads ``pairs``, and the cover orders units by their labels and pairs as it would on the whole.
    labels : (csr_matrix, ndarray), optional
        The labels as given (0/1, one column per label) and, per label column of ``counts`` in order, its column
        there: the labels' copy and their units per split are then read from these few entries (a permutation),
        not out of every entry of ``counts`` (delicious at order 2: 3.2M entries, 122,203 columns). None: from ``counts``.

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
    pairs: PairRows | None = None
    labels: tuple[sp.csr_matrix, np.ndarray] | None = None

    def polish(self) -> bool:
        """Improve the assignment by swaps (and moves, for groups); whether it ran.

        Single rows are polished only when the deal left a label a whole unit off its share, and
        only on the labels (not pairs), until every label is within one unit. Groups are always
        polished on every column and size, then settled to within one unit's size of ``goal``.
        """
        if not self.weighted and np.abs(self.demand).max(initial=0.0) < 1:
            return False
        every = self.weighted or bool(self.is_label.all())  # else the labels only: a copy without the pairs
        scored = self.counts if every else self._labels_only()
        balance = Balance(counts=scored, sizes=self.sizes, assignment=self.assignment, targets=self.goal, moves=self.weighted)
        wide = self.weighted and len(self.assignment) >= _WIDE_POLISH_UNITS
        balance.polish(self._polish_rounds(_WIDE_WORK_CUT if wide else 1), until_within_one=not self.weighted,
                       shortlist=_WIDE_SHORTLIST if wide else POLISH_SHORTLIST)
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
        work = len(self.goal) * self._work()
        rounds = max(min_rounds, min(_POLISH_MAX_ROUNDS, _PAIR_POLISH_WORK // work))
        if not rounds:
            return False
        before = self._snapshot()
        large = Balance.is_large(len(self.assignment), len(self.goal))
        if self.pairs is not None and large and self.pairs.shape[1] > _DENSE_ROW_COLUMNS:
            balance = PairBalance(counts=self.pairs, sizes=self.sizes, assignment=self.assignment, targets=self.goal)
            balance.labels = self.pairs.is_label if kept_pairs else None
        else:  # few units or columns (only the large sparse form reads a PairRows): the whole matrix
            counts = self.counts if self.pairs is None else self.pairs.whole()
            kind = SparseBalance if counts.shape[1] > _DENSE_ROW_COLUMNS else Balance
            balance = kind(counts=counts, sizes=self.sizes, assignment=self.assignment, targets=self.goal, moves=False)
            if kept_pairs and kind is SparseBalance:
                balance.labels = self.is_label if self.pairs is None else self.pairs.is_label
        balance.polish(rounds, shortlist=shortlist)
        return not np.array_equal(before, self.assignment)

    def polish_pairs_and_cover(
        self, min_rounds: int = 0, shortlist: int = _PAIR_SHORTLIST, gaps: int | None = None, kept_pairs: bool = False
    ) -> None:
        """:meth:`polish_pairs`, then :meth:`cover_rare_columns`; the split from before both is kept
        when they leave more (label, split) gaps than it had (the pair polish does not look at them).
        ``gaps``: those of the split now, if known (:meth:`cover_rare_columns` returns them). ``kept_pairs``:
        the pair columns are exactly the label pairs on two units or more (:meth:`SparseBalance.shared`).
        With ``pairs``, the labels are made again for the cover only when the polish changed the split (else
        ``counts`` is left None: the split is final)."""
        kept, gaps = self._snapshot(), self.gaps() if gaps is None else gaps
        self._labels = None  # the pair polish reads every column; the labels' counts are then read in place
        if self.pairs is not None:
            self.counts = None  # the labels alone: made again for the cover (19 MiB at 1M x 10,000 freed meanwhile)
        if not self.polish_pairs(min_rounds, shortlist, kept_pairs):
            return  # nothing moved: no gap opened, so no cover (as before: it ran only after a change)
        if self.pairs is not None:
            self.counts = self.pairs.labels()  # 19 MiB and a sort a block at 1M x 10,000: only when the cover runs
        if self.cover_rare_columns() > gaps:
            self.assignment[:] = kept

    def _snapshot(self) -> np.ndarray:
        """A copy of the assignment to compare with or restore, as int8 when the splits fit (a million units: 1 MiB, not 8)."""
        return self.assignment.astype(np.int8 if len(self.targets) < 128 else np.int64)

    def gaps(self) -> int:
        """How many (label, split) pairs lack a label with at least k units (splits with a target only)."""
        held = self._label_held()  # the pairs' rows would be 0 and not required: the labels' alone count the same
        return int(_lacking(held, held.sum(axis=1) >= len(self.targets), self.targets).sum())

    def _polish_rounds(self, cut: int = 1) -> int:
        """Rounds of the polish: about ``_POLISH_WORK / cut`` sparse multiply-adds in all, within bounds."""
        work = len(self.goal) * self._work()
        return max(_POLISH_MIN_ROUNDS, min(_POLISH_MAX_ROUNDS, _POLISH_WORK // cut // work))

    def _work(self) -> int:
        """Entries and units of the whole matrix (labels and pairs): what a round of the polish reads."""
        return (self.counts.nnz if self.pairs is None else self.pairs.nnz) + len(self.assignment)

    def may_lack(self, shares: np.ndarray) -> bool:
        """Whether the deal (before any polish) may have left a label with k units out of a split."""
        totals = column_counts(self.counts.indices, self.counts.shape[1])[self.is_label]
        every = np.ones(len(totals), dtype=bool)
        return may_lack(totals=totals, is_label=every, demand=self.demand, shares=shares, targets=self.targets)

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
        label_held = self._label_held()  # the gaps are found on the labels; the (L, k) table only when there are some
        lacking = np.argwhere(_lacking(label_held, label_held.sum(axis=1) >= len(self.targets), self.targets))
        if not len(lacking):
            return 0
        held = self._held(label_held)
        required = self.is_label & (held.sum(axis=1) >= len(self.targets))
        missing = [(column, split) for column, split in zip(np.flatnonzero(self.is_label)[lacking[:, 0]], lacking[:, 1], strict=True)]
        widths = None if self.pairs is None else self.pairs.widths()  # ties: fewer labels and pairs first, as on the whole
        cover = _Cover.start(self, held=held, required=required, widths=widths)
        cover.fill(missing)
        left = int(_lacking(cover.held, cover.required, self.targets).sum())  # ``held`` follows every swap
        if left and self._tiny():
            found = exact_cover(present=cover.present, required=required, assignment=self.assignment, targets=self.targets)
            if found is not None:
                self.assignment[:] = found
                left = self.gaps()
        return left

    def _held(self, label_held: np.ndarray | None = None) -> np.ndarray:
        """(L, k): the units holding each column, per split; with pair columns, only the labels' rows are
        counted (the pairs' stay 0: the cover and the gaps read labels only). ``label_held``: the labels' rows."""
        label_held = self._label_held() if label_held is None else label_held
        if self.is_label.all():
            return label_held
        held = np.zeros((self.counts.shape[1], len(self.targets)), dtype=np.int64)
        held[self.is_label] = label_held
        return held

    def _label_held(self) -> np.ndarray:
        """(labels, k): the units holding each label, per split (from the labels' copy if one is made)."""
        if self.is_label.all():
            return split_counts(self.counts, self.assignment, len(self.targets))
        if getattr(self, "_labels", None) is None and self.labels is not None:  # the labels as given, reordered
            matrix, order = self.labels
            return split_counts(matrix, self.assignment, len(self.targets))[order]
        if getattr(self, "_labels", None) is None:  # no copy (freed for the pair polish): read the labels in place
            return kept_split_counts(self.counts, self.is_label, self.assignment, len(self.targets))
        return split_counts(self._labels, self.assignment, len(self.targets))

    def _labels_only(self) -> sp.csr_matrix:
        """The label columns of ``counts`` (as ``counts[:, labels]``: the same entries in the same order),
        made once: the label polish, the gaps and the cover read it."""
        if getattr(self, "_labels", None) is None:
            self._labels = kept_columns(self.counts, self.is_label) if self.labels is None else permuted_columns(*self.labels)
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
