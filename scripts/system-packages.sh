#!/usr/bin/env bash
# Debian/Ubuntu packages Doorstep's tests and app need beyond Python: the stock age and minisign
# tools (interop tests), poppler (PDF checks), Xvfb and the xcb libraries Qt 6 needs for a real
# window, and PostgreSQL (the county server's production database; its tests start a private
# cluster with scripts/test-postgres.sh). binutils: PyInstaller needs objdump and strip to build the
# app (installers/build.py); desktop-file-utils checks the Linux desktop entry.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  age minisign poppler-utils xvfb xauth libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 \
  libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 \
  libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0 postgresql \
  binutils desktop-file-utils >/dev/null
