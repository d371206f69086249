"""A workspace file: which data (name and content hash), its tasks, its column roles and its split config.

The Export page writes it and reads it back; ``python -m core split --config`` reads its split config.
Loaded on the same data (the same content hash), it restores the tasks, roles and split; on other data it
says which data it was made for. The split config inside is :meth:`SplitConfig.to_dict` under ``config``.

.. code-block:: json

    {"format": "tasksplit.Workspace", "version": 1,
     "data": {"name": "mine.csv", "digest": "3f2a...", "rows": 2000, "columns": 11},
     "tasks": [{"name": "employed", "columns": ["employed"], "kind": "binary"}],
     "roles": {"group": "person_id", "time": "year", "id": null},
     "config": {"strategy": "group", "n_folds": 5, "seed": 0, "group_column": "person_id", ...}}
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..data import Dataset
from ..errors import ConfigError, DataError, TaskSplitError
from ..splits import SplitConfig
from ..tasks import Task

__all__ = ["WORKSPACE_FORMAT", "WORKSPACE_VERSION", "Workspace", "read_split_config", "is_workspace", "check_tasks"]

WORKSPACE_FORMAT = "tasksplit.Workspace"
WORKSPACE_VERSION = 1


@dataclass(frozen=True, kw_only=True)
class Workspace:
    """The work on one dataset: which data, its tasks, its column roles and its split.

    Examples
    --------
    >>> from core.data import load_builtin
    >>> data = load_builtin("penguins")
    >>> saved = Workspace.of(data, data.tasks, SplitConfig(n_folds=5))
    >>> back = Workspace.from_json(saved.to_json())
    >>> back == saved, back.fits(data), back.config.n_folds
    (True, True, 5)
    """

    data_name: str
    data_digest: str  # Dataset.fingerprint: a content hash of the table
    rows: int
    columns: int
    tasks: tuple[Task, ...]
    group_column: str | None
    time_column: str | None
    id_column: str | None
    config: SplitConfig

    @classmethod
    def of(cls, dataset: Dataset, tasks: Sequence[Task], config: SplitConfig) -> Workspace:
        """The workspace of ``dataset`` with these tasks and split."""
        return cls(data_name=dataset.name, data_digest=dataset.fingerprint, rows=dataset.n_rows,
                   columns=dataset.frame.shape[1], tasks=tuple(tasks), group_column=dataset.group_column,
                   time_column=dataset.time_column, id_column=dataset.id_column, config=config)

    def fits(self, dataset: Dataset) -> bool:
        """Whether ``dataset`` is the data this workspace was made on (the same content)."""
        return dataset.fingerprint == self.data_digest

    def made_for(self) -> str:
        """The data this workspace was made on, in words."""
        return (f"{self.data_name} ({self.rows:,} rows × {self.columns:,} columns, "
                f"content hash {self.data_digest[:12]})")

    def to_dict(self) -> dict:
        return {
            "format": WORKSPACE_FORMAT, "version": WORKSPACE_VERSION,
            "data": {"name": self.data_name, "digest": self.data_digest, "rows": self.rows,
                     "columns": self.columns},
            "tasks": [{"name": t.name, "columns": list(t.columns), "kind": t.kind} for t in self.tasks],
            "roles": {"group": self.group_column, "time": self.time_column, "id": self.id_column},
            "config": json.loads(self.config.to_json()),  # a split config file's content, with its version
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str | bytes) -> Workspace:
        """A workspace from :meth:`to_json` output; anything else is a one-line :class:`ConfigError`."""
        values = _json_object(text, "workspace")
        if values.get("format") != WORKSPACE_FORMAT:
            raise ConfigError(
                f'This JSON is not a TaskSplit workspace (no "format": "{WORKSPACE_FORMAT}"); '
                "load one saved from the Export page."
            )
        if values.get("version") != WORKSPACE_VERSION:
            raise ConfigError(f"Workspace version {values.get('version')!r} is not supported; "
                              f"this TaskSplit reads version {WORKSPACE_VERSION}.")
        try:
            data, roles = values["data"], values.get("roles") or {}
            tasks = tuple(Task(str(t["name"]), tuple(t["columns"]), str(t["kind"])) for t in values["tasks"])
            workspace = cls(data_name=str(data["name"]), data_digest=str(data["digest"]),
                            rows=int(data["rows"]), columns=int(data["columns"]), tasks=tasks,
                            group_column=_column(roles, "group"), time_column=_column(roles, "time"),
                            id_column=_column(roles, "id"), config=SplitConfig.from_json(json.dumps(values["config"])))
        except TaskSplitError:
            raise
        except (KeyError, TypeError, ValueError) as error:
            detail = f"no {error.args[0]!r}" if isinstance(error, KeyError) else str(error).split("\n")[0]
            raise ConfigError(f"The workspace file is incomplete or damaged ({detail}); "
                              "save it again from the Export page.") from None
        return workspace


def _column(roles: Mapping, role: str) -> str | None:
    value = roles.get(role)
    return None if value is None else str(value)


def _json_object(text: str | bytes, what: str) -> dict:
    try:
        values = json.loads(text)
    except (TypeError, ValueError, RecursionError) as error:
        raise ConfigError(f"The {what} is not valid JSON ({str(error)[:80]}); save it again from TaskSplit.") from None
    if not isinstance(values, dict):
        raise ConfigError(f"This JSON is not a TaskSplit {what}; load one saved from the Export page.")
    return values


def is_workspace(text: str | bytes) -> bool:
    """Whether ``text`` is a workspace file (else, perhaps, a split config file).

    Examples
    --------
    >>> is_workspace('{"format": "tasksplit.Workspace"}'), is_workspace(SplitConfig().to_json()), is_workspace("{")
    (True, False, False)
    """
    try:
        values = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return False
    return isinstance(values, dict) and values.get("format") == WORKSPACE_FORMAT


def read_split_config(text: str | bytes) -> SplitConfig:
    """The split config of a workspace file or of a split config file (both as TaskSplit writes them).

    Examples
    --------
    >>> from core.data import load_builtin
    >>> data = load_builtin("penguins")
    >>> read_split_config(Workspace.of(data, data.tasks, SplitConfig(seed=4)).to_json()).seed
    4
    >>> read_split_config(SplitConfig(seed=5).to_json()).seed
    5
    """
    return Workspace.from_json(text).config if is_workspace(text) else SplitConfig.from_json(text)


def check_tasks(workspace: Workspace, dataset: Dataset) -> None:
    """Raise a one-line :class:`DataError` when a task names a column ``dataset`` does not have."""
    columns = set(map(str, dataset.frame.columns))
    for task in workspace.tasks:
        missing = [c for c in task.columns if c not in columns]
        if missing:
            raise DataError(f"Task '{task.name}' of the workspace needs column '{missing[0]}', which "
                            f"{dataset.name} does not have; load the workspace on the data it was made for.")
