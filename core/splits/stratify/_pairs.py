"""Order 2: the label pairs that need work, as columns beside the labels.

Only pairs held by two units or more are dealt as columns. A pair on a single unit needs no
work: wherever that unit goes, its one split holds the pair and the others do not, so its
balance is the same for every split. On delicious (16,105 rows x 983 labels) that drops 52,288
of 173,508 pairs; on power-law label sets (a long tail of rare labels) it drops most of them.

:func:`pair_columns` lists every row's pairs and keeps those on enough units, with two plain sorts;
:func:`column_keys` gives the canonical column order. The labels and their pairs are built in that order by
:mod:`core.splits.stratify._pair_build`. The deal of that many columns is
:mod:`core.splits.stratify._waves` (columns taken in canonical order, each step reading and updating only
its batch's entries; on delicious, choosing the column with fewest units *still unplaced* instead gave
the same pair balance, LPD 8.76e-4 against 8.79e-4 on 3,000 rows).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._blocks import indptr_blocks, small_dtype
from ._deal import column_counts
from ._sorted import entry_hash

__all__ = ["pair_columns", "column_keys"]

_HASH_ENTRIES = 1 << 20  # entries hashed at a time for the canonical column order (8 MiB per uint64 array)


def _quarter() -> int:
    """A quarter of ``_HASH_ENTRIES`` (read when called: the tests shrink it): the hash has several temporaries."""
    return max(1, _HASH_ENTRIES // 4)



def pair_codes(matrix: sp.csr_matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of the given ``rows`` (sorted column indices): row, code a * L + b (a < b), smaller count.

    Rows with the same number of columns are done at once.
    """
    n_cols = matrix.shape[1]
    per_row = np.diff(matrix.indptr)[rows]
    out_rows, codes, values = [], [], []
    for width in np.unique(per_row[per_row >= 2]):
        members = rows[per_row == width]
        at = matrix.indptr[members][:, None] + np.arange(width)
        first, second = np.triu_indices(width, 1)
        cols, vals = matrix.indices[at], matrix.data[at]
        out_rows.append(np.repeat(members, len(first)))
        codes.append((cols[:, first].astype(np.int64) * n_cols + cols[:, second]).ravel())
        values.append(np.minimum(vals[:, first], vals[:, second]).ravel())
    if not codes:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, matrix.data.dtype)
    return np.concatenate(out_rows), np.concatenate(codes), np.concatenate(values)


def pair_columns(matrix: sp.csr_matrix, min_units: int = 2, all_up_to: int | None = None) -> sp.csr_matrix:
    """One column per pair of columns of ``matrix`` held by at least ``min_units`` units (rows).

    With ``all_up_to``, those pairs when there are at most that many co-occurring pairs, and
    otherwise only those on two units or more.

    A unit's pair count is the smaller of its two counts. Columns follow the pairs (a, b), a < b,
    in order, as in :func:`core.splits.stratify.pair_indicators` (which keeps every pair). Every
    row's pairs are listed once and sorted by pair (the units per pair are the lengths of the runs),
    then the kept ones by row; both sorts are plain sorts of one int64 key that carries the entry's
    position (an argsort costs about ten times more) when the bits allow.

    Examples
    --------
    Pair (0, 1) is on row 0 only, so it is left out; (0, 2) and (1, 2) are on two rows each:

    >>> pair_columns(sp.csr_matrix(np.array([[1, 1, 1], [1, 0, 1], [0, 1, 1]]))).toarray().tolist()
    [[1, 1], [1, 0], [0, 1]]
    >>> pair_columns(sp.csr_matrix(np.array([[1, 1, 1], [1, 0, 1], [0, 1, 1]])), min_units=1).shape
    (3, 3)
    >>> pair_columns(sp.csr_matrix(np.array([[1, 1, 1], [1, 0, 1]]))).toarray().tolist()
    [[1], [1]]
    """
    if not matrix.has_sorted_indices:
        matrix = matrix.sorted_indices()
    n, n_cols = matrix.shape
    row_bits = max(n - 1, 1).bit_length()
    if matrix.nnz and matrix.data.max() == 1 and max(n_cols * n_cols - 1, 1).bit_length() + row_bits <= 62:
        return _binary_pair_columns(matrix, min_units, all_up_to)
    row, codes, values = pair_codes(matrix, np.arange(n))
    if not len(codes):
        return sp.csr_matrix((n, 0), dtype=matrix.dtype)
    by_pair = _sort_order(codes, n_cols * n_cols)
    entry_column, hit, n_kept = _kept(codes[by_pair], min_units, all_up_to)
    by_pair = by_pair[hit]
    entry_column = entry_column[hit]
    by_row = _sort_order(row[by_pair], n)  # rows, and within a row the pairs in order
    row, by_pair, entry_column = row[by_pair][by_row], by_pair[by_row], entry_column[by_row]
    return _csr(row, entry_column, values[by_pair], (n, n_kept))


