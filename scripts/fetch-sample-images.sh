#!/usr/bin/env bash
# Fetches CC0 sample photos for the imaging tests from Debian's python3-skimage package into DEST:
#   scripts/fetch-sample-images.sh DEST
# The package is downloaded and unpacked, never installed, so nothing on the machine changes.
# Idempotent: when every photo is already in DEST it does nothing. Prints DEST on success.
set -euo pipefail

dest=${1:?usage: fetch-sample-images.sh DEST}
photos=(chelsea.png coffee.png astronaut.png rocket.jpg)

have_all() {
  for photo in "${photos[@]}"; do
    [ -s "$dest/$photo" ] || return 1
  done
}

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
if have_all; then
  echo "$dest"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt drops privileges to _apt while downloading; let it write here.
chmod 777 "$work"

cd "$work"
if ! apt-get download -q python3-skimage >/dev/null 2>&1; then
  # A fresh machine may not have package lists yet.
  if [ "$(id -u)" -eq 0 ]; then apt-get update -qq; else sudo apt-get update -qq; fi
  apt-get download -q python3-skimage >/dev/null
fi
dpkg-deb -x python3-skimage_*.deb unpacked

data=$(find unpacked -type d -path '*/skimage/data' | head -n 1)
[ -n "$data" ] || { echo "error: no skimage/data folder in python3-skimage" >&2; exit 1; }
for photo in "${photos[@]}"; do
  [ -s "$data/$photo" ] || { echo "error: python3-skimage has no $photo" >&2; exit 1; }
  # Copy through a temporary name so a parallel caller never sees half a file.
  cp "$data/$photo" "$dest/.$photo.partial"
  mv -f "$dest/.$photo.partial" "$dest/$photo"
done
echo "$dest"
