#!/usr/bin/env python3
"""Writes tests/fixtures/exif_icc.jpg: a small synthetic photo (160×120 as
stored, EXIF Orientation 6 so it shows as 120×160) that carries an sRGB ICC
profile (LittleCMS's, via Pillow) and an EXIF block with Make, Model,
Artist, Software and Orientation. Export tests check that both survive.
Needs Pillow (pip install pillow)."""
import math
import pathlib

from PIL import Image, ImageCms

W, H = 160, 120
img = Image.new("RGB", (W, H))
px = img.load()
for y in range(H):
    for x in range(W):
        # A soft colour field with a sharp step: something to resaturate.
        r = 0.5 + 0.35 * math.sin(x / 17.0)
        g = 0.45 + 0.3 * math.cos(y / 13.0)
        b = 0.55 if x < W // 2 else 0.25
        px[x, y] = tuple(int(255 * max(0.0, min(1.0, c))) for c in (r, g, b))

exif = Image.Exif()
exif[0x010F] = "Polyshade test fixture"  # Make
exif[0x0110] = "synthetic"  # Model
exif[0x013B] = "Polyshade developers"  # Artist
exif[0x0131] = "make_exif_fixture.py"  # Software
exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()

out = pathlib.Path(__file__).resolve().parent.parent / "tests/fixtures/exif_icc.jpg"
img.save(out, quality=92, exif=exif.tobytes(), icc_profile=icc)
print(out, out.stat().st_size, "bytes")