def _binary_pair_columns(matrix, min_units, all_up_to) -> sp.csr_matrix:
    """:func:`pair_columns` of a 0/1 matrix: every pair count is 1, so the two sorts carry the row and
    then the column in the low bits of one int64 key each, and nothing is gathered (memory: about
    three int64 words per pair entry at the peak)."""
    n, n_cols = matrix.shape
    row_bits = max(n - 1, 1).bit_length()
    keyed = _pair_keys(matrix, row_bits)
    if not len(keyed):
        return sp.csr_matrix((n, 0), dtype=matrix.dtype)
    keyed.sort()  # by pair, then row
    entry_column, hit, n_kept = _kept(keyed >> row_bits, min_units, all_up_to)
    keyed = keyed[hit]
    keyed &= (1 << row_bits) - 1  # the row
    column_bits = max(n_kept - 1, 1).bit_length()
    keyed <<= column_bits
    keyed |= entry_column[hit]
    del entry_column, hit
    keyed.sort()  # by row, then column
    column = (keyed & ((1 << column_bits) - 1)).astype(np.int32)
    keyed >>= column_bits
    return _csr(keyed, column, np.ones(len(column), dtype=matrix.dtype), (n, n_kept))


def column_keys(counts: sp.csr_matrix, salt: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per column, its positive units and its content hash: the wrapping sum of :func:`entry_hash` (row,
    value + ``salt``) over its entries, a block of about a quarter of ``_HASH_ENTRIES`` entries of the rows at a time.

    The canonical column order is ``np.lexsort((content, units))``: the same for any order of the columns.
    """
    indptr, indices, data = counts.indptr, counts.indices, counts.data
    units = column_counts(indices, counts.shape[1])
    content = np.zeros(len(units), dtype=np.uint64)
    for lo, hi in indptr_blocks(indptr, _quarter()):  # a quarter block: the hash has several temporaries per entry
        start, stop = int(indptr[lo]), int(indptr[hi])
        if start == stop:
            continue
        rows = np.repeat(np.arange(lo, hi, dtype=np.uint64), np.diff(indptr[lo : hi + 1]))
        values = data[start:stop]
        values = values if not salt else values.astype(np.uint64) + np.uint64(salt)
        np.add.at(content, indices[start:stop], entry_hash(rows, values))  # wrapping sums: any grouping
    return units, content


def _pair_keys(matrix, row_bits: int) -> np.ndarray:
    """Every pair entry of ``matrix`` (sorted column indices) as one int64: (a * L + b) << row_bits | row,
    written into one array, rows of one width at a time."""
    n_cols = matrix.shape[1]
    per_row = np.diff(matrix.indptr)
    keyed = np.empty(int((per_row.astype(np.int64) * (per_row - 1) // 2).sum()), dtype=np.int64)
    at = 0
    for width in np.unique(per_row[per_row >= 2]).tolist():
        first, second = np.triu_indices(width, 1)
        every = np.flatnonzero(per_row == width)
        step = max(1, _HASH_ENTRIES // len(first))  # rows at a time: temporaries of about _HASH_ENTRIES words
        for lo in range(0, len(every), step):
            members = every[lo : lo + step]
            cols = matrix.indices[matrix.indptr[members][:, None] + np.arange(width)].astype(np.int64)
            block = (cols[:, first] * n_cols + cols[:, second]) << row_bits
            block |= members[:, None]
            keyed[at : at + block.size] = block.ravel()
            at += block.size
    return keyed


def _kept(codes: np.ndarray, min_units: int, all_up_to: int | None) -> tuple[np.ndarray, np.ndarray, int]:
    """For pair ``codes`` in sorted order: each entry's column among the kept pairs, whether its pair is
    kept, and how many are (pairs on at least ``min_units`` units, as :func:`pair_columns` says)."""
    new = np.empty(len(codes), dtype=bool)
    new[:1] = True
    np.not_equal(codes[1:], codes[:-1], out=new[1:])
    units = np.diff(np.append(np.flatnonzero(new), len(new)))  # units per pair: a row lists each pair once
    if all_up_to is not None and len(units) > all_up_to:
        min_units = max(min_units, 2)
    keep = units >= min_units
    column = np.cumsum(keep) - 1
    column = column.astype(small_dtype(len(column)))
    return np.repeat(column, units), np.repeat(keep, units), int(keep.sum())


def _csr(row, column, values, shape) -> sp.csr_matrix:
    """The CSR matrix of entries sorted by row (and column within a row)."""
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=shape[0]), out=indptr[1:])
    return sp.csr_matrix((values, column.astype(np.int32), indptr), shape=shape)


def _sort_order(keys: np.ndarray, bound: int) -> np.ndarray:
    """The stable sorting order of nonnegative int ``keys`` below ``bound``: one plain sort of the keys
    shifted up with each entry's position in the low bits when they fit in 63 bits, else an argsort."""
    shift = max(len(keys) - 1, 1).bit_length()
    if max(bound - 1, 1).bit_length() + shift > 62:
        return np.argsort(keys, kind="stable")
    keyed = (keys.astype(np.int64) << shift) | np.arange(len(keys), dtype=np.int64)
    keyed.sort()
    return keyed & ((1 << shift) - 1)
