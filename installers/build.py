"""Build the one-folder Doorstep app (dist/doorstep/) and, on Linux, its tarball.

    .venv/bin/python installers/build.py              # dist/doorstep/ + dist/doorstep-<v>-linux-x86_64.tar.gz
    .venv/bin/python installers/build.py --self-test  # ... then run the frozen app's self-test

The resources are staged first (with the translations compiled to .mo beside their .po) so the
source tree is never written to; PyInstaller then runs installers/doorstep.spec. The build prints
its size and time because both are promised (under 250 MB; see issue 8).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSTALLERS = ROOT / "installers"
SIZE_LIMIT_MB = 250


def project_version() -> str:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return str(data["project"]["version"])


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def stage_resources(work: Path) -> Path:
    """A copy of resources/ with compiled .mo catalogues (the app reads the .po, tools the .mo)."""
    staged = work / "resources"
    shutil.rmtree(staged, ignore_errors=True)
    shutil.copytree(
        ROOT / "resources", staged, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
    )
    sys.path.insert(0, str(ROOT))
    import gettext

    from desktop.core.i18n import _write_mo, parse_po

    for po in sorted(staged.glob("translations/*/LC_MESSAGES/*.po")):
        entries = parse_po(po.read_text(encoding="utf-8"))
        mo = po.with_suffix(".mo")
        _write_mo(mo, entries)
        with mo.open("rb") as handle:
            gettext.GNUTranslations(handle)  # proves the file is valid
    return staged


def run_pyinstaller(dist: Path, work: Path, resources: Path) -> None:
    env = dict(os.environ, DOORSTEP_BUILD_RESOURCES=str(resources))
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work / "pyinstaller"),
        str(INSTALLERS / "doorstep.spec"),
    ]
    subprocess.run(command, check=True, env=env, cwd=ROOT)


def remove_dangling_links(app: Path) -> list[Path]:
    """PyInstaller links every Qt library into _internal/; the spec drops a few of the libraries
    (QML, Quick, the virtual keyboard), which leaves their links pointing at nothing."""
    dangling = [p for p in app.rglob("*") if p.is_symlink() and not p.exists()]
    for link in dangling:
        link.unlink()
    return dangling


def linux_tarball(dist: Path, version: str) -> Path:
    """doorstep-<version>-linux-x86_64.tar.gz: the app folder, the desktop entry, the icon and
    install.sh, under one top folder so unpacking never spills into the current directory."""
    name = f"doorstep-{version}-linux-x86_64"
    target = dist / f"{name}.tar.gz"
    extras = {
        "install.sh": INSTALLERS / "linux" / "install.sh",
        "doorstep.desktop": INSTALLERS / "linux" / "doorstep.desktop",
        "doorstep.svg": ROOT / "resources" / "icons" / "doorstep.svg",
        "doorstep.png": ROOT / "resources" / "icons" / "doorstep.png",
    }
    with tarfile.open(target, "w:gz", compresslevel=6) as tar:
        tar.add(dist / "doorstep", arcname=f"{name}/doorstep")
        for arcname, source in extras.items():
            tar.add(source, arcname=f"{name}/{arcname}")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="scratch folder")
    parser.add_argument("--no-tarball", action="store_true", help="skip the Linux tarball")
    parser.add_argument("--self-test", action="store_true", help="run the frozen self-test")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    args.work.mkdir(parents=True, exist_ok=True)
    resources = stage_resources(args.work)
    run_pyinstaller(args.dist, args.work, resources)
    app = args.dist / "doorstep"
    remove_dangling_links(app)
    # For installers/windows/doorstep.iss (Inno Setup reads the version from here).
    (args.dist / "doorstep-version.iss").write_text(
        f'#define AppVersion "{project_version()}"\n', encoding="utf-8"
    )
    built = time.perf_counter() - started
    size_mb = folder_size(app) / 1e6
    print(f"built {app} in {built:.0f} s; size {size_mb:.1f} MB (limit {SIZE_LIMIT_MB} MB)")
    if sys.platform.startswith("linux") and not args.no_tarball:
        tarball = linux_tarball(args.dist, project_version())
        print(f"tarball {tarball} ({tarball.stat().st_size / 1e6:.1f} MB)")
    elif sys.platform == "win32":
        print(r"next: iscc installers\windows\doorstep.iss  (see README, Windows installer)")
    if args.self_test:
        executable = app / ("doorstep.exe" if sys.platform == "win32" else "doorstep")
        result = subprocess.run([str(executable), "--self-test"])
        if result.returncode != 0:
            return result.returncode
    if size_mb > SIZE_LIMIT_MB:
        print(f"the build is larger than {SIZE_LIMIT_MB} MB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
