"""What the sklearn splitters stratify on: ``y`` read as 0/1 indicator columns (:func:`read_targets`).

``y`` comes in the forms sklearn users pass it:

- 1-D (a list, array or Series; an ``(n, 1)`` array too): one binary or multiclass task, as
  sklearn's ``type_of_target`` reads it; a continuous ``y`` is binned into quintiles;
- a 0/1 matrix, dense or scipy sparse: a multi-label set, one indicator column per label;
- a 2-D array: one task per column, read as a 1-D ``y`` is;
- a DataFrame: one task per column, each column's kind inferred as :func:`core.tasks.infer_kind`
  does (binary, multiclass, ``a|b`` multilabel text, or regression, binned into quintiles).

NaN/None (and infinite numbers) are missing labels: that row gives no indicator for that task.
Bools or ints with missing labels (object columns) are tasks as their typed columns are. A fully
labelled two-class task column keeps only its minority class (ties: the first row's class), so
renaming its labels changes nothing; a 0/1 matrix is a label set and keeps its 1s. Labels are named
``task=value`` through :func:`core.tasks.label_names`, as the indicator matrix's are: a DataFrame whose columns
``a`` (value ``b=1``) and ``a=b`` (value ``1``) would both name a label ``a=b=1`` is one :class:`DataError`.

Below that, what every splitter shares: its generator (:func:`make_rng`), its units (rows, or
whole groups: :func:`units_of`) and the engine's deal of them (:func:`stratified_split`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils.multiclass import type_of_target

from ..errors import ConfigError, DataError
from ..tasks import Task, encode, indicator_block, infer_kind, label_name, label_names, quantile_bins
from ._units import Units, fill_empty_splits, make_units, rare_class_note
from .stratify import stratify
from .stratify._sorted import small_binary

__all__ = ["Targets", "read_targets", "n_samples", "make_rng", "check_order", "units_of", "stratified_split"]

N_BINS = 5  # quantile bins of a continuous (regression) column, as SplitConfig's default


@dataclass(frozen=True, eq=False)
class Targets:
    """``y`` as indicator columns.

    ``Y`` is a CSR (or, for a small 0/1 matrix, dense bool) matrix with one column per
    indicator, named by ``labels``. ``classes`` is set when ``y`` is one fully labelled binary or
    multiclass task given as 1-D: each row's class code in order of first appearance (as sklearn's
    ``StratifiedKFold`` encodes it); it is None for multi-label, multi-task or holey ``y``.
    """

    Y: sp.csr_matrix | np.ndarray
    labels: list[str]
    classes: np.ndarray | None = None

    @property
    def class_counts(self) -> np.ndarray | None:
        return None if self.classes is None else np.bincount(self.classes)


def read_targets(y, n_rows: int, name: str = "y") -> Targets:
    """``y`` as indicator columns, one label row per sample of X (``n_rows``).

    Examples
    --------
    >>> targets = read_targets(["b", "a", "b", "b"], 4)
    >>> targets.labels, targets.classes.tolist()
    (['y=a'], [0, 1, 0, 0])
    """
    if y is None:
        raise ConfigError(f"{name} is required: these splitters stratify on the labels, so pass {name}.")
    if isinstance(y, str):
        raise DataError(f"{name}={y!r} is a string, not labels; pass the labels, e.g. frame[{y!r}].")
    targets = _read(y, name)
    if targets.Y.shape[0] != n_rows:
        raise DataError(f"{name} has {targets.Y.shape[0]} rows but X has {n_rows}; pass one label row per sample.")
    return targets


def _read(y, name: str) -> Targets:
    if isinstance(y, np.ndarray) and y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]  # a column vector is 1-D y, as sklearn's column_or_1d reads it
    binary = _binary_matrix_indicators(y)
    if binary is not None:
        return Targets(*binary)
    if sp.issparse(y):
        y = y.toarray()
    if isinstance(y, pd.DataFrame):
        return _frame_targets(y)
    if isinstance(y, pd.Series):
        column = y.reset_index(drop=True)
    else:
        try:
            values = np.asarray(y)
        except ValueError:  # rows of different lengths: label sets
            raise DataError(_label_lists(name)) from None
        if values.ndim == 2 and values.shape[1] != 1:
            return _columns_targets([pd.Series(values[:, j]) for j in range(values.shape[1])])
        if values.ndim not in (1, 2):
            raise DataError(f"{name} has shape {values.shape}; pass 1-D labels or one task per column.")
        column = pd.Series(values.reshape(len(values), -1)[:, 0] if values.ndim == 2 else values)
    block, classes, codes = _column_indicators(column, "y", name)
    return Targets(block, [label_name("y", value) for value in classes], codes)


def _columns_targets(columns: list[pd.Series], names: list[str] | None = None) -> Targets:
    blocks, classes_of = [], []
    for position, column in enumerate(columns):
        name = names[position] if names else str(position)
        block, classes, _ = _column_indicators(column, name)
        blocks.append(block)
        classes_of.append((name, classes))
    return Targets(sp.hstack(blocks, format="csr", dtype=np.uint8), label_names(classes_of))


def _frame_targets(frame: pd.DataFrame) -> Targets:
    """One task per column, each of the kind :func:`core.tasks.infer_kind` gives it."""
    names = [str(name) for name in frame.columns]
    if len(set(names)) != len(names):
        raise DataError("y has two columns of the same name; give each task column its own name.")
    frame = frame.set_axis(names, axis=1).reset_index(drop=True)
    blocks, classes_of = [], []
    for name in names:
        column = frame[name]
        if column.dropna().nunique() < 2:  # one class says nothing (as sklearn's StratifiedKFold reads it)
            block, classes, _ = _column_indicators(column, name)
        else:
            kind = infer_kind(frame, name)
            if kind in ("regression", "multilabel"):
                encoded = encode(frame, Task(name, (name,), kind), n_bins=N_BINS)
                block, classes = indicator_block(encoded), encoded.classes
            else:
                block, classes, _ = _column_indicators(column, name)
        blocks.append(block)
        classes_of.append((name, classes))
    return Targets(sp.hstack(blocks, format="csr", dtype=np.uint8), label_names(classes_of))


def _binary_matrix_indicators(y) -> tuple[sp.csr_matrix | np.ndarray, list[str]] | None:
    """A 2-D 0/1 matrix (integer, bool or float; dense or sparse) as its label columns; else None.

    A label set: each column's 1s are balanced (and with them, as fold sizes are exact, its 0s).
    Columns all 0 or all 1 say nothing and are dropped. A small matrix (what the sorted deal takes)
    becomes a dense bool matrix; a larger one is read once in sparse form, so a million-row
    multi-label set costs what its positives cost.
    """
    if not (sp.issparse(y) or (isinstance(y, np.ndarray) and y.ndim == 2 and y.dtype.kind in "biuf")):
        return None
    binary = small_binary(y)
    if binary is not None:
        keep = _informative(binary.sum(axis=0), binary.shape[0])
        return (binary if keep.size == binary.shape[1] else binary[:, keep]), _label_names(keep)
    if sp.issparse(y):
        Y = sp.csr_matrix(y)
        values = Y.data
    else:
        Y, values = None, y
    if values.size and not (((values == 0) | (values == 1)).all() if values.dtype.kind == "f" else
                            (values.min() >= 0 and values.max() <= 1)):  # fmt: skip
        return None
    Y = sp.csr_matrix(y, dtype=np.uint8) if Y is None else Y.astype(np.uint8)
    Y.eliminate_zeros()
    keep = _informative(np.asarray(Y.sum(axis=0)).ravel(), Y.shape[0])
    return (Y if keep.size == Y.shape[1] else Y[:, keep]), _label_names(keep)


def _informative(counts, n: int) -> np.ndarray:
    """The columns holding both 0s and 1s, from their counts of 1s in ``n`` rows."""
    return np.flatnonzero((counts > 0) & (counts < n))


def _label_names(columns) -> list[str]:
    return [label_name(str(j), "1") for j in columns]


def _label_lists(name: str) -> str:
    return (f"{name} holds a list of labels per row; pass a 0/1 matrix (sklearn's MultiLabelBinarizer "
            "makes one) or a DataFrame of task columns.")


def _column_indicators(
    column: pd.Series, name: str, argument: str = "y"
) -> tuple[sp.csr_matrix, list[str], np.ndarray | None]:
    """One task column's indicator block, its class names and, when fully labelled and not binned,
    each row's class code in order of first appearance (else None). Infinite numbers are missing
    labels, as in a binned column."""
    if column.dtype.kind == "f":
        column = column.replace([np.inf, -np.inf], np.nan)
    try:
        codes, classes = pd.factorize(column, use_na_sentinel=True)
    except TypeError:  # unhashable values: each row a list of labels
        raise DataError(_label_lists(argument)) from None
    observed = column[codes >= 0]
    if observed.empty:
        raise DataError(f"Label column {name} has no labelled rows; drop it or fill it.")
    kind = type_of_target(_one_type(observed, name))
    if kind == "continuous":
        return _binned_indicators(column, name)
    if kind not in ("binary", "multiclass"):
        raise DataError(
            f"Label column {name} is {kind}; pass one task per column (binary, multiclass or numbers)."
        )
    n, k = codes.size, len(classes)
    whole = bool((codes >= 0).all())
    if whole and k <= 2:
        counts = np.bincount(codes, minlength=k)
        if k == 1:
            return sp.csr_matrix((n, 0), dtype=np.uint8), [], codes
        keep = int(np.argmin(counts)) if counts[0] != counts[1] else int(codes[0])
        rows = np.flatnonzero(codes == keep)
        block = sp.csr_matrix((np.ones(rows.size, np.uint8), (rows, np.zeros(rows.size, int))), shape=(n, 1))
        return block, [str(classes[keep])], codes
    rows = np.flatnonzero(codes >= 0)
    block = sp.csr_matrix((np.ones(rows.size, np.uint8), (rows, codes[rows])), shape=(n, k))
    return block, [str(value) for value in classes], (codes if whole else None)


def _one_type(observed: pd.Series, name: str) -> np.ndarray:
    """A column's labels as one numpy type. sklearn calls every object array not of text "unknown",
    but bools or ints with missing labels are objects (read_csv, a mixed frame's ``to_numpy()``)."""
    values = observed.to_numpy()
    types = {type(value).__name__: value for value in values} if values.dtype == object else {}
    if all(isinstance(value, str) for value in types.values()):
        return values
    typed = observed.infer_objects().to_numpy()
    if typed.dtype == object and len(types) > 1:
        raise DataError(
            f"Label column {name} mixes {' and '.join(sorted(types))} labels; make them one type, e.g. .astype(str)."
        )
    return typed


def _binned_indicators(column: pd.Series, name: str) -> tuple[sp.csr_matrix, list[str], None]:
    """A continuous column as its quintile bins (missing: no bin), as core.tasks bins a regression task."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    values = np.where(np.isfinite(values), values, np.nan)
    bins, edges = quantile_bins(values, N_BINS)
    rows = np.flatnonzero(bins >= 0)
    block = sp.csr_matrix((np.ones(rows.size, np.uint8), (rows, bins[rows])), shape=(len(values), len(edges) - 1))
    return block, [f"Q{i + 1}" for i in range(len(edges) - 1)], None


# ---------------------------------------------------------------------------------------------
# the deal the splitters share


def n_samples(X) -> int:
    return int(X.shape[0]) if hasattr(X, "shape") else len(X)


def make_rng(random_state) -> np.random.Generator:
    """None -> fresh entropy, an int -> a generator seeded with it (0 included); a Generator as is;
    a RandomState is drawn from (so successive splits differ, as in sklearn)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**32 - 1, dtype=np.int64))
    if random_state is None or (
        isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool)
    ):
        return np.random.default_rng(random_state)
    raise ConfigError(f"random_state={random_state!r} must be None, an int or a numpy Generator.")


