"""The frozen app's entry point: the same ``doorstep`` command as the source checkout's.

PyInstaller needs a script, not an entry point; this one hands over to ``desktop.cli.main`` so
the frozen app and ``.venv/bin/doorstep`` take exactly the same path (the app with no arguments,
the subcommands, ``--self-test``, a large import's helper process).
"""

import os
import sys

# The windowed Windows build (doorstepw.exe) has no console: sys.stdout and sys.stderr are None
# there, and a stray write would crash the app rather than go nowhere.
if sys.stdout is None:
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the app
if sys.stderr is None:
    sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115

from desktop.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
