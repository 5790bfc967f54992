#!/usr/bin/env bash
# Fetches the real camera RAW the tests decode: a Sony ILCE-7RM3 ARW
# (18 MP, APS-C crop mode) that the PyPI package libraw-cffi 0.19.0 ships
# in its source archive under the MIT licence (© 2018 Julian Berman).
# It goes to $POLYSHADE_RAW_SAMPLES, or ~/.cache/polyshade/raw-samples;
# nothing is committed. Idempotent: a file already there with the right
# checksum is kept.
set -euo pipefail

dir="${POLYSHADE_RAW_SAMPLES:-$HOME/.cache/polyshade/raw-samples}"
name=_DSC2164.ARW
sha256=42ec55eef6047c1bfbd1fd05fdcae78993f3513814138eff4cbcf9498c57d4e6
mkdir -p "$dir"
if [ -f "$dir/$name" ] && echo "$sha256  $dir/$name" | sha256sum -c --quiet 2>/dev/null; then
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The archive's address from PyPI's JSON API (the registry, not the web).
url=$(curl -fsSL https://pypi.org/pypi/libraw-cffi/json | python3 -c '
import json, sys
files = json.load(sys.stdin)["releases"]["0.19.0"]
print(next(f["url"] for f in files if f["packagetype"] == "sdist"))')
curl -fsSL -o "$work/libraw_cffi.tar.gz" "$url"
tar -xzf "$work/libraw_cffi.tar.gz" -C "$work" --wildcards "*/tests/$name"
found=$(find "$work" -name "$name" -type f | head -n 1)
echo "$sha256  $found" | sha256sum -c --quiet
mv "$found" "$dir/$name.partial"
mv "$dir/$name.partial" "$dir/$name"
echo "fetched $dir/$name"
