"""``python -m dashboard app|split|report|train ...``: the ``tasksplit`` command, in the repository."""

import sys

from dashboard.launch import main

if __name__ == "__main__":
    sys.exit(main())
