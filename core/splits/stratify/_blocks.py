"""Sums over the sparse counts a block of rows at a time: per split, per column, row products.

:mod:`core.splits.stratify._balance` and :mod:`core.splits.stratify._repair` read the counts through these, so
that no step holds a float copy of a large matrix (1M rows x 10,000 labels, 5M groups x 45 columns).
"""

from __future__ import annotations

import functools
import sys

import numpy as np
import scipy.sparse as sp

__all__ = [
    "give_back_freed", "indptr_blocks", "kept_columns", "kept_split_counts", "permuted_columns", "row_blocks",
    "row_products", "small_dtype", "split_counts",
]  # fmt: skip

_BLOCK_ENTRIES = 1 << 18  # sparse products read the counts this many entries at a time (a float copy: 2 MiB)
_SPLIT_CELLS = 1 << 21  # split_counts with more columns x splits goes one split at a time (less memory)


def _square_sums(matrix: sp.csr_matrix) -> np.ndarray:
    """Per row, the sum of its squared counts (float64; whole numbers, exact in any order). One reduceat over the
    rows that hold entries (no row index per entry to repeat and bincount: ~1.7x faster; the polish's shortlists
    make it for every block of rows in every round).

    Examples
    --------
    >>> _square_sums(sp.csr_matrix(np.array([[1, 2], [0, 0], [3, 0]]))).tolist()
    [5.0, 0.0, 9.0]
    """
    start = int(matrix.indptr[0])
    values = matrix.data[start : int(matrix.indptr[-1])].astype(np.float64)
    values *= values
    out = np.zeros(matrix.shape[0])
    full = np.flatnonzero(np.diff(matrix.indptr))
    if full.size:
        out[full] = np.add.reduceat(values, matrix.indptr[full] - start)
    return out


def kept_columns(counts: sp.csr_matrix, chosen: np.ndarray) -> sp.csr_matrix:
    """``counts[:, np.flatnonzero(chosen)]`` (the same entries in the same order), written a block of about
    ``_BLOCK_ENTRIES`` entries at a time into arrays of the kept entries' size: no mask, index or copy of
    every entry of ``counts`` (at a million rows with 800,000 pair columns those were 90 MiB).

    Examples
    --------
    >>> kept_columns(sp.csr_matrix(np.array([[1, 2, 0], [0, 3, 4]])), np.array([True, False, True])).toarray().tolist()
    [[1, 0], [0, 4]]
    """
    indptr, indices, n = counts.indptr, counts.indices, counts.shape[0]
    blocks = row_blocks(counts)
    kept_ptr = np.zeros(n + 1, dtype=np.int64)
    for lo, hi in blocks:  # kept entries per row
        start, stop = int(indptr[lo]), int(indptr[hi])
        rows = np.repeat(np.arange(hi - lo), np.diff(indptr[lo : hi + 1]))
        kept_ptr[lo + 1 : hi + 1] = np.bincount(rows[chosen[indices[start:stop]]], minlength=hi - lo)
    np.cumsum(kept_ptr, out=kept_ptr)
    number = (np.cumsum(chosen) - 1).astype(np.int32)  # a kept column's new index
    kept_indices = np.empty(int(kept_ptr[-1]), dtype=np.int32)
    kept_data = np.empty(int(kept_ptr[-1]), dtype=counts.data.dtype)
    for lo, hi in blocks:
        start, stop = int(indptr[lo]), int(indptr[hi])
        columns = indices[start:stop]
        keep = chosen[columns]
        kept_indices[kept_ptr[lo] : kept_ptr[hi]] = number[columns[keep]]
        kept_data[kept_ptr[lo] : kept_ptr[hi]] = counts.data[start:stop][keep]
    return sp.csr_matrix((kept_data, kept_indices, kept_ptr), shape=(n, int(chosen.sum())))


