#!/usr/bin/env python3
"""Checks the container's answer to POST /cam for a photo and its models, against GET /models.

  check-answer.py ANSWER.json MODELS.json PHOTO.png efficientnet_b0,densenet121,resnet50,swin_t

One result per model in the order asked; ranked predictions; a finite map; heatmap and overlay PNGs at
the photo's size; `untrained` as GET /models says. A pretrained model must see the cat in
chelsea.png (ImageNet classes 281-285); random weights are labelled untrained instead.
"""
import base64
import json
import math
import struct
import sys

CATS = range(281, 286)


def png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


def check(answer: dict, described: dict, photo_size: tuple[int, int], models: list[str]) -> list[str]:
    problems = []
    if (answer["image"]["width"], answer["image"]["height"]) != photo_size:
        problems.append(f"image {answer['image']} is not the photo's size {photo_size}")
    results = answer["results"]
    if [r["model"] for r in results] != models:
        problems.append(f"results for {[r['model'] for r in results]}, asked for {models}")
    for result in results:
        name = result["model"]
        model = described.get(name)
        if model is None or model["status"] != "ready":
            problems.append(f"{name} is not ready in GET /models: {model}")
            continue
        predictions = result["predictions"]
        probabilities = [p["probability"] for p in predictions]
        if len(predictions) != 5 or probabilities != sorted(probabilities, reverse=True) or not 0 < sum(probabilities) <= 1.0001:
            problems.append(f"{name}: predictions are not the 5 most probable classes: {predictions}")
        if result["target"]["index"] != predictions[0]["index"]:
            problems.append(f"{name}: the target {result['target']} is not the top-1 class")
        cam = result["cam"]
        if cam["width"] * cam["height"] != len(cam["data"]) or not all(math.isfinite(v) for v in cam["data"]):
            problems.append(f"{name}: the map is not {cam['width']}x{cam['height']} finite values")
        for picture in ("heatmapPng", "overlayPng"):
            size = png_size(base64.b64decode(result[picture]))
            if size != photo_size:
                problems.append(f"{name}: {picture} is {size}, not the photo's {photo_size}")
        if result["untrained"] != model["untrained"] or model["untrained"] != (model["weights"] == "random"):
            problems.append(f"{name}: untrained {result['untrained']}, GET /models {model['untrained']} with {model['weights']} weights")
        if model["weights"] == "pretrained" and predictions[0]["index"] not in CATS:
            problems.append(f"{name}: pretrained, but sees {predictions[0]['label']} in the cat photo")
        print(f"{name}: {model['weights']} weights (untrained {result['untrained']}), top-1 {predictions[0]['label']} "
              f"{predictions[0]['probability']:.3f}, map {cam['width']}x{cam['height']}, {model['latencyMs']} ms per image")
    return problems


def main(answer_path: str, models_path: str, photo_path: str, models: str) -> int:
    with open(answer_path) as f:
        answer = json.load(f)
    with open(models_path) as f:
        described = {m["id"]: m for m in json.load(f)}
    with open(photo_path, "rb") as f:
        photo_size = png_size(f.read(24))
    problems = check(answer, described, photo_size, models.split(","))
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
