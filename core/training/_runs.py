"""Runs that last: one folder per training run, written by the trainer as it trains and read back by anyone.

A run folder holds four files::

    config.json     what was trained on and how (data, tasks, split digest, train and model config)
    history.jsonl   one epoch record per line, appended after every epoch (a reader may poll it)
    metrics.json    when the run ends: test and val metrics, each task's best val metric and its epoch,
                    where early stopping fired, and the baselines' metrics when they were trained
    status          one word: running, done, cancelled or failed

:class:`RunWriter` writes a folder (the command line's ``--runs-dir`` and the
dashboard both use it through ``fit_run``, in ``_fit_run.py``); :func:`read_run` and
:func:`list_runs` read folders back, a live one included: a half-written last
line of the history is skipped, not an error. The runs table and its summary
over seeds (``runs_frame``, ``seed_summary``) are in ``_runs_table.py``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..model import ModelConfig
from ..tasks import Task
from ._baselines import Baselines
from ._metrics import LOWER_IS_BETTER, PRIMARY_METRIC
from ._records import EpochRecord, TrainConfig, TrainResult
from ._transfer_gain import transfer_gain_from_metrics

__all__ = [
    "RUN_STATUSES",
    "RunWriter",
    "RunRecord",
    "check_runs_dir",
    "run_config",
    "run_metrics",
    "read_run",
    "list_runs",
    "best_val_metrics",
    "split_digest",
]

RUN_STATUSES = ("running", "done", "cancelled", "failed")
CONFIG, HISTORY, METRICS, STATUS = "config.json", "history.jsonl", "metrics.json", "status"
_RECORD_FIELDS = frozenset(f.name for f in fields(EpochRecord))  # a line's other keys (a newer writer's) are ignored


# --------------------------------------------------------------------------- the folder


def check_runs_dir(runs_dir: str | os.PathLike, *, create: bool = False) -> Path:
    """The runs folder as a Path; made when ``create``; a file in its place, or a folder that cannot be made, is a
    one-line :class:`~core.errors.ConfigError`.

    Examples
    --------
    >>> import tempfile
    >>> check_runs_dir(Path(tempfile.mkdtemp()) / "runs", create=True).is_dir()
    True
    """
    path = Path(runs_dir).expanduser()
    if path.exists() and not path.is_dir():
        raise ConfigError(f"The runs folder '{runs_dir}' is a file, not a folder; give a folder for the runs "
                          "(it is made if missing).")
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(f"The runs folder '{runs_dir}' cannot be made ({error.strerror or error}); "
                              "give a folder you can write to.") from None
        if not os.access(path, os.W_OK):
            raise ConfigError(f"The runs folder '{runs_dir}' is not writable; give a folder you can write to.")
    return path


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file and rename it over ``path``: a reader never sees half a file."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _strict(value):
    """``value`` with NaN and inf as None, so it serialises as strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _strict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_strict(v) for v in value]
    if isinstance(value, np.generic):
        return _strict(value.item())
    return value


def _dumps(value, indent: int | None = 2) -> str:
    return json.dumps(_strict(value), indent=indent, allow_nan=False)


def split_digest(assignment) -> str:
    """A short content hash of a split assignment (one split name per row), so a run names the split it used.

    Examples
    --------
    >>> split_digest(["train", "test"]) == split_digest(pd.Series(["train", "test"]))
    True
    """
    values = np.asarray(assignment, dtype=object).ravel()
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if (codes < 0).any():  # missing values: str() each row as before (rare; the fast path maps them alike)
        names = "\n".join(pd.Series(values).astype(str))
    else:  # str() once per split name, not per row: 336,776 rows in ~20 ms instead of ~210 ms, same text
        names = "\n".join(np.asarray([str(u) for u in uniques], dtype=object)[codes])
    return hashlib.sha256(names.encode("utf-8")).hexdigest()[:16]


def run_config(
    tasks: Sequence[Task],
    config: TrainConfig,
    model_config: ModelConfig,
    *,
    data: Mapping | None = None,
    split: Mapping | None = None,
    feature_columns: Sequence[str] | None = None,
    baselines: Sequence[str] = (),
) -> dict:
    """The content of a run's ``config.json``: tasks, train and model config, data, split, features, baselines.

    Examples
    --------
    >>> config = run_config([Task("y", ("y",), "binary")], TrainConfig(seed=3), ModelConfig())
    >>> config["train"]["seed"], config["tasks"][0]["kind"]
    (3, 'binary')
    """
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": dict(data or {}),
        "split": dict(split or {}),
        "tasks": [{"name": t.name, "columns": list(t.columns), "kind": t.kind} for t in tasks],
        "train": config.to_dict(),
        "model": model_config.to_dict(),
        "features": None if feature_columns is None else [str(c) for c in feature_columns],
        "baselines": list(baselines),
    }


