#!/usr/bin/env bash
# Assembles the training corpus from the photographs shipped in Debian
# packages (see DESIGN §9 and assets/README.md):
#   mate-backgrounds             usr/share/backgrounds/mate/nature/*.jpg (12)
#   plasma-workspace-wallpapers  13 photographs, the largest image of each
# into data/ (git-ignored):
#   data/corpus/   all 25 (symlinks)
#   data/train/    20 for training
#   data/heldout/  5 held out for `polyshade eval`
#   data/licences/ the packages' copyright files
# Needs apt-get (no root: `apt-get download` writes to the current folder).
set -euo pipefail
cd "$(dirname "$0")/.."

heldout=(Garden.jpg Storm.jpg YellowFlower.jpg plasma_ColorfulCups.jpg plasma_EveningGlow.jpg)
plasma_photos=(BytheWater ColdRipple ColorfulCups DarkestHour EveningGlow FallenLeaf Grey Kite MilkyWay
    OneStandsOut Path Volna summer_1am)

mkdir -p data/debs data/pkgs data/corpus data/train data/heldout data/licences
(
    cd data/debs
    for pkg in mate-backgrounds plasma-workspace-wallpapers; do
        ls "${pkg}"_*.deb > /dev/null 2>&1 || apt-get download "$pkg"
    done
)
for deb in data/debs/*.deb; do
    dpkg -x "$deb" data/pkgs
done
cp data/pkgs/usr/share/doc/mate-backgrounds/copyright data/licences/mate-backgrounds.copyright
cp data/pkgs/usr/share/doc/plasma-workspace-wallpapers/copyright data/licences/plasma-workspace-wallpapers.copyright

pkgs=$(realpath data/pkgs)
for photo in "$pkgs"/usr/share/backgrounds/mate/nature/*.jpg; do
    ln -sfn "$photo" "data/corpus/$(basename "$photo")"
done
for name in "${plasma_photos[@]}"; do
    # The largest image of the wallpaper (by pixel count, from its file name).
    largest=$(find "$pkgs/usr/share/wallpapers/$name/contents/images" -type f \
        | awk -F/ '{ split($NF, a, /[x.]/); print a[1] * a[2], $0 }' | sort -n | tail -n 1 | cut -d' ' -f2-)
    ln -sfn "$largest" "data/corpus/plasma_${name}.${largest##*.}"
done

rm -f data/train/* data/heldout/*
for photo in data/corpus/*; do
    name=$(basename "$photo")
    target=train
    for h in "${heldout[@]}"; do [ "$h" = "$name" ] && target=heldout; done
    ln -sfn "$(readlink -f "$photo")" "data/$target/$name"
done
echo "corpus: $(ls data/corpus | wc -l) photos ($(ls data/train | wc -l) train, $(ls data/heldout | wc -l) held out)"
