"""The ``tasksplit`` command: ``app`` serves the dashboard; ``split``, ``report`` and ``train`` are the library's.

Installed with pip, the console script ``tasksplit`` is this module's :func:`main` (``tasksplit app``,
``tasksplit split ...``); in the repository it is ``python -m dashboard`` (``python -m dashboard app``), and
``python -m core`` runs the library's commands alone. The library's command line (:mod:`core.cli`) parses
and runs every command; this module gives it the ``app`` command (:data:`APP`), which only the dashboard knows.

Installed, the library is the package ``tasksplit`` and this file is ``tasksplit/_app/dashboard/launch.py``,
while the dashboard imports ``core`` by name: :func:`alias_package` makes ``import core.X`` give
``tasksplit.X`` itself before anything of the library is imported, here or in the served pages.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.abc
import importlib.machinery
import sys
from pathlib import Path

# The library's import name: tasksplit when this file is tasksplit._app.dashboard.launch, core in the repository.
LIBRARY = __name__.split("._app.")[0] if "._app." in __name__ else "core"
PROG = "python -m dashboard" if LIBRARY == "core" else LIBRARY


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``alias`` and every ``alias.X`` as the very module objects ``real`` and ``real.X``.

    The installed dashboard imports ``core`` by name while the library is ``tasksplit``: with this
    finder first on ``sys.meta_path``, ``core.splits`` *is* ``tasksplit.splits`` (one module, one
    set of classes), whatever else on ``sys.path`` is called ``core``.
    """

    def __init__(self, alias: str, real: str) -> None:
        self.alias, self.real = alias, real
        self._specs: dict[str, importlib.machinery.ModuleSpec] = {}

    def find_spec(self, fullname, path=None, target=None):  # noqa: D102 - importlib protocol
        if fullname != self.alias and not fullname.startswith(self.alias + "."):
            return None
        real = self.real + fullname[len(self.alias):]
        try:
            module = importlib.import_module(real)
        except ModuleNotFoundError as error:
            if error.name == real:  # no such module: let the import fail under the name asked for
                return None
            raise
        return importlib.machinery.ModuleSpec(fullname, self, is_package=hasattr(module, "__path__"))

    def create_module(self, spec):  # noqa: D102
        module = sys.modules[self.real + spec.name[len(self.alias):]]
        self._specs[module.__name__] = module.__spec__  # the import system overwrites __spec__ next
        return module

    def exec_module(self, module):  # noqa: D102 - the module is already executed under its real name
        module.__spec__ = self._specs.pop(module.__name__)


def alias_package(alias: str, real: str) -> None:
    """Make ``import alias.X`` give the module ``real.X`` itself (see :class:`_AliasFinder`)."""
    if not any(isinstance(f, _AliasFinder) and f.alias == alias for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder(alias, real))


def dashboard_script() -> Path:
    """The dashboard's entry file, ``app.py`` beside this one (installed: ``tasksplit/_app/dashboard/app.py``)."""
    return Path(__file__).resolve().parent / "app.py"


def streamlit_arguments(port: int | None, options: list[str]) -> list[str]:
    """The ``streamlit run`` arguments after the script: localhost unless told otherwise, the port, the rest.

    Examples
    --------
    >>> streamlit_arguments(8600, ["--theme.base", "dark"])
    ['--server.address', 'localhost', '--server.port', '8600', '--theme.base', 'dark']
    """
    given = {option.split("=")[0] for option in options}
    address = [] if "--server.address" in given else ["--server.address", "localhost"]
    return [*address, *(["--server.port", str(port)] if port is not None else []), *options]


def _port(text: str) -> int:
    """``--port``'s value: a TCP port, checked here so that a bad one never reaches the server."""
    port = int(text) if text.strip().lstrip("-").isdigit() else 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port; use a number from 1 to 65535")
    return port


def _app_arguments(app: argparse.ArgumentParser) -> None:
    app.add_argument("--port", type=_port, metavar="N", help="the port, 1 to 65535 (default: streamlit's, 8501)")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def serve(args: argparse.Namespace, options: list[str]) -> int:
    """Serve the dashboard with streamlit in this process, so the alias :func:`main` made holds for its pages.

    Options the ``app`` command does not know (``options``) go to ``streamlit run``; one it refuses, or a server
    that cannot start, is a one-line :class:`ConfigError`.
    """
    import click
    from streamlit.web import cli

    from core.errors import ConfigError

    command = ["run", str(dashboard_script()), *streamlit_arguments(args.port, options)]
    try:
        cli.main.main(command, prog_name=f"{PROG} app", standalone_mode=False)
    except click.ClickException as error:
        raise ConfigError(f"{_one_line(error.format_message())}; see `{PROG} app --help` and "
                          "`streamlit run --help`.") from None
    except (OverflowError, OSError) as error:  # the socket: a port out of range, an address that does not resolve
        reason = _one_line(getattr(error, "strerror", None) or str(error)).rstrip(".")
        raise ConfigError(f"The dashboard cannot start ({reason}); check --port and --server.address.") from None
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one command of ``tasksplit`` (``app``, ``split``, ``report``, ``train``); bad input: one line, 2."""
    if LIBRARY != "core":
        alias_package("core", LIBRARY)
    from core.cli import ExtraCommand
    from core.cli import main as library_main

    app = ExtraCommand(
        name="app", summary="serve the dashboard", help="serve the dashboard (other options go to `streamlit run`)",
        description="Serve the dashboard on http://localhost:PORT. Options this command does not know go to "
                    "`streamlit run`, e.g. --server.address 0.0.0.0 --server.maxUploadSize 500.",
        add_arguments=_app_arguments, run=serve,
    )
    return library_main(argv, prog=PROG, extra=app)


if __name__ == "__main__":
    sys.exit(main())