def _design(config: Mapping) -> str:
    return str(config.get("model", {}).get("architecture", "hard"))


def _run_name(config: Mapping) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    train_config = config.get("train", {})
    return (f"{stamp}-{_design(config)}-{train_config.get('weighting', 'equal')}-s{train_config.get('seed', 0)}"
            f"-{uuid.uuid4().hex[:6]}")


class RunWriter:
    """Writes one run's folder: ``config.json`` and ``status`` at once, a history line per epoch, metrics at the end.

    Examples
    --------
    >>> import tempfile
    >>> writer = RunWriter(tempfile.mkdtemp(), run_config([Task("y", ("y",), "binary")], TrainConfig(), ModelConfig()))
    >>> read_run(writer.path).status
    'running'
    """

    def __init__(self, runs_dir: str | os.PathLike, config: Mapping, *, name: str | None = None):
        root = check_runs_dir(runs_dir, create=True)
        self.path = root / (name or _run_name(config))
        self.path.mkdir()
        _write_atomic(self.path / CONFIG, _dumps(config))
        (self.path / HISTORY).touch()
        self._status("running")

    def _status(self, status: str) -> None:
        _write_atomic(self.path / STATUS, status + "\n")

    def on_epoch(self, record: EpochRecord) -> None:
        """Append one epoch as a line of ``history.jsonl`` (written whole, then flushed)."""
        with open(self.path / HISTORY, "a", encoding="utf-8") as history:
            history.write(_dumps(record.to_dict(), indent=None) + "\n")
            history.flush()

    def finish(self, result: TrainResult, baselines: Baselines | None = None) -> dict:
        """Write ``metrics.json`` and the final status (done; cancelled when stopped by the caller; failed when
        the loss went non-finite); returns the metrics."""
        metrics = run_metrics(result, baselines)
        _write_atomic(self.path / METRICS, _dumps(metrics))
        self._status({"caller": "cancelled", "non_finite": "failed"}.get(result.stopped, "done"))
        return metrics

    def fail(self, message: str) -> None:
        """The run could not train: its reason in ``metrics.json`` and the status ``failed``."""
        _write_atomic(self.path / METRICS, _dumps({"error": message}))
        self._status("failed")


def best_val_metrics(history: Sequence[EpochRecord], kinds: Mapping[str, str]) -> dict[str, dict]:
    """Each task's best val primary metric over the epochs, and the epoch it was reached at (the first, on ties).

    Examples
    --------
    >>> rows = [EpochRecord(epoch=e, seconds=0.0, train_loss={}, val_loss={}, val_metric={"y": m}, weights={},
    ...                     train_total=0.0, val_total=None) for e, m in ((1, 0.6), (2, 0.8), (3, 0.7))]
    >>> best_val_metrics(rows, {"y": "binary"})
    {'y': {'metric': 'roc_auc', 'value': 0.8, 'epoch': 2}}
    """
    best = {}
    for task, kind in kinds.items():
        metric = PRIMARY_METRIC[kind]
        sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
        found = None
        for record in history:
            value = record.val_metric.get(task)
            if value is not None and math.isfinite(value) and (found is None or sign * value > sign * found[0]):
                found = (float(value), int(record.epoch))
        best[task] = {"metric": metric, "value": found[0] if found else None, "epoch": found[1] if found else None}
    return best


def run_metrics(result: TrainResult, baselines: Baselines | None = None) -> dict:
    """The content of ``metrics.json``: test and val metrics, best val per task, early stop, baselines and gains."""
    kinds = result.kinds
    metrics = {
        "test": {task: dict(values) for task, values in result.test.items()},
        "val": {task: dict(values) for task, values in result.val.items()},
        "test_notes": dict(result.test_notes),
        "epochs": len(result.history),
        "best_epoch": result.best_epoch,
        "best_val": best_val_metrics(result.history, kinds),
        "stopped": result.stopped,
        "early_stop_epoch": result.history[-1].epoch if result.stopped == "early_stopping" and result.history else None,
        "message": result.message,
        "divergence": result.divergence,
        "baselines": None if baselines is None else baselines.to_dict(),
    }
    if baselines is not None:
        metrics["delta_m"] = {name: transfer_gain_from_metrics(result.test, tests, kinds).delta_m
                              for name, tests in baselines.test.items()}
    return metrics


