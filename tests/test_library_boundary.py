"""core/ is a library: importing it never imports streamlit, and it never prints."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "core"


def _modules() -> list[str]:
    """Every module under core/, at any depth, as a dotted name (packages by their __init__)."""
    names = []
    for path in sorted(CORE.rglob("*.py")):
        parts = path.relative_to(CORE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return [n for n in names if n != "core.__main__"]


def test_the_walk_sees_every_folder():
    assert "core.figures" in _modules() and len(_modules()) > 40


def test_importing_core_does_not_import_streamlit():
    modules = _modules()
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print('streamlit' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=CORE.parent, check=True)
    assert out.stdout.strip() == "False"


def test_core_never_prints_or_mentions_streamlit():
    for path in CORE.rglob("*.py"):
        if path == CORE / "__main__.py" or CORE / "cli" in path.parents:  # the command line talks to the terminal
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                raise AssertionError(f"{path.name}:{node.lineno} prints")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                assert not any(n.split(".")[0] == "streamlit" for n in names), f"{path.name} imports streamlit"
