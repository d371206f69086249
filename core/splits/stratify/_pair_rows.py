"""Order 2 at a million rows: the label-and-pair rows made from each row's labels when read, never held whole.

:class:`PairRows` stands for the (units x (labels + kept pairs)) 0/1 matrix in canonical column order that
:func:`core.splits.stratify._pair_build.canonical_with_pairs` would write, from the input's labels and the
table of kept pairs (their codes a * L + b, sorted, and their positions): a block of rows, or any units, is
made when read, each row's pairs looked up among the kept ones. At 1,000,000 x 10,000 (4.7M label entries,
9.1M kept pair entries) the matrix was 57 MiB held from the build to the end; the table is 10 MiB and the
input's labels are the caller's own. The deal (:mod:`core.splits.stratify._waves`), the label polish and cover
(:class:`core.splits.stratify._repair.Repair`, on :meth:`PairRows.labels`) and the pair polish
(:class:`PairBalance`) read it; each read gives the rows the matrix holds, entry for entry, so the deal, the
label polish and the cover give the same split bit for bit. The pair polish does too, on the matrix written
whole, unless :class:`PairBalance` runs: past 4M pair entries (``_pair_build._WHOLE_PAIR_ENTRIES``), more than
4,096 label-and-pair columns (``_repair._DENSE_ROW_COLUMNS``) and more than 2**20 rows x splits (from 209,716
rows at 5 splits, 104,858 at 10). Its deviations are made from whole counts, so float rounding can break a tie
another way there and the split may differ from the float polish's (the golden sets stay below 4M pair entries).
Each full read costs about what the build's writing of the matrix cost.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._balance import POLISH_SHORTLIST, SparseBalance
from ._blocks import _BLOCK_ENTRIES, _compact_touched, _square_sums, indptr_blocks, row_products, small_dtype
from ._deal import column_counts
from ._pair_build import _made_rows, _with_pairs, _write_rows

__all__ = ["PairRows", "PairBalance"]

# Rows are made about this many entries (labels and pairs) at a time when a pass reads them all: a block's
# temporaries are about 40 bytes an entry (2.6 MiB), where the written matrix held 4 bytes for every entry.
_MADE_ENTRIES = 1 << 16
_COLUMNS_AT_ONCE = 1 << 16  # columns whose deviation is made at a time (a few MiB of floats)


class PairRows:
    """The labels and kept pairs of 0/1 single rows, in canonical column order, made a few rows at a time.

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix, shape (n, L)
        The 0/1 labels (sorted column indices, original order).
    codes : ndarray of int64
        The kept pairs' codes a * L + b (a < b), sorted.
    position : ndarray of int, shape (L + len(codes),)
        Each label's, then each kept pair's, column in canonical order.
    pair_units : ndarray of int
        Units holding each kept pair.

    Examples
    --------
    Pairs (0, 2) and (1, 2) are kept (at columns 0 and 1), the labels go to columns 2, 3 and 4:

    >>> Y = sp.csr_matrix(np.array([[1, 1, 1], [1, 0, 1], [0, 1, 1]], dtype=np.uint8))
    >>> rows = PairRows(Y, codes=np.array([0 * 3 + 2, 1 * 3 + 2]), position=np.array([2, 3, 4, 0, 1]), pair_units=np.array([2, 2]))
    >>> rows.block(0, 3).toarray().tolist()
    [[1, 1, 1, 1, 1], [1, 0, 1, 0, 1], [0, 1, 0, 1, 1]]
    >>> rows.rows([2]).indices.tolist(), rows.widths().tolist()
    ([1, 3, 4], [5, 3, 3])
    """

    def __init__(self, matrix: sp.csr_matrix, codes: np.ndarray, position: np.ndarray, pair_units: np.ndarray) -> None:
        n, n_labels = matrix.shape
        self.matrix = matrix
        self.codes = codes.astype(np.int32) if n_labels * n_labels <= 2**31 else codes  # a * L + b: half the memory
        self.position = position
        self.label_position, self.pair_position = position[:n_labels], position[n_labels:]
        self.shape = (n, len(position))
        self.nnz = matrix.nnz + int(pair_units.sum())
        self.dtype = matrix.data.dtype
        self.totals = np.zeros(len(position), dtype=small_dtype(n))  # units per column, in canonical order
        self.totals[self.label_position] = column_counts(matrix.indices, n_labels)
        self.totals[self.pair_position] = pair_units
        self.is_label = np.zeros(len(position), dtype=bool)
        self.is_label[self.label_position] = True
        self._widths = None  # per row, its labels and pairs: noted by the first pass that reads every row
        self._cuts = self._passes = None

    def block(self, lo: int, hi: int) -> sp.csr_matrix:
        """Rows lo..hi, as ``counts[lo:hi]`` of the written matrix."""
        return self._csr(*self.raw_block(lo, hi))

    def raw_block(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`block` as its row pointers and column indices."""
        indptr = self.matrix.indptr
        start, stop = int(indptr[lo]), int(indptr[hi])
        return self._made(indptr[lo : hi + 1] - start, self.matrix.indices[start:stop])

    def rows(self, units: np.ndarray) -> sp.csr_matrix:
        """The rows of ``units`` (in that order), as ``counts[units]``."""
        return self._csr(*self.raw_rows(units))

    def raw_rows(self, units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`rows` as its row pointers and column indices (no sparse matrix made: the deal reads these)."""
        units = np.asarray(units)
        indptr = self.matrix.indptr
        starts = indptr[units]
        local = np.zeros(len(units) + 1, dtype=np.int64)
        np.cumsum(indptr[units + 1] - starts, out=local[1:])
        lengths = np.diff(local)
        at = np.repeat(starts - local[:-1], lengths) + np.arange(int(local[-1]))
        return self._made(local, self.matrix.indices[at])

    def whole(self) -> sp.csr_matrix:
        """The written matrix (the deal of few columns and the polish of few units read it whole), written a block
        of rows at a time as the build writes it (:func:`~core.splits.stratify._pair_build._write_rows`): the peak is
        the matrix and a block, not a few int64 words for every entry at once (1M x 50, order 2: 47 MiB, not 285)."""
        return _write_rows(self.matrix, self.codes, self.position, self.nnz)

    def labels(self) -> sp.csr_matrix:
        """The label columns alone, numbered in canonical order (``counts[:, is_label]``), a block of rows sorted at a time."""
        indptr, indices = self.matrix.indptr, self.matrix.indices
        rank = np.empty(len(self.label_position), dtype=np.int64)
        rank[np.argsort(self.label_position, kind="stable")] = np.arange(len(rank))
        bits = max(len(rank) - 1, 1).bit_length()
        out = np.empty(len(indices), dtype=np.int32)
        for lo, hi in indptr_blocks(indptr, _MADE_ENTRIES):  # a block's keys: a few int64 temporaries (2 MiB)
            start, stop = int(indptr[lo]), int(indptr[hi])
            keys = np.repeat(np.arange(hi - lo, dtype=np.int64), np.diff(indptr[lo : hi + 1])) << bits
            keys |= rank[indices[start:stop]]
            keys.sort()
            out[start:stop] = keys & ((1 << bits) - 1)
        ones = np.broadcast_to(np.ones(1, dtype=self.dtype), (len(out),))
        return sp.csr_matrix((ones, out, indptr), shape=(self.shape[0], len(rank)))

    def passes(self) -> list[tuple[int, int]]:
        """Ranges of rows of at most about ``_MADE_ENTRIES`` entries (a row of w labels has at most
        w (w + 1) / 2), covering every row: what a pass over every row makes at a time."""
        if self._passes is None:
            self._passes = indptr_blocks(_with_pairs(self.matrix.indptr), _MADE_ENTRIES)
        return self._passes

    def note_widths(self, lo: int, indptr: np.ndarray) -> None:
        """Keep the widths of rows lo.. from the row pointers ``indptr`` of a block just made (a pass in row order
        fills them all)."""
        if self._widths is None:  # a row of w labels has at most w (w + 1) / 2 entries
            most = int(np.diff(self.matrix.indptr).max(initial=0))
            self._widths = np.full(self.shape[0], -1, dtype=np.int16 if most * (most + 1) // 2 < 2**15 else np.int64)
        self._widths[lo : lo + len(indptr) - 1] = np.diff(indptr)

    def widths(self) -> np.ndarray:
        """Per row, its labels and kept pairs (noted by an earlier pass, else made by one now)."""
        if self._widths is None or self._widths.min(initial=0) < 0:
            for lo, hi in self.passes():
                self.note_widths(lo, self.raw_block(lo, hi)[0])
        return self._widths

    def row_blocks(self, entries: int = _BLOCK_ENTRIES) -> list[tuple[int, int]]:
        """:func:`core.splits.stratify._blocks.row_blocks` of the written matrix (the same cuts)."""
        if self._cuts is None or self._cuts[0] != entries:
            indptr = np.zeros(self.shape[0] + 1, dtype=np.int64)
            np.cumsum(self.widths(), out=indptr[1:])
            self._cuts = entries, indptr_blocks(indptr, entries)
        return self._cuts[1]

    def _csr(self, indptr: np.ndarray, indices: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((np.ones(len(indices), dtype=self.dtype), indices, indptr), shape=(len(indptr) - 1, self.shape[1]))

    def _made(self, label_ptr: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The label-and-pair rows (row pointers, column indices) of the label rows ``label_ptr`` (from 0) and
        ``labels`` (sorted in each row): labels at their positions, pairs looked up among the kept, each row in
        position order."""
        widths, columns = _made_rows(label_ptr, labels, self.codes, self.label_position, self.pair_position)
        indptr = np.zeros(len(widths) + 1, dtype=np.int64)
        np.cumsum(widths, out=indptr[1:])
        return indptr, columns.astype(np.int32)


class PairBalance(SparseBalance):
    """:class:`~core.splits.stratify._balance.SparseBalance` of many single 0/1 rows over a :class:`PairRows`: the
    same objective, candidates and swaps, each unit's row made when read, and the deviation kept as counts.

    Where :class:`~core.splits.stratify._balance.Balance` keeps each column's deviation per split as floats (a
    (columns, k) float64 table: 31 MiB at 1M x 10,000), this keeps the units holding each column per split as
    int32 when the entries fit (``held``: 16 MiB) and makes the deviation ``held - rate * rows`` of the columns it reads when it reads
    them (the rows per split do not change: single rows only swap). The same numbers up to float rounding (a
    deviation is made from whole counts, not updated by adding 1.0), so a tie can break another way: splits of
    this path (past 4M pair entries, > 4,096 columns and rows x splits > 2**20; see the module) may differ from
    the float table's. Only the large form (shortlists, no per-unit arrays).

    Examples
    --------
    Two rows of labels 0, 1, 2 (and their three pairs) both in split 0: a swap evens every column out.

    >>> Y = sp.csr_matrix(np.array([[1, 1, 1], [1, 1, 1], [0, 0, 1], [0, 0, 1]], dtype=np.uint8))
    >>> rows = PairRows(Y, codes=np.array([1, 2, 5]), position=np.arange(6), pair_units=np.array([2, 2, 2]))
    >>> assignment = np.array([0, 0, 1, 1])
    >>> balance = PairBalance(counts=rows, sizes=np.ones(4), assignment=assignment, targets=np.array([2.0, 2.0]))
    >>> balance.held[:, 0].tolist(), balance.apart(0, 1)
    ([2, 2, 2, 2, 2, 2], True)
    >>> balance.polish(3, shortlist=2)
    >>> assignment.tolist(), balance.held[:, 0].tolist(), balance.apart(0, 1)
    ([1, 0, 0, 1], [1, 1, 2, 1, 1, 1], False)
    """

    def __init__(self, *, counts: PairRows, sizes, assignment, targets) -> None:
        k, n_cols = len(targets), counts.shape[1]
        self.large, self.moves = True, False
        self.counts, self.assignment = counts, assignment
        self.sizes = np.broadcast_to(np.float64(1), sizes.shape)  # single rows
        # units per column and split: at most n, and a row's product with it at most a split's entries (<= nnz)
        self.held = np.zeros((n_cols, k), dtype=small_dtype(counts.nnz))
        flat, one = self.held.reshape(-1), self.held.dtype.type(1)
        for lo, hi in counts.passes():  # one add per entry (numpy's fast path for its own type), no (columns,) temporaries
            indptr, indices = counts.raw_block(lo, hi)
            cells = indices.astype(np.int64) * k + np.repeat(assignment[lo:hi], np.diff(indptr))
            np.add.at(flat, cells, one)
        self.rate = counts.totals / self.sizes.sum()
        self.square = self.rate @ self.rate + 1
        self.norm = self.by_rate = None
        self.labels = counts.is_label
        self.split_rows = np.bincount(assignment, minlength=k).astype(np.float64)
        self.deviation = (self.split_rows - targets)[None, :]  # the rows' row only: labels are made from ``held``

    def _label_deviation(self, columns, splits) -> np.ndarray:
        """The deviation of ``columns`` (indices or a slice) in ``splits``: held less rate times the split's rows."""
        return self.held[columns][:, splits] - self.rate[columns][:, None] * self.split_rows[splits][None, :]

    def _rate_dot(self, splits) -> np.ndarray:
        """rate . (labels' deviation) of each of ``splits``, a stretch of columns at a time (no (columns, k) floats)."""
        total = np.zeros(len(self.split_rows[splits]))
        for lo in range(0, len(self.rate), _COLUMNS_AT_ONCE):
            total += self.rate[lo : lo + _COLUMNS_AT_ONCE] @ self._label_deviation(slice(lo, lo + _COLUMNS_AT_ONCE), splits)
        return total

    def apart(self, a: int, b: int) -> bool:
        """:meth:`Balance.apart` from the counts, a stretch of columns at a time (no (columns,) float pair)."""
        for lo in range(0, len(self.rate), _COLUMNS_AT_ONCE):
            gap = self._label_deviation(slice(lo, lo + _COLUMNS_AT_ONCE), [a, b])
            if np.abs(gap[:, 0] - gap[:, 1]).max(initial=0) > 1:
                return True
        return False

    def shifts(self) -> list[float]:
        """:meth:`Balance.shifts`: the rows' deviation less rate . the labels' deviation made from the counts."""
        every = np.arange(len(self.split_rows))
        return (self.deviation[-1, :] - self._rate_dot(every)).tolist()

    def label_products(self, block) -> np.ndarray:
        """:meth:`Balance.label_products` as ``block @ held`` (whole numbers, in held's dtype) less each row's
        ``rate`` sum times the split's rows: no (columns, k) float deviation."""
        by_rate = row_products(block, self.rate)
        # in held's dtype: int64 (or float) rows would copy held to int64, and uint8 ones could make a narrower product
        return (block.astype(self.held.dtype, copy=False) @ self.held) - by_rate[:, None] * self.split_rows[None, :]

    def pulls(self, rows, sizes, splits) -> np.ndarray:
        """:meth:`Balance.pulls` of sparse ``rows``: the deviation of the columns they touch only."""
        touched, compact = _compact_touched(rows)
        pull = np.asarray(compact @ self._label_deviation(touched, splits))
        for j, shift in enumerate((self.deviation[-1, splits] - self._rate_dot(splits)).tolist()):
            pull[:, j] += sizes * shift
        return pull

    def blocks(self):
        """:meth:`Balance.blocks`: the rows made a block at a time (the cuts the written matrix would have)."""
        for lo, hi in self.counts.row_blocks():
            yield lo, hi, self.counts.block(lo, hi)

    def rows(self, units: np.ndarray) -> sp.csr_matrix:
        """:meth:`SparseBalance.rows`: the rows of ``units``, made now, as float64."""
        return self.counts.rows(units).astype(np.float64)

    def by_rate_of(self, units: np.ndarray) -> np.ndarray:
        """y_u . rate of ``units``, from their rows made now (no per-unit array is kept)."""
        return row_products(self.counts.rows(units), self.rate)

    def norm_of(self, units: np.ndarray) -> np.ndarray:
        """|y_u|^2 of ``units``, from their rows made now (no per-unit array is kept)."""
        return _square_sums(self.counts.rows(units))

    def polish(self, max_rounds: int, until_within_one: bool = False, shortlist: int = POLISH_SHORTLIST) -> None:
        """:meth:`Balance.polish` (the swaps only); ``until_within_one`` is refused."""
        if until_within_one:
            raise NotImplementedError("PairBalance keeps no label deviation table: until_within_one would stop at once.")
        super().polish(max_rounds, shortlist=shortlist)

    def move_costs(self) -> np.ndarray:
        """Refused: the large form never makes every unit's costs (the shortlists read them a block at a time)."""
        raise NotImplementedError("PairBalance is large only: every unit's move costs are never made whole.")

    def move_costs_of(self, units: np.ndarray) -> np.ndarray:
        """Refused: single rows only swap, so no move is ever costed."""
        raise NotImplementedError("PairBalance swaps single rows only: there are no moves to cost.")

    def settle_sizes(self) -> None:
        """Refused: single rows only swap, so the split sizes stay exact and there is nothing to settle."""
        raise NotImplementedError("PairBalance swaps single rows only: the sizes are exact, nothing to settle.")

    def transfer(self, units, signs, a: int, b: int) -> None:
        """Move ``units`` with sign +1 from split a to b, and with sign -1 from b to a: their columns' counts."""
        indptr, indices = self.counts.raw_rows(units)
        for i, (unit, sign) in enumerate(zip(units, signs, strict=True)):
            columns = indices[indptr[i] : indptr[i + 1]]
            step = self.held.dtype.type(1 if sign > 0 else -1)
            self.held[columns, a] -= step
            self.held[columns, b] += step
            self.split_rows[[a, b]] += (-step, step)
            self.deviation[-1, [a, b]] += (-step, step)
            self.assignment[unit] = b if sign > 0 else a
