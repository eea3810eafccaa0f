"""installers/windows/doorstep.iss cannot be compiled here (Inno Setup runs on Windows), so
these check what a mistake would break silently: every file it points at exists where the build
puts it, both installer languages are there, the program goes to Program Files, and nothing in
the script writes to or deletes the user data folder."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "installers" / "windows" / "doorstep.iss"


def sections(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        if re.fullmatch(r"\[\w+\]", line):
            current = line[1:-1]
            found.setdefault(current, [])
        elif current:
            found[current].append(line)
    return found


def setting(lines: list[str], key: str) -> str:
    values = [line.split("=", 1)[1] for line in lines if line.split("=", 1)[0] == key]
    assert len(values) == 1, key
    return values[0]


def test_paths_languages_and_data_folder() -> None:
    text = SCRIPT.read_text(encoding="utf-8")
    parts = sections(text)
    setup = parts["Setup"]
    assert setting(setup, "DefaultDirName") == r"{autopf}\{#AppName}"
    icon = setting(setup, "SetupIconFile").replace("\\", "/")
    assert (SCRIPT.parent / icon).resolve() == ROOT / "resources" / "icons" / "doorstep.ico"
    assert (ROOT / "resources" / "icons" / "doorstep.ico").read_bytes()[:4] == b"\0\0\1\0"
    source = re.search(r'#define SourceDir "([^"]+)"', text)
    assert source and (SCRIPT.parent / source.group(1).replace("\\", "/")).resolve() == (
        ROOT / "dist" / "doorstep"
    )
    # the version include is the file build.py writes
    include = re.search(r'#include "([^"]+)"', text)
    assert include and (SCRIPT.parent / include.group(1).replace("\\", "/")).resolve() == (
        ROOT / "dist" / "doorstep-version.iss"
    )
    build_script = (ROOT / "installers" / "build.py").read_text(encoding="utf-8")
    assert '"doorstep-version.iss"' in build_script and "#define AppVersion" in build_script

    languages = [line.split('"')[1] for line in parts["Languages"]]
    assert languages == ["chinesesimplified", "english"]
    for name in ("LaunchApp", "AppComment"):
        assert {line.split(".")[0] for line in parts["CustomMessages"] if f".{name}=" in line} == {
            "chinesesimplified",
            "english",
        }
    assert '#define AppExe "doorstepw.exe"' in text  # the windowed build (no console)
    assert any(
        line.startswith('Name: "{group}') and 'Filename: "{app}\\{#AppExe}"' in line
        for line in parts["Icons"]
    )

    # Upgrades replace only the program folder; the data folder is never named in a write.
    for section in ("Files", "InstallDelete", "UninstallDelete", "Dirs", "Run"):
        for line in parts.get(section, []):
            assert "localappdata" not in line.lower() and "{userappdata}" not in line.lower()
            if section.endswith("Delete"):
                assert '"{app}' in line
