"""``python -m dashboard app|split|report|train ...``: the ``tasksplit`` command, in the repository."""

import sys

from dashboard.launch import main

sys.exit(main())