def check_order(order) -> None:
    if isinstance(order, bool) or order not in (1, 2):
        raise ConfigError(f"order={order!r} is not supported; use 1 (labels) or 2 (labels and label pairs).")


def units_of(groups, n_rows: int, required: bool) -> Units:
    if groups is None:
        if required:
            raise ConfigError("The 'groups' parameter should not be None; pass one group per sample to split().")
        return Units(None, np.ones(n_rows, dtype=np.int64), "rows")
    frame = pd.DataFrame({"group": np.asarray(groups).ravel()})
    if len(frame) != n_rows:
        raise DataError(f"groups has {len(frame)} values but X has {n_rows} rows; pass one group per sample.")
    notes: list[str] = []
    units = make_units(frame, "group", notes, setting="groups")
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=5)
    return units


def _unit_labels(targets: Targets, units: Units):
    return targets.Y if units.code is None else sp.csr_matrix(units.membership() @ targets.Y.astype(np.int32))


def stratified_split(
    targets: Targets, units: Units, shares, rng, order: int, names, fair_ties: bool = False
) -> np.ndarray:
    """Each row's split (an index into ``shares``): the engine on the units, every split given a unit
    when there are enough, and a warning naming labels too rare to reach every split. ``rng`` None
    deals in data order; ``fair_ties`` breaks ties for rounded-up rows at random (shuffle splits)."""
    unit_Y = _unit_labels(targets, units)
    shares = np.asarray(shares, dtype=np.float64)
    sizes = None if units.code is None else units.sizes
    unit_split = stratify(unit_Y, shares, rng=rng, sizes=sizes, order=order, fair_ties=fair_ties)
    unit_split = fill_empty_splits(np.asarray(unit_split, dtype=np.int64), units.sizes, shares)
    note = rare_class_note(unit_Y, unit_split, targets.labels, names, shares, units.word)
    if note and targets.classes is None:  # 1-D y was checked as sklearn checks it, before the split
        warnings.warn(note, UserWarning, stacklevel=5)
    return units.rows(unit_split)
