"""Run one command of the command line: one line on stderr and status 2 for bad input, never a traceback."""

from __future__ import annotations

import sys
import warnings

from ..errors import ConfigError, TaskSplitError
from ._commands import COMMANDS
from ._parser import NO_APP, PROG, ExtraCommand, _parser

EXIT_BAD_INPUT = 2


def main(argv: list[str] | None = None, *, prog: str = PROG, extra: ExtraCommand | None = None) -> int:
    """Run one command; bad input prints exactly one line to stderr and returns 2.

    Warnings (a rare class, a Latin-1 file) are printed one per line after a
    successful run; when the input is bad, only the error's line is printed.
    ``extra`` is one more command that its own launcher runs (the dashboard's ``app``).
    """
    parser = _parser(prog, extra)
    try:
        if extra is None and (sys.argv[1:] if argv is None else argv)[:1] == ["app"]:
            raise ConfigError(f"`app` serves the dashboard, which is not part of the library: run `{NO_APP}` "
                              "(`tasksplit app` when installed).")
        args, unknown = parser.parse_known_args(argv)
        if extra is not None and args.command == extra.name:
            return extra.run(args, unknown)
        if unknown:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    except TaskSplitError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            COMMANDS[args.command](args)
        except TaskSplitError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except OSError as error:
            where = f" ({error.filename})" if error.filename else ""
            print(f"error: {error.strerror or error}{where}; check the path.", file=sys.stderr)
            return EXIT_BAD_INPUT
    for note in dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, UserWarning)):
        print(f"warning: {_one_line(note)}", file=sys.stderr)
    return 0


def _one_line(text: str) -> str:
    return " ".join(text.split())
