"""``python -m core split|report|train ...``: the command line of :mod:`core.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
