"""core/ is a library: importing it never imports streamlit, and it never prints."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "core"


def test_importing_core_does_not_import_streamlit():
    modules = sorted(p.stem for p in CORE.glob("*.py") if p.stem not in ("__init__", "__main__"))
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module('core.' + name)\n"
        "print('streamlit' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=CORE.parent, check=True)
    assert out.stdout.strip() == "False"


def test_core_never_prints_or_mentions_streamlit():
    for path in CORE.glob("*.py"):
        if path.name == "__main__.py":  # the command line talks to the terminal by design
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                raise AssertionError(f"{path.name}:{node.lineno} prints")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                assert not any(n.split(".")[0] == "streamlit" for n in names), f"{path.name} imports streamlit"