def kept_split_counts(counts: sp.csr_matrix, chosen: np.ndarray, assignment: np.ndarray, k: int) -> np.ndarray:
    """``split_counts(kept_columns(counts, chosen), assignment, k)`` without the copy: (kept columns, k) units
    per column and split, read a block of rows at a time.

    Examples
    --------
    >>> counts = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1]]))
    >>> kept_split_counts(counts, np.array([True, False, True]), np.array([0, 1]), 2).tolist()
    [[1, 0], [0, 1]]
    """
    indptr, indices = counts.indptr, counts.indices
    number = np.cumsum(chosen) - 1  # a kept column's index among the kept
    n_kept = int(chosen.sum())
    out = np.zeros(n_kept * k, dtype=np.int64)
    for lo, hi in row_blocks(counts, 4 * _BLOCK_ENTRIES):
        start, stop = int(indptr[lo]), int(indptr[hi])
        columns = indices[start:stop]
        keep = chosen[columns]
        split = np.repeat(assignment[lo:hi], np.diff(indptr[lo : hi + 1]))[keep]
        out += np.bincount(number[columns[keep]] * k + split, minlength=n_kept * k)
    return out.reshape(-1, k)


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None (another C library or platform, or a Python without ctypes). Looked up
    once, in the running process's own symbols (no ``find_library``: it runs ldconfig in a subprocess)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes  # here: a Python built without _ctypes still imports the package

        trim = ctypes.CDLL(None).malloc_trim
    except (ImportError, OSError, AttributeError):  # no ctypes, no C library, no such symbol (musl)
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def give_back_freed() -> None:
    """Return the memory freed arrays left in glibc's heap to the system (a no-op elsewhere).

    glibc raises its mmap threshold to the size of each large block freed (up to 32 MiB), so once a few
    MiB-sized arrays are freed, later ones of that size come from its heap, and memory freed there stays
    resident: at 1M x 10,000 order 2, the wave deal's batch sort left about 25 MiB of freed keys resident
    through the deal (peak RSS rise 83 MiB; 56 MiB given back). A call walks the heap once (about a millisecond
    there; longer on a large heap), so only the made-rows path of order 2 calls it, twice a split.

    Examples
    --------
    >>> give_back_freed()
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def small_dtype(largest: int) -> type:
    """int32 for integers from -1 up to ``largest`` when it fits (below 2**31), else int64: the same values in
    half the memory.

    Examples
    --------
    >>> small_dtype(10**6).__name__, small_dtype(2**31).__name__
    ('int32', 'int64')
    """
    return np.int32 if largest < 2**31 else np.int64


def row_blocks(matrix: sp.csr_matrix, entries: int = _BLOCK_ENTRIES) -> list[tuple[int, int]]:
    """Ranges of rows of ``matrix`` holding about ``entries`` entries each, covering every row."""
    return indptr_blocks(matrix.indptr, entries)


def indptr_blocks(indptr: np.ndarray, entries: int = _BLOCK_ENTRIES) -> list[tuple[int, int]]:
    """:func:`row_blocks` of the CSR rows whose row pointers are ``indptr``.

    Examples
    --------
    >>> indptr_blocks(np.array([0, 2, 2, 5, 6]), 3)
    [(0, 2), (2, 4)]
    """
    cuts = np.searchsorted(indptr, np.arange(0, indptr[-1], entries), side="right") - 1
    cuts = np.unique(np.r_[0, cuts, len(indptr) - 1]).tolist()
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def row_products(matrix: sp.csr_matrix, dense: np.ndarray) -> np.ndarray:
    """``matrix @ dense`` a block of rows at a time: the same values (each row's sum is its own, in the
    same order), without a float copy of the whole of an integer ``matrix``."""
    # A few entries against many dense rows: the touched path sorts the entries (np.unique, several steps per
    # entry) and gathers their rows, where scipy copies every row of a strided ``dense``; at 8 times fewer
    # entries than rows the sort is the smaller (the pair polish's pulls: hundreds of entries, 806,000 rows).
    # Either way gives the same sums; 8 is a margin, not a tuned figure.
    if matrix.nnz * 8 < dense.shape[0]:
        return _touched_product(matrix, dense)
    if matrix.dtype == np.float64 or matrix.nnz <= _BLOCK_ENTRIES:
        return np.asarray(matrix @ dense)
    out = np.empty((matrix.shape[0],) + dense.shape[1:])
    for lo, hi in row_blocks(matrix):
        out[lo:hi] = matrix[lo:hi] @ dense
    return out


def _touched_product(matrix: sp.csr_matrix, dense: np.ndarray) -> np.ndarray:
    """``matrix @ dense`` from the rows of ``dense`` that ``matrix`` has entries in: the same sums in the same
    order (each row's entries as they are), without scipy's contiguous copy of a whole strided ``dense``
    (the pair polish's two split columns of 806,000 pair deviations: 12 MiB per exchange)."""
    touched, compact = _compact_touched(matrix)
    return np.asarray(compact @ dense[touched])


def _compact_touched(matrix: sp.csr_matrix) -> tuple[np.ndarray, sp.csr_matrix]:
    """The columns ``matrix`` has entries in (sorted), and ``matrix`` with only those columns, numbered in that
    order: ``compact @ dense[touched]`` is ``matrix @ dense``, each row's entries as they are."""
    touched, column = np.unique(matrix.indices, return_inverse=True)
    compact = sp.csr_matrix((matrix.data, column.reshape(-1).astype(np.int32), matrix.indptr), shape=(matrix.shape[0], len(touched)))
    return touched, compact


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
    weights = weights and not _broadcast_ones(counts)  # every count 1: the sums are the units (no float weights)
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
    ones = _broadcast_ones(counts)  # the counts are the units
    small = np.int8 if k < 128 else np.int64  # a block's split per entry: 1 MiB, not 8
    for lo, hi in row_blocks(counts, 4 * _BLOCK_ENTRIES):
        start, stop = int(indptr[lo]), int(indptr[hi])
        split_of = np.repeat(assignment[lo:hi].astype(small), np.diff(indptr[lo : hi + 1]))
        indices = counts.indices[start:stop]
        values = counts.data[start:stop] if weights and not ones else None
        for split in range(k):
            chosen = split_of == split
            out[:, split] += np.bincount(indices[chosen], weights=None if values is None else values[chosen], minlength=n_cols)
    return out


def _broadcast_ones(counts: sp.csr_matrix) -> bool:
    """Whether every count of ``counts`` is one broadcast 1 (the pair build writes no value per entry)."""
    return counts.data.strides == (0,) and bool((counts.data[:1] == 1).all())


def _column_split_sums(counts: sp.csr_matrix, assignment: np.ndarray, k: int, norms: bool, out: np.ndarray):
    """Per column its total, written to ``out`` (L, k) its sum per split, and per unit its sum of squares (if
    ``norms``, else None): float64 sums of whole numbers (exact in any order), a block of rows at a time."""
    per_split = split_counts(counts, assignment, k, weights=True, out=out)
    norm = None
    if norms and _broadcast_ones(counts):  # every count 1: a row's squares sum to its length
        norm = np.diff(counts.indptr).astype(np.float64)
    elif norms:
        norm = np.concatenate([_square_sums(counts[lo:hi]) for lo, hi in row_blocks(counts, 4 * _BLOCK_ENTRIES)])
    return per_split.sum(axis=1), norm


def permuted_columns(counts: sp.csr_matrix, columns: np.ndarray) -> sp.csr_matrix:
    """Columns reordered so that column i is ``columns[i]``, indices sorted per row.

    Examples
    --------
    >>> permuted_columns(sp.csr_matrix(np.array([[1, 2, 0], [0, 3, 4]])), np.array([2, 0, 1])).toarray().tolist()
    [[0, 1, 2], [4, 0, 3]]
    """
    position = np.empty(len(columns), dtype=counts.indices.dtype)
    position[columns] = np.arange(len(columns), dtype=counts.indices.dtype)
    permuted = sp.csr_matrix((counts.data.copy(), position[counts.indices], counts.indptr), shape=counts.shape)
    permuted.sort_indices()
    return permuted
