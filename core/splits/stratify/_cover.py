"""The cover stage of :func:`core.splits.stratify.stratify`: a label some split lacks gets a unit swapped in.

:class:`_Cover` tracks which split holds which column and how far each split is off its size, and
swaps one unit in for each gap (:meth:`_Cover.swap_in`), queueing a gap a swap opens; on tiny inputs
of single rows, gaps the swaps leave get :func:`exact_cover`, a bounded exact search. Driven by
:meth:`core.splits.stratify._repair.Repair.cover_rare_columns`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from ._repair import Repair

__all__ = ["exact_cover"]

_COVER_GIVERS = 256  # units tried as the giver of one missing column
_COVER_STEPS = 10  # swaps tried per gap found at the start (the gaps swaps open join the queue)
_EXACT_BUDGET = 3_000  # search steps of that exact search (about 70 ms at most)


def entries(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Positions in a CSR matrix's ``indices`` of the rows that start at ``starts``, row after row."""
    return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())


# every split gets every column that has at least k units


@dataclass(kw_only=True, eq=False)
class _Cover:
    """Which split holds which column, kept current while units are swapped in to fill gaps.

    ``held``, ``excess`` and ``assignment`` change with every swap; ``assignment`` is the
    :class:`Repair`'s own array.
    """

    present: sp.csr_matrix  # (n_units, L): 1 where a unit holds a column
    by_column: sp.csc_matrix  # the same, by column
    required: np.ndarray  # (L,) bool: labels with at least k units
    held: np.ndarray  # (L, k): units holding each column, per split
    excess: np.ndarray  # (k,): each split's rows minus its goal
    assignment: np.ndarray
    sizes: np.ndarray
    shuffle: np.ndarray
    band: int
    widths: np.ndarray | None = None  # per unit, the columns its ties are ordered by (None: those of ``present``)
    # per unit, with a last entry for "no taker" (index -1): columns held, first entry, rows, rank, columns for ties
    per_row: np.ndarray = field(init=False, repr=False)
    starts: np.ndarray = field(init=False, repr=False)
    unit_sizes: np.ndarray = field(init=False, repr=False)
    unit_ranks: np.ndarray = field(init=False, repr=False)
    tie_widths: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.per_row = np.append(np.diff(self.present.indptr), 0)
        self.starts = np.append(self.present.indptr[:-1], 0)
        self.unit_sizes = np.append(self.sizes, 0)
        self.unit_ranks = np.append(self.shuffle, -1)
        self.tie_widths = self.per_row if self.widths is None else np.append(self.widths, 0)

    @classmethod
    def start(cls, repair: Repair, *, held: np.ndarray, required: np.ndarray, widths=None) -> _Cover:
        """The cover of ``repair``'s deal, given its ``held`` table and ``required`` labels (``widths``: see the field)."""
        counts = repair.counts
        # int8: only the structure is read (a million units x 800,000 pair columns: 28 MiB, not 220)
        present = sp.csr_matrix((np.ones(counts.nnz, dtype=np.int8), counts.indices, counts.indptr), shape=counts.shape)
        excess = np.bincount(repair.assignment, weights=repair.sizes, minlength=len(repair.targets)) - repair.goal
        return cls(
            present=present, by_column=present.tocsc(), required=required, held=held, excess=excess,
            assignment=repair.assignment, sizes=repair.sizes, shuffle=repair.shuffle, band=repair.band, widths=widths,
        )  # fmt: skip

    def fill(self, missing: list[tuple[int, int]]) -> None:
        """Swap units in for the ``missing`` (column, split) gaps, queueing the gaps a swap opens.

        At most ``_COVER_STEPS`` tries per gap found at the start (plus ``_COVER_STEPS``), so
        swaps that keep opening gaps end.
        """
        queue = deque(missing)
        steps = _COVER_STEPS * len(missing) + _COVER_STEPS
        while queue and steps:
            column, split = queue.popleft()
            steps -= 1
            if self.held[column, split] == 0:
                queue.extend(self.swap_in(int(column), int(split)))

    def swap_in(self, column: int, split: int) -> list[tuple[int, int]]:
        """Move a unit holding ``column`` into ``split``, in exchange for one of its units (or none).

        The giver comes from a split with two or more of the column; sizes stay within ``band``
        of the goal. Preferred: the exchange that leaves no split without a required column it
        had, then the one that takes the two splits' sizes least far from their goals (the rise
        in their squared excess), then the taker with the fewest labels. An exchange that leaves
        one such gap is taken only if none leaves none. Givers are tried in turn (at most
        ``_COVER_GIVERS``) until one costs no size at all, so a big group is not pushed into a
        small split while a small one could go. Returns the gaps it opened.
        """
        takers = self._takers(split)
        best = None
        for giver in self._givers(column)[:_COVER_GIVERS]:
            offer = self._offer(int(giver), split, takers)
            if offer is None:
                continue
            if best is None or (offer.opened, offer.harm) < (best.opened, best.harm):
                best = offer
            if best.opened == 0 and best.harm <= 1e-9:  # opens no gap and costs no size: take it
                break
        if best is None:
            return []
        source = int(self.assignment[best.giver])
        self._exchange(best.giver, int(takers.units[best.taker]), source, split)
        return self._gaps_in(source, split)

    def _givers(self, column: int) -> np.ndarray:
        """The units holding ``column`` in a split with two or more of it: from the split with most of
        it, units with fewest columns first, then at random."""
        holders = self.by_column.indices[self.by_column.indptr[column] : self.by_column.indptr[column + 1]]
        holders = holders[self.held[column, self.assignment[holders]] >= 2]
        order = np.lexsort((self.shuffle[holders], self.tie_widths[holders], -self.held[column, self.assignment[holders]]))
        return holders[order]

    def _takers(self, split: int) -> _Takers:
        """The units of ``split`` that could go back for a giver, and "none" (unit -1) last."""
        units = np.append(np.flatnonzero(self.assignment == split), -1)
        lengths = self.per_row[units]
        columns = self.present.indices[entries(self.starts[units], lengths)]
        return _Takers(
            units=units,
            lengths=self.tie_widths[units],
            columns=columns,
            owner=np.repeat(np.arange(len(units)), lengths),
            sole=self.required[columns] & (self.held[columns, split] == 1),
            ranks=self.unit_ranks[units],
        )

    def _offer(self, giver: int, split: int, takers: _Takers) -> _Offer | None:
        """The best exchange of ``giver`` for one of ``takers`` within the size band; None if none fits.

        Best: fewest gaps opened, then least rise in the two splits' squared excess, then the taker
        with fewest columns, then at random. Exchanges opening two or more gaps are not offered.
        """
        source = int(self.assignment[giver])
        excess, limit = self.excess, self.band + 1e-9  # the goal may be fractional
        flow = self.sizes[giver] - self.unit_sizes[takers.units]  # rows going from source to split
        fits = (np.abs(excess[source] - flow) <= limit) & (np.abs(excess[split] + flow) <= limit)
        harm = 2 * flow * (flow - (excess[source] - excess[split]))  # rise of the two squared excesses
        opened = self._opened(giver, source, takers)
        options = np.flatnonzero(fits & (opened <= 1))
        if not len(options):
            return None
        choice = options[np.lexsort((takers.ranks[options], takers.lengths[options], harm[options], opened[options]))[0]]
        return _Offer(opened=opened[choice], harm=harm[choice], giver=giver, taker=int(choice))

    def _opened(self, giver: int, source: int, takers: _Takers) -> np.ndarray:
        """Per taker: the required columns its exchange with ``giver`` leaves a split without."""
        columns = self.present.indices[self.present.indptr[giver] : self.present.indptr[giver + 1]]
        giver_sole = columns[self.required[columns] & (self.held[columns, source] == 1)]
        opened = np.bincount(takers.owner[takers.sole & ~np.isin(takers.columns, columns)], minlength=len(takers.units))
        opened += len(giver_sole) - np.bincount(takers.owner[np.isin(takers.columns, giver_sole)], minlength=len(takers.units))
        return opened

    def _exchange(self, giver: int, taker: int, source: int, split: int) -> None:
        """``giver`` goes from ``source`` to ``split``, and ``taker`` (unless -1: none) back."""
        self._move(giver, source, split)
        if taker >= 0:
            self._move(taker, split, source)

    def _move(self, unit: int, old: int, new: int) -> None:
        columns = self.present.indices[self.present.indptr[unit] : self.present.indptr[unit + 1]]
        self.held[columns, old] -= 1
        self.held[columns, new] += 1
        self.assignment[unit] = new
        self.excess[old] -= self.sizes[unit]
        self.excess[new] += self.sizes[unit]

    def _gaps_in(self, *splits: int) -> list[tuple[int, int]]:
        """The (column, split) pairs of ``splits`` where a required column has no unit."""
        gaps = np.argwhere(self.required[:, None] & (self.held == 0))
        return [(int(c), int(j)) for c, j in gaps if j in splits]


@dataclass(frozen=True, kw_only=True, eq=False)
class _Takers:
    """The units of a split that could go back in an exchange, the last one "none" (-1)."""

    units: np.ndarray  # (T,)
    lengths: np.ndarray  # (T,): columns each holds
    columns: np.ndarray  # their columns, unit after unit
    owner: np.ndarray  # the position in ``units`` of each of those columns
    sole: np.ndarray  # per column: a required one its split holds in this unit only
    ranks: np.ndarray  # (T,): random rank, -1 for "none"


@dataclass(frozen=True, eq=False)
class _Offer:
    """An exchange: how many gaps it opens, its size harm, the giver and the taker's position."""

    opened: int
    harm: float
    giver: int
    taker: int


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
    holders = np.bincount(present.indices, minlength=present.shape[1])[columns]  # units per column
    rarity = {int(c): i for i, c in enumerate(columns[np.argsort(holders, kind="stable")])}
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
