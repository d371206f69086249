"""The house of core/ (issue 13, docs/architecture.md): packages for the steps of the flow, layers, one public path per name.

Read from the source (ast), so a lazy import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
import importlib
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core"

PACKAGES = (
    "core.tasks",
    "core.data",
    "core.splits",
    "core.splits.stratify",
    "core.diagnostics",
    "core.model",
    "core.training",
    "core.report",
    "core.cluster",
    "core.figures",
    "core.cli",
)
PUBLIC = ("core", "core.errors", "core.stratify", *PACKAGES)
ALIASES = {"core.stratify": "core.splits.stratify"}  # the engine under the name DESIGN.md gives it
# The top re-exports the sklearn-style splitters of core.splits (`from tasksplit import MultiTaskStratifiedKFold`).
REEXPORTS = {"core": "core.splits"}

# What each layer may import, besides itself (docs/architecture.md draws it).
MAY_IMPORT = {
    "errors": set(),
    "tasks": {"errors"},
    "data": {"errors", "tasks"},
    "splits": {"errors", "tasks"},
    "diagnostics": {"errors", "tasks", "data", "splits"},
    "model": {"errors", "tasks"},
    "training": {"errors", "tasks", "data", "splits", "diagnostics", "model"},
    "report": {"errors", "tasks", "data", "splits", "diagnostics", "model", "training", "figures", "core"},
    "figures": set(),
    # the Dask engine: summarises on a cluster, solves with splits, scores with diagnostics, reports with report
    "cluster": {"errors", "tasks", "data", "splits", "diagnostics", "report"},
    "stratify": {"splits"},
    "core": {"errors", "splits"},  # the top re-exports the splitters, lazily
    # the command line (`python -m core`, the `tasksplit` command's split, report and train) sits on everything
    "cli": {"errors", "tasks", "data", "splits", "diagnostics", "model", "training", "report", "figures", "cluster"},
    "__main__": {"cli"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(node: ast.ImportFrom, path: Path) -> str:
    """The absolute module a ``from ... import`` names; relative imports resolve against ``path``'s package."""
    if node.level == 0:
        return node.module or ""
    package = list(path.relative_to(ROOT).with_suffix("").parts[:-1])
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every ``core...`` module imported by ``path``, with its line, at any depth of the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        module = _absolute(node, path) if isinstance(node, ast.ImportFrom) else ""
        if isinstance(node, ast.ImportFrom) and module.split(".")[0] == "core":
            if module == "core":
                found += [(node.lineno, f"core.{alias.name}") for alias in node.names if alias.name != "__version__"]
            else:
                found.append((node.lineno, module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "core"]
    return found


def _layer(module: str) -> str:
    parts = module.split(".")
    return "core" if len(parts) == 1 else parts[1]


def test_core_imports_itself_only_relatively():
    """Inside core every import of core is relative, so the same files install as the ``tasksplit`` package."""
    absolute = []
    for path in sorted(CORE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "core":
                absolute.append(f"{path.relative_to(ROOT)}:{node.lineno} from {node.module}")
            elif isinstance(node, ast.Import) and any(a.name.split(".")[0] == "core" for a in node.names):
                absolute.append(f"{path.relative_to(ROOT)}:{node.lineno} import core")
    assert not absolute, "\n".join(absolute)


def test_core_holds_only_the_packages_and_four_files():
    top = sorted(p.name for p in CORE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "errors.py", "stratify.py"]
    folders = sorted(p.name for p in CORE.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert folders == ["cli", "cluster", "data", "diagnostics", "figures", "model", "report", "splits", "tasks",
                       "training"]


def test_implementation_modules_are_private():
    for path in CORE.rglob("*.py"):
        if path.parent == CORE or path.name == "__init__.py":
            continue
        assert path.name.startswith("_"), f"{path.relative_to(ROOT)}: name implementation modules _private"


def test_layers_import_only_downwards():
    wrong = []
    for path in sorted(CORE.rglob("*.py")):
        me = _layer(_module_name(path))
        for line, module in _imports(path):
            other = _layer(module)
            if other != me and other not in MAY_IMPORT[me]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} ({me}) imports {module} ({other})")
    assert not wrong, "\n".join(wrong)


def test_figures_import_nothing_of_core():
    for path in (CORE / "figures").rglob("*.py"):
        outside = [m for _, m in _imports(path) if not m.startswith("core.figures")]
        assert not outside, f"{path.relative_to(ROOT)} imports {outside}: figures take tidy frames"


@pytest.mark.parametrize("folder", ["dashboard", "core/__main__.py", "bench"])
def test_the_dashboard_the_cli_and_the_benchmarks_import_only_public_packages(folder):
    target = ROOT / folder
    paths = [target] if target.is_file() else sorted(target.rglob("*.py"))
    private = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in paths
        for line, module in _imports(path)
        if module not in PUBLIC
    ]
    assert not private, "\n".join(private)


def _imported_tops(path: Path) -> list[tuple[int, str]]:
    """The top-level name of every absolute import in ``path``, with its line, at any depth of the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
    return found


def test_no_module_of_core_imports_streamlit_or_the_dashboard():
    """core is a pure library, its command line too: ``tasksplit app`` lives in dashboard/launch.py."""
    paths = sorted(CORE.rglob("*.py"))
    assert CORE / "__main__.py" in paths
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {top}" for path in paths
             for line, top in _imported_tops(path) if top in ("streamlit", "dashboard")]
    assert not wrong, "\n".join(wrong)


def test_the_import_check_sees_a_lazy_streamlit_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from streamlit.web import cli\n    import dashboard.state\n")
    assert _imported_tops(module) == [(2, "streamlit"), (3, "dashboard")]


def _public_names(module: types.ModuleType) -> set[str]:
    """Names a user can import from ``module`` that look public: no underscore, no submodule."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"
    }


