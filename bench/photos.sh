#!/usr/bin/env bash
# The benchmarks' photos, made once from Debian's CC0 sample images: a 224×224 cat (the model-sized request)
# and a 4000×3000 phone-sized JPEG. Prints their paths, one per line: the 224 px one, then the 12 MP one.
set -euo pipefail
cd "$(dirname "$0")/.."
samples=$(scripts/fetch-sample-images.sh .cache/samples)
photo=.cache/bench-chelsea-224.png
phone=.cache/bench-phone-12mp.jpg
/usr/bin/python3 - "$samples" "$photo" "$phone" <<'PY'
import os, sys
import numpy as np
from PIL import Image
samples, photo, phone = sys.argv[1:]
if not os.path.exists(photo):
    Image.open(os.path.join(samples, 'chelsea.png')).convert('RGB').resize((224, 224), Image.BILINEAR).save(photo)
if not os.path.exists(phone):
    # A phone picture: 4000×3000, with sensor-like noise so that it compresses as a real photo does (1.6 MB at quality 90).
    image = Image.open(os.path.join(samples, 'astronaut.png')).convert('RGB').resize((4000, 3000), Image.BICUBIC)
    pixels = np.asarray(image).astype(np.float32) + np.random.default_rng(0).normal(0, 3.0, (3000, 4000, 3))
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(phone + '.partial.jpg', quality=90)
    os.replace(phone + '.partial.jpg', phone)
PY
echo "$photo"
echo "$phone"
