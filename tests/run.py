"""The whole check the README promises and CI runs: lint, format, types, then every test.

pytest runs last so its closing line ("N passed ...") is the last thing printed.
"""

from __future__ import annotations

import subprocess
import sys

CORE = ["desktop/core", "desktop/sync", "desktop/ledger", "county"]


def step(title: str, command: list[str]) -> None:
    print(f"== {title}: {' '.join(command)}", flush=True)
    result = subprocess.run(command)
    if result.returncode != 0:
        print(f"== {title} failed (exit {result.returncode})", flush=True)
        sys.exit(result.returncode)


def main() -> int:
    python = sys.executable
    step("ruff lint", [python, "-m", "ruff", "check", "."])
    step("ruff format", [python, "-m", "ruff", "format", "--check", "."])
    step("mypy", [python, "-m", "mypy"])
    print("== pytest", flush=True)
    return subprocess.run([python, "-m", "pytest", *sys.argv[1:]]).returncode


if __name__ == "__main__":
    sys.exit(main())
