#!/usr/bin/env bash
# Side-by-side 100 % crops of one photo and its variant as two builds
# compose it, for the documentation:
#   scripts/before_after_crops.sh PHOTO BEFORE.png AFTER.png WxH+X+Y OUT.jpg [LABELS]
# PHOTO is the original; BEFORE and AFTER are the same variant (same model,
# seed, index) written by `polyshade sample` of the two builds; the crop is
# an ImageMagick geometry at full resolution. LABELS (default
# "photo|before|after") captions the three panels. Needs ImageMagick and
# the DejaVu fonts (Debian fonts-dejavu-core).
set -euo pipefail
[ $# -ge 5 ] || { sed -n 2,9p "$0"; exit 2; }
photo=$1 before=$2 after=$3 geometry=$4 out=$5 labels=${6:-"photo|before|after"}
IFS='|' read -r -a names <<< "$labels"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
for image in "$photo" "$before" "$after"; do
    convert "$image" -crop "$geometry" +repage \
        -gravity North -background white -splice 0x22 -font DejaVu-Sans -pointsize 16 -annotate +0+3 "${names[$i]}" \
        "$tmp/$i.png"
    i=$((i + 1))
done
convert "$tmp/0.png" "$tmp/1.png" "$tmp/2.png" -bordercolor white -border 3 +append -quality 92 "$out"
echo "wrote $out"
