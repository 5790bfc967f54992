#!/usr/bin/env bash
# Assembles the training corpus from the photographs shipped in Debian
# packages (provenance and licences: assets/README.md):
#   mate-backgrounds             usr/share/backgrounds/mate/nature/*.jpg (12)
#   plasma-workspace-wallpapers  13 photographs, the largest image of each
#   lomiri-wallpapers-16.04/-20.04  14 photographs (the rest is digital art)
# into data/ (git-ignored):
#   data/corpus/               all 39 (symlinks into data/pkgs)
#   data/corpus/MANIFEST.tsv   file, package, version, licence, sha256
#   data/train/                31 for training
#   data/heldout/              8 held out for `polyshade eval`
#   data/licences/             the packages' copyright files
# The split is by photo and fixed (the list below): no crop of a held-out
# photo is ever trained on. LadyBird, the photo the app opens with, is held
# out, so the first variants a user sees are of a photo the model never saw.
# Needs apt-get (no root: `apt-get download` writes to the current folder)
# and python3 (to read the packages' DEP-5 copyright files).
set -euo pipefail
cd "$(dirname "$0")/.."

heldout=(Garden.jpg Storm.jpg YellowFlower.jpg LadyBird.jpg plasma_ColorfulCups.jpg plasma_EveningGlow.jpg
    lomiri_Picture_0B_by_freespace.jpg lomiri_life_by_Aitzol_Berasategi.jpg)
plasma_photos=(BytheWater ColdRipple ColorfulCups DarkestHour EveningGlow FallenLeaf Grey Kite MilkyWay
    OneStandsOut Path Volna summer_1am)
lomiri_photos=(Bridge_by_Sander_Klootwijk Dragonfly_by_Bolly Picture_0B_by_freespace Picture_1A_by_freespace
    Wine_by_Jakkub_Mede aitzgorri_by_Aitzol_Berasategi free_by_Peter_Nerlich friends_by_Aitzol_Berasategi
    greentock_by_Peter_Nerlich life_by_Aitzol_Berasategi picosdeeuropa_by_Aitzol_Berasategi
    seeding_by_Clements_Engelhardt sunset_by_Aitzol_Berasategi Kleiber_by_Lukas_Baubkus)
packages=(mate-backgrounds plasma-workspace-wallpapers lomiri-wallpapers-16.04 lomiri-wallpapers-20.04)

mkdir -p data/debs data/pkgs data/corpus data/train data/heldout data/licences
(
    cd data/debs
    for pkg in "${packages[@]}"; do
        ls "${pkg}"_*.deb > /dev/null 2>&1 || apt-get download "$pkg"
    done
)
for pkg in "${packages[@]}"; do
    deb=$(ls data/debs/"${pkg}"_*.deb | tail -n 1)
    dpkg -x "$deb" data/pkgs
    cp "data/pkgs/usr/share/doc/$pkg/copyright" "data/licences/$pkg.copyright"
done

rm -f data/corpus/* data/train/* data/heldout/*
pkgs=$(realpath data/pkgs)
# name in the corpus <TAB> package <TAB> file inside the package
sources=$(mktemp)
trap 'rm -f "$sources"' EXIT
for photo in "$pkgs"/usr/share/backgrounds/mate/nature/*.jpg; do
    printf '%s\tmate-backgrounds\t%s\n' "$(basename "$photo")" "$photo"
done >> "$sources"
for name in "${plasma_photos[@]}"; do
    # The largest image of the wallpaper (by pixel count, from its file name).
    largest=$(find "$pkgs/usr/share/wallpapers/$name/contents/images" -type f \
        | awk -F/ '{ split($NF, a, /[x.]/); print a[1] * a[2], $0 }' | sort -n | tail -n 1 | cut -d' ' -f2-)
    printf 'plasma_%s.%s\tplasma-workspace-wallpapers\t%s\n' "$name" "${largest##*.}" "$largest"
done >> "$sources"
for name in "${lomiri_photos[@]}"; do
    pkg=lomiri-wallpapers-16.04
    [ "$name" = Kleiber_by_Lukas_Baubkus ] && pkg=lomiri-wallpapers-20.04
    printf 'lomiri_%s.jpg\t%s\t%s\n' "$name" "$pkg" "$pkgs/usr/share/backgrounds/$name.jpg"
done >> "$sources"

# The licence of each file, from its package's machine-readable copyright
# file: the last stanza whose Files pattern matches the file (DEP-5).
licence_of() {
    python3 - "$1" "$2" <<'EOF'
import sys
copyright, path = sys.argv[1], sys.argv[2]
licence, files = None, []
for stanza in open(copyright, encoding="utf-8").read().split("\n\n"):
    fields, key = {}, None
    for line in stanza.splitlines():
        if line[:1] in (" ", "\t") and key:
            fields[key] += " " + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            fields[key] = value.strip()
    patterns = fields.get("Files", "").split()
    # Source-tree folders differ from the installed ones: match "*" or the
    # file's own name.
    if any(p == "*" or p.rsplit("/", 1)[-1] == path.rsplit("/", 1)[-1] for p in patterns):
        licence = fields.get("License", "").split()[0]
print(licence or "UNKNOWN")
EOF
}

manifest=data/corpus/MANIFEST.tsv
printf 'file\tpackage\tversion\tlicence\tsha256\n' > "$manifest"
while IFS=$'\t' read -r name pkg file; do
    [ -f "$file" ] || { echo "missing: $file" >&2; exit 1; }
    ln -sfn "$file" "data/corpus/$name"
    version=$(dpkg-deb -f "$(ls data/debs/"${pkg}"_*.deb | tail -n 1)" Version)
    licence=$(licence_of "data/licences/$pkg.copyright" "$file")
    sum=$(sha256sum "$file" | cut -d' ' -f1)
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$pkg" "$version" "$licence" "$sum" >> "$manifest"
    target=train
    for h in "${heldout[@]}"; do [ "$h" = "$name" ] && target=heldout; done
    ln -sfn "$file" "data/$target/$name"
done < "$sources"

photos=$(($(wc -l < "$manifest") - 1))
echo "corpus: $photos photos ($(ls data/train | wc -l) train, $(ls data/heldout | wc -l) held out)"
echo "manifest: $manifest (sha256 $(sha256sum "$manifest" | cut -d' ' -f1))"
