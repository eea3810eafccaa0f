#!/bin/sh
# Install (or upgrade) Doorstep from this unpacked tarball.
#
#   ./install.sh                 as a user: ~/.local/lib/doorstep, ~/.local/bin/doorstep
#   sudo ./install.sh            as root:  /opt/doorstep, /usr/local/bin/doorstep
#   ./install.sh --user          ~/.local even when run as root
#   ./install.sh --prefix DIR    DIR/lib/doorstep, DIR/bin/doorstep, DIR/share/applications
#
# An upgrade replaces the program folder only. The cadre's data (database, photos, backups) lives
# in the user data folder (~/.local/share/Doorstep, or $XDG_DATA_HOME/Doorstep), which this script
# never touches, so installing a new version over an old one keeps every household.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prefix=""
mode=$([ "$(id -u)" = 0 ] && echo system || echo user)
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="$2"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        --user) mode=user; shift ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

if [ -n "$prefix" ]; then
    app_dir="$prefix/lib/doorstep"; bin_dir="$prefix/bin"; share_dir="$prefix/share"
elif [ "$mode" = system ]; then
    app_dir="/opt/doorstep"; bin_dir="/usr/local/bin"; share_dir="/usr/local/share"
else
    app_dir="$HOME/.local/lib/doorstep"; bin_dir="$HOME/.local/bin"
    share_dir="${XDG_DATA_HOME:-$HOME/.local/share}"
fi

if [ ! -x "$here/doorstep/doorstep" ]; then
    echo "install.sh: $here/doorstep/doorstep is missing; unpack the whole tarball first" >&2
    exit 1
fi

# Copy beside the old folder first, then swap: an interrupted upgrade leaves the old version whole.
mkdir -p "$(dirname "$app_dir")" "$bin_dir" "$share_dir/applications" \
    "$share_dir/icons/hicolor/scalable/apps" "$share_dir/icons/hicolor/256x256/apps"
staging="$app_dir.new.$$"
rm -rf "$staging"
cp -R "$here/doorstep" "$staging"
if [ -e "$app_dir" ]; then
    mv "$app_dir" "$app_dir.old.$$"
    mv "$staging" "$app_dir"
    rm -rf "$app_dir.old.$$"
else
    mv "$staging" "$app_dir"
fi

ln -sf "$app_dir/doorstep" "$bin_dir/doorstep"
cp "$here/doorstep.svg" "$share_dir/icons/hicolor/scalable/apps/doorstep.svg"
cp "$here/doorstep.png" "$share_dir/icons/hicolor/256x256/apps/doorstep.png"
sed "s|^Exec=.*|Exec=\"$app_dir/doorstep\"|" "$here/doorstep.desktop" \
    > "$share_dir/applications/doorstep.desktop"
chmod 644 "$share_dir/applications/doorstep.desktop"
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$share_dir/applications" 2>/dev/null || true
fi

echo "Doorstep installed in $app_dir"
echo "command: $bin_dir/doorstep   menu entry: $share_dir/applications/doorstep.desktop"
