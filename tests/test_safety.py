"""Safety: uploads are never unpickled or evaluated, the upload cap is set, user text is never rendered as HTML.

The source scan reads the code (``ast``), not the text, so a docstring saying
"nothing is unpickled" does not trip it, and a call hidden behind an alias does.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from core.data import MAX_UPLOAD_MB

ROOT = Path(__file__).resolve().parents[1]
SCANNED = sorted([*(ROOT / "core").rglob("*.py"), *(ROOT / "dashboard").rglob("*.py")])

UNSAFE_MODULES = {"pickle", "cPickle", "dill", "cloudpickle", "joblib", "shelve", "marshal"}
UNSAFE_BUILTINS = {"eval", "exec", "compile", "__import__"}
UNSAFE_ATTRIBUTES = {"read_pickle", "loads_pickle"}
EVALUATING_METHODS = {"eval", "query"}  # pandas DataFrame.eval/query run an expression; torch's model.eval() has none


def _keyword(call: ast.Call, name: str):
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _is_true(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def unsafe_uses(source: str) -> list[str]:
    """Each unsafe construct in ``source`` as 'line N: what'."""
    found = []
    for node in ast.walk(ast.parse(source)):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            found += [f"{where}: import {a.name}" for a in node.names if a.name.split(".")[0] in UNSAFE_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in UNSAFE_MODULES:
            found.append(f"{where}: from {node.module} import")
        elif isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Name) and function.id in UNSAFE_BUILTINS:
                found.append(f"{where}: {function.id}()")
            if isinstance(function, ast.Attribute):
                attribute = function.attr
                if attribute in UNSAFE_ATTRIBUTES:
                    found.append(f"{where}: .{attribute}()")
                if attribute in EVALUATING_METHODS and (node.args or node.keywords):
                    found.append(f"{where}: .{attribute}(expression)")
                owner = function.value.id if isinstance(function.value, ast.Name) else ""
                if owner == "torch" and attribute == "load" and not _is_true(_keyword(node, "weights_only")):
                    found.append(f"{where}: torch.load without weights_only=True")
                if attribute == "load" and owner == "yaml" and _keyword(node, "Loader") is None:
                    found.append(f"{where}: yaml.load without a safe Loader")
            if _is_true(_keyword(node, "allow_pickle")):
                found.append(f"{where}: allow_pickle=True")
            if _is_true(_keyword(node, "unsafe_allow_html")):
                found.append(f"{where}: unsafe_allow_html=True")
    return found


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_source_file_unpickles_or_evaluates(path):
    assert unsafe_uses(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("snippet", "what"),
    [
        ("import pickle", "import pickle"),
        ("from joblib import load", "from joblib import"),
        ("pd.read_pickle(path)", ".read_pickle()"),
        ("eval(text)", "eval()"),
        ("exec(code)", "exec()"),
        ("frame.query(text)", ".query(expression)"),
        ("frame.eval('a + b')", ".eval(expression)"),
        ("torch.load(f)", "torch.load without weights_only=True"),
        ("torch.load(f, weights_only=False)", "torch.load without weights_only=True"),
        ("np.load(f, allow_pickle=True)", "allow_pickle=True"),
        ("st.markdown(name, unsafe_allow_html=True)", "unsafe_allow_html=True"),
    ],
)
def test_the_scan_finds_each_unsafe_construct(snippet, what):
    assert [use.split(": ", 1)[1] for use in unsafe_uses(snippet)] == [what]


def test_the_scan_lets_safe_code_pass():
    safe = (
        '"""Nothing is unpickled or evaluated."""\n'
        "model.eval()\n"
        "torch.load(f, weights_only=True)\n"
        "pattern = re.compile('a')\n"
        "np.load(f)\n"
    )
    assert unsafe_uses(safe) == []


def test_the_scan_covers_the_app_and_the_library():
    names = {p.relative_to(ROOT).as_posix() for p in SCANNED}
    assert {"core/data/_dataset.py", "core/report/_render.py", "dashboard/app.py", "dashboard/views/data.py"} <= names


# --------------------------------------------------------------------------- the upload cap


def test_streamlit_config_sets_the_same_upload_cap_as_core():
    # beside the script, where streamlit finds it for `make run` and the installed `tasksplit app` alike
    config = tomllib.loads((ROOT / "dashboard" / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB == 200


# --------------------------------------------------------------------------- the HTML report


def test_the_report_escapes_column_names_and_values():
    from core.data import dataset_from_frame
    from core.report import render_report
    from core.tasks import Task

    script = "<script>alert(1)</script>"
    frame = pd.DataFrame({script: ["<b>a</b>", "<img src=x onerror=alert(2)>"] * 10, "x": range(20)})
    data = dataset_from_frame(frame, name=f"{script}.csv")
    task = Task(script, (script,), "binary")
    page = render_report(data, [task], ["train", "test"] * 10)
    for raw in (script, "<b>a</b>", "<img src=x onerror"):
        assert raw not in page, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
