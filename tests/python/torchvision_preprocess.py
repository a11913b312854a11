#!/usr/bin/env python3
"""torchvision's evaluation preprocessing, as the reference for CamService.Imaging's TensorPreprocessor.

  torchvision_preprocess.py CASES.json

CASES.json is a list of jobs. A "tensor" job writes the float32 NCHW (C order, little-endian) tensor that
  Resize(resize or (height, width), interpolation) [+ CenterCrop((height, width))] + ToTensor() + Normalize(mean, std)
makes from the image, decoded by PIL and converted to RGB as torchvision's ImageFolder does:
  {"job": "tensor", "image": PATH, "out": PATH, "mode": "crop"|"stretch", "resize": 256,
   "height": 224, "width": 224, "interpolation": "bilinear"|"bicubic", "mean": [...], "std": [...]}
A "png" job re-encodes the RGB pixels PIL decodes from "image" as a lossless PNG at "out", so a JPEG can
be compared without the two libraries' JPEG decoders differing:
  {"job": "png", "image": PATH, "out": PATH}
"""
from __future__ import annotations

import json
import sys

import numpy as np
import torchvision
from PIL import Image
from torchvision import transforms

INTERPOLATION = {
    "bilinear": transforms.InterpolationMode.BILINEAR,
    "bicubic": transforms.InterpolationMode.BICUBIC,
}


def tensor(job: dict) -> None:
    size = job["resize"] if job["mode"] == "crop" else (job["height"], job["width"])
    steps = [transforms.Resize(size, interpolation=INTERPOLATION[job["interpolation"]])]
    if job["mode"] == "crop":
        steps.append(transforms.CenterCrop((job["height"], job["width"])))
    steps += [transforms.ToTensor(), transforms.Normalize(job["mean"], job["std"])]
    with Image.open(job["image"]) as image:
        result = transforms.Compose(steps)(image.convert("RGB"))
    np.ascontiguousarray(result.numpy(), dtype="<f4").tofile(job["out"])


def png(job: dict) -> None:
    with Image.open(job["image"]) as image:
        image.convert("RGB").save(job["out"], format="PNG")


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        jobs = json.load(f)
    for job in jobs:
        {"tensor": tensor, "png": png}[job["job"]](job)
    print(f"torchvision {torchvision.__version__}, {len(jobs)} jobs")


if __name__ == "__main__":
    main()
