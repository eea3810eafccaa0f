"""The frozen app's entry point: the same ``doorstep`` command as the source checkout's.

PyInstaller needs a script, not an entry point; this one hands over to ``desktop.cli.main`` so
the frozen app and ``.venv/bin/doorstep`` take exactly the same path (the app with no arguments,
the subcommands, ``--self-test``).
"""

import sys

from desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
