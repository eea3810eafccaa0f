"""installers/linux/install.sh: installing a new version over an old one replaces the program
folder, registers the desktop entry, and never touches the cadre's data folder.

A small stand-in program folder keeps this fast; tests/installers/test_frozen_build.py runs the
same script on the real build in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "installers" / "linux"


def unpacked_tarball(folder: Path, version: str) -> Path:
    """The layout build.py puts in the tarball, with a stand-in program that says its version."""
    top = folder / f"doorstep-{version}-linux-x86_64"
    (top / "doorstep" / "_internal").mkdir(parents=True)
    program = top / "doorstep" / "doorstep"
    program.write_text(f"#!/bin/sh\necho doorstep {version}\n")
    program.chmod(0o755)
    (top / "doorstep" / "_internal" / f"only-in-{version}").write_text(version)
    shutil.copy(LINUX / "install.sh", top / "install.sh")
    shutil.copy(LINUX / "doorstep.desktop", top / "doorstep.desktop")
    for icon in ("doorstep.svg", "doorstep.png"):
        shutil.copy(ROOT / "resources" / "icons" / icon, top / icon)
    return top


def install(top: Path, *args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / ".local" / "share")}
    return subprocess.run(
        ["sh", str(top / "install.sh"), *args], capture_output=True, text=True, env=env
    )


def test_upgrade_replaces_the_program_and_keeps_the_data(tmp_path: Path) -> None:
    home, prefix = tmp_path / "home", tmp_path / "prefix"
    data = home / ".local" / "share" / "Doorstep"
    data.mkdir(parents=True)
    (data / "doorstep.db").write_bytes(b"the cadre's households")

    first = install(unpacked_tarball(tmp_path / "v1", "0.1.0"), "--prefix", str(prefix), home=home)
    assert first.returncode == 0, first.stderr
    command = prefix / "bin" / "doorstep"
    assert subprocess.run([command], capture_output=True, text=True).stdout == "doorstep 0.1.0\n"

    second = install(unpacked_tarball(tmp_path / "v2", "0.2.0"), "--prefix", str(prefix), home=home)
    assert second.returncode == 0, second.stderr
    assert subprocess.run([command], capture_output=True, text=True).stdout == "doorstep 0.2.0\n"
    app = prefix / "lib" / "doorstep"
    assert sorted(p.name for p in (app / "_internal").iterdir()) == ["only-in-0.2.0"]
    assert sorted(p.name for p in app.parent.iterdir()) == ["doorstep"]  # no .new/.old left
    assert (data / "doorstep.db").read_bytes() == b"the cadre's households"

    entry = (prefix / "share" / "applications" / "doorstep.desktop").read_text(encoding="utf-8")
    assert f'Exec="{app}/doorstep"' in entry.splitlines()
    assert "Name[zh_CN]=入户通" in entry
    assert (prefix / "share" / "icons" / "hicolor" / "scalable" / "apps" / "doorstep.svg").is_file()
    if shutil.which("desktop-file-validate"):
        checked = subprocess.run(
            ["desktop-file-validate", str(prefix / "share/applications/doorstep.desktop")],
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_user_install_goes_to_local(tmp_path: Path) -> None:
    home = tmp_path / "home"
    # --user: the default for everyone but root, who would otherwise get /opt (CI runs as root).
    result = install(unpacked_tarball(tmp_path / "v1", "0.1.0"), "--user", home=home)
    assert result.returncode == 0, result.stderr
    assert (home / ".local" / "lib" / "doorstep" / "doorstep").is_file()
    assert (home / ".local" / "bin" / "doorstep").resolve() == (
        home / ".local" / "lib" / "doorstep" / "doorstep"
    )
    assert (home / ".local" / "share" / "applications" / "doorstep.desktop").is_file()


def test_incomplete_tarball_is_refused_and_installs_nothing(tmp_path: Path) -> None:
    top = unpacked_tarball(tmp_path / "v1", "0.1.0")
    shutil.rmtree(top / "doorstep")
    prefix = tmp_path / "prefix"
    result = install(top, "--prefix", str(prefix), home=tmp_path / "home")
    assert result.returncode == 1
    assert "unpack the whole tarball" in result.stderr
    assert not prefix.exists()

    bad = install(unpacked_tarball(tmp_path / "v2", "0.2.0"), "--bogus", home=tmp_path / "home")
    assert bad.returncode == 2 and "unknown option --bogus" in bad.stderr