@pytest.mark.parametrize("name", PUBLIC)
def test_each_package_lists_every_public_name_once(name):
    module = importlib.import_module(name)
    listed = list(module.__all__)
    assert len(listed) == len(set(listed)), f"{name}.__all__ repeats a name"
    assert all(hasattr(module, n) for n in listed), f"{name}.__all__ names what it does not define"  # loads lazy ones
    assert set(listed) <= set(vars(module)), f"{name}.__all__ names what it does not define"
    assert _public_names(module) == set(listed), f"{name} leaks {_public_names(module) - set(listed)}"


def test_no_public_name_is_importable_from_two_public_modules():
    homes: dict[str, list[str]] = {}
    for name in PUBLIC:
        if name in ALIASES or name in REEXPORTS:
            continue
        for public in _public_names(importlib.import_module(name)):
            homes.setdefault(public, []).append(name)
    twice = {name: where for name, where in homes.items() if len(where) > 1}
    assert not twice, twice


@pytest.mark.parametrize("name", REEXPORTS)
def test_re_exports_are_the_owners_objects(name):
    module, owner = importlib.import_module(name), importlib.import_module(REEXPORTS[name])
    assert {n: getattr(module, n) for n in module.__all__} == {n: getattr(owner, n) for n in module.__all__}


def test_the_alias_is_the_engine_itself():
    alias, engine = importlib.import_module("core.stratify"), importlib.import_module("core.splits.stratify")
    assert {name: getattr(alias, name) for name in alias.__all__} == {
        name: getattr(engine, name) for name in engine.__all__
    }


def test_core_reaches_another_package_only_through_its_init():
    """Inside a package, siblings' private modules; across packages, the package (or one's own subpackage)."""
    private = []
    for path in sorted(CORE.rglob("*.py")):
        me = _module_name(path)
        for line, module in _imports(path):
            owner = ".".join(p for p in module.split(".") if not p.startswith("_")) if "._" in module else module
            if "._" in module and not (me == owner or me.startswith(owner + ".") or owner.startswith(_package(me) + ".")):
                private.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not private, "\n".join(private)


def _package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:-1]) if parts[-1].startswith("_") else module


def test_generated_code_and_messages_name_only_public_paths():
    """The script Export writes, and every string a user reads, imports from the packages."""
    for path in sorted(CORE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "import" in node.value:
                for line in node.value.splitlines():
                    words = line.strip().split()
                    if words[:1] == ["from"] and len(words) > 1 and words[1].startswith("core"):
                        assert "._" not in words[1], f"{path.relative_to(ROOT)}:{node.lineno}: {line.strip()}"


def test_no_private_module_re_exports_another_modules_names():
    """No "importable from here, as before the split" shims: a module's __all__ is what it defines."""
    for path in sorted(CORE.rglob("_*.py")):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        tree = ast.parse(path.read_text())
        defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            defined |= {name.id for t in targets for name in ast.walk(t) if isinstance(name, ast.Name)}
        listed = next((ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                       and any(getattr(t, "id", "") == "__all__" for t in n.targets)), [])
        foreign = [name for name in listed if name not in defined]
        assert not foreign, f"{path.relative_to(ROOT)} lists {foreign}, defined elsewhere"


@pytest.mark.parametrize("folder", ["bench", "dashboard", "tests"])
def test_attributes_read_from_a_public_package_are_public(folder):
    """``from core import diagnostics as dx`` then ``dx.encode_tasks``: the name must be in its __all__."""
    wrong = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        tree = ast.parse(path.read_text())
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "core":
                aliases.update({a.asname or a.name: f"core.{a.name}" for a in node.names})
            elif isinstance(node, ast.Import):
                aliases.update({a.asname: a.name for a in node.names if a.asname and a.name in PUBLIC})
        aliases = {alias: module for alias, module in aliases.items() if module in PUBLIC}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                module = importlib.import_module(aliases[node.value.id])
                if node.attr not in module.__all__ and not isinstance(getattr(module, node.attr, None), types.ModuleType):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} {aliases[node.value.id]}.{node.attr}")
    assert not wrong, "\n".join(wrong)
