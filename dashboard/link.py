"""The page address carries the dataset, the tasks and the split, so a reload or a shared link
shows the same split.

``?dataset=penguins&task=species:multiclass&task=sex:binary&strategy=stratified&folds=5&seed=3``

An uploaded file is named by its content digest and file name, with its column roles
(``?upload=3f2a…&file=mine.csv&role_group=person_id&role_time=year&role_id=&task=…``): the server
keeps the file's bytes for the session's reloads (``dashboard.state``), and says so plainly when it
no longer has them (a restart). A link that no longer fits (a column renamed, a bad setting) falls
back to the defaults with one warning naming what was dropped.

A large dataset opened by path on the server is named by its path and the rows sampled, with its column
roles (``?path=/data/clicks&sample=200000&role_group=user&…``): a reload opens the same path again (the same
sample, at once while the server has it open) or says plainly why it cannot.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.data import Dataset
from core.errors import ConfigError, TaskSplitError
from core.splits import SplitConfig
from core.tasks import Task, parse_task_spec

# SplitConfig field <-> address parameter; fractions and n_folds are written apart.
_FIELDS = {
    "strategy": "strategy", "seed": "seed", "group_column": "group", "time_column": "time", "gap": "gap",
    "id_column": "id", "split_column": "split_column", "order": "order", "n_bins": "bins", "group_time": "group_time",
}
_INTEGERS = {"seed", "gap", "order", "n_bins"}
ROLES = ("group", "time", "id")  # an upload's column roles, as role_group, role_time, role_id
NOT_SPLIT = {"dataset", "task", "upload", "file", "path", "sample",
             *(f"role_{role}" for role in ROLES)}  # the rest is the split


class LinkError(ConfigError):
    """A value in the page address that cannot be read."""


def task_spec(task: Task) -> str:
    """The command-line form of a task (``col:kind`` or ``name=a+b+c:kind``), which the address carries.

    Examples
    --------
    >>> task_spec(Task("union", ("union",), "binary")), task_spec(Task("tags", ("a", "b"), "multilabel"))
    ('union:binary', 'tags=a+b:multilabel')
    """
    if task.columns == (task.name,):
        return f"{task.name}:{task.kind}"
    return f"{task.name}={'+'.join(task.columns)}:{task.kind}"


def to_params(
    data: Dataset, tasks: tuple[Task, ...], config: SplitConfig, *, upload: tuple[str, str] | None = None,
    large: tuple[str, int] | None = None,
) -> dict[str, str | list[str]]:
    """The address parameters of the current work.

    ``upload`` is ``(content digest, file name)`` of the uploaded file ``data`` was read from; ``large`` is
    ``(path on the server, rows sampled)`` of the large dataset ``data`` samples. A dataset read from neither
    puts nothing in the address.

    Examples
    --------
    >>> from core.data._dataset import load_builtin
    >>> params = to_params(load_builtin("penguins"), (Task("sex", ("sex",), "binary"),), SplitConfig(n_folds=3))
    >>> params["dataset"], params["task"], params["folds"]
    ('penguins', ['sex:binary'], '3')
    """
    if data.builtin:
        params: dict[str, str | list[str]] = {"dataset": data.name}
    elif upload is not None or large is not None:
        params = {"upload": upload[0], "file": upload[1]} if upload else {"path": large[0], "sample": str(large[1])}
        params.update({f"role_{role}": getattr(data, f"{role}_column") or "" for role in ROLES})
    else:
        return {}
    params["task"] = [task_spec(t) for t in tasks]
    defaults = SplitConfig()
    for field, name in _FIELDS.items():
        value = getattr(config, field)
        if value is not None and (value != getattr(defaults, field) or field in ("strategy", "seed")):
            params[name] = str(value)
    if config.n_folds:
        params["folds"] = str(config.n_folds)
    elif dict(config.fractions) != dict(defaults.fractions):
        params["fractions"] = ",".join(f"{name}:{share:g}" for name, share in config.fractions.items())
    return params


def config_from_params(params: Mapping[str, str]) -> SplitConfig:
    """A SplitConfig from address parameters; a bad value is a ConfigError.

    Examples
    --------
    >>> config_from_params({"strategy": "random", "folds": "4", "seed": "9"}).n_folds
    4
    """
    options: dict[str, object] = {}
    for field, name in _FIELDS.items():
        if name in params:
            value = params[name]
            try:
                options[field] = int(value) if field in _INTEGERS else value
            except ValueError:
                raise LinkError(f"{name}={value!r} in the address is not a whole number; fix or drop it.") from None
    if "folds" in params:
        try:
            options["n_folds"] = int(params["folds"])
        except ValueError:
            raise LinkError(f"folds={params['folds']!r} in the address is not a whole number; fix or drop it.") from None
    elif "fractions" in params:
        fractions = {}
        for pair in params["fractions"].split(","):
            name, _, share = pair.partition(":")
            try:
                fractions[name] = float(share)
            except ValueError:
                raise LinkError(f"fractions={params['fractions']!r} in the address is unreadable; fix or drop it.") from None
        options["fractions"] = fractions
    return SplitConfig(**options)


def tasks_from_params(data: Dataset, specs: list[str]) -> tuple[tuple[Task, ...], list[str]]:
    """The tasks the address names that fit ``data``, and the specs that did not."""
    tasks, dropped = [], []
    for spec in specs:
        try:
            tasks.append(parse_task_spec(spec, data.frame, data.tasks))
        except TaskSplitError:
            dropped.append(spec)
    return tuple(tasks), dropped
