"""``python -m desktop`` is the same as ``doorstep``."""

import sys

from desktop.cli import main

sys.exit(main())