# --------------------------------------------------------------------------- reading


def _record(values: Mapping) -> EpochRecord:
    return EpochRecord(**{k: v for k, v in values.items() if k in _RECORD_FIELDS})


def _history(path: Path) -> tuple[EpochRecord, ...]:
    """The epoch records written so far; a line still being written (no newline yet, or not JSON) is skipped."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    records = []
    for line in text.split("\n")[:-1]:  # the part after the last newline may be half a line
        try:
            records.append(_record(json.loads(line)))
        except (ValueError, TypeError):
            continue
    return tuple(records)


def _json(path: Path) -> dict | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


@dataclass(frozen=True, kw_only=True, eq=False)
class RunRecord:
    """One run as read from its folder: ``status``, ``config``, the ``history`` so far, ``metrics`` once ended."""

    name: str
    path: Path
    status: str
    config: Mapping
    history: tuple[EpochRecord, ...]
    metrics: Mapping | None

    @property
    def design(self) -> str:
        return _design(self.config)

    @property
    def weighting(self) -> str:
        return str(self.config.get("train", {}).get("weighting", "equal"))

    @property
    def seed(self) -> int:
        return int(self.config.get("train", {}).get("seed", 0))

    @property
    def kinds(self) -> dict[str, str]:
        return {str(t["name"]): str(t["kind"]) for t in self.config.get("tasks", [])}

    @property
    def setting(self) -> str:
        """A short hash of everything in the config but the seed and the time: runs that differ only by seed share it."""
        config = {k: v for k, v in self.config.items() if k != "created"}
        config["train"] = {k: v for k, v in config.get("train", {}).items() if k != "seed"}
        return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:10]

    @property
    def best_val(self) -> dict[str, dict]:
        """Each task's best val metric and epoch: from the metrics once ended, from the history so far before."""
        if self.metrics and "best_val" in self.metrics:
            return dict(self.metrics["best_val"])
        return best_val_metrics(self.history, self.kinds)

    @property
    def early_stop_epoch(self) -> int | None:
        return (self.metrics or {}).get("early_stop_epoch")

    def history_frame(self) -> pd.DataFrame:
        """Tidy: ``run``, ``epoch``, ``task``, ``part`` (train/val), ``loss``, and the val ``metric`` (val rows)."""
        rows = [(self.name, r.epoch, task, part, loss, r.val_metric.get(task) if part == "val" else None)
                for r in self.history for part, losses in (("train", r.train_loss), ("val", r.val_loss))
                for task, loss in losses.items()]
        return pd.DataFrame(rows, columns=["run", "epoch", "task", "part", "loss", "metric"])


def read_run(path: str | os.PathLike) -> RunRecord:
    """Read one run folder (live or ended); a folder without a readable ``config.json`` is a ConfigError.

    Examples
    --------
    >>> import tempfile
    >>> writer = RunWriter(tempfile.mkdtemp(), run_config([Task("y", ("y",), "binary")], TrainConfig(), ModelConfig()))
    >>> read_run(writer.path).history, read_run(writer.path).metrics is None
    ((), True)
    """
    path = Path(path)
    config = _json(path / CONFIG)
    if config is None:
        raise ConfigError(f"'{path}' is not a run folder (no readable {CONFIG}); pick a folder a run wrote.")
    try:
        status = (path / STATUS).read_text(encoding="utf-8").strip() or "running"
    except OSError:
        status = "running"
    return RunRecord(name=path.name, path=path, status=status if status in RUN_STATUSES else "failed",
                     config=config, history=_history(path / HISTORY), metrics=_json(path / METRICS))


def list_runs(runs_dir: str | os.PathLike) -> tuple[RunRecord, ...]:
    """Every run in ``runs_dir``, oldest first (by folder name); no folder yet means no runs.

    Examples
    --------
    >>> import tempfile
    >>> list_runs(Path(tempfile.mkdtemp()) / "none yet")
    ()
    """
    root = check_runs_dir(runs_dir)
    if not root.exists():
        return ()
    runs = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            runs.append(read_run(folder))
        except ConfigError:
            continue  # not a run (or one whose config is still being renamed into place)
    return tuple(runs)
