#!/usr/bin/env python3
"""Torch reference for the parity tests of the perturbation methods, Ablation-CAM and Score-CAM.

Rebuilds a model exactly as onnx/export.py does and takes the seeded batch and targets of torch_reference.py,
at the automatic target layer, and writes as .npy files: input, targets, chosen (targets with -1 resolved to
top-1), and the raw maps [N, T, h, w] of

  ablationcam  every channel k of the activations zeroed in turn, the head (target layer → logits) rerun in
               torch; w_k = (y − y_k) / y; map = ReLU(Σ w_k A_k)
  scorecam     the top --channels channels by mean activation, each upsampled to the input (bilinear, aligned
               corners, as pytorch-grad-cam's UpsamplingBilinear2d), scaled to [0, 1], multiplied into the
               input and run through the whole model; w = softmax over those channels of the target's score;
               map = ReLU(Σ w_k A_k)

  torch_perturbation_reference.py --arch resnet50 --seed 0 --channels 16 --out DIR
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import torch_reference  # noqa: E402  (its model split, batch and targets)
from torch_reference import export  # noqa: E402


def head_of(classifier: export.Classifier):
    """The part of the model from the automatic target layer to the logits."""
    model = classifier.module
    if classifier.family == "ResNet":
        return lambda a: model.fc(torch.flatten(model.avgpool(a), 1))
    if classifier.family == "EfficientNet":
        return lambda a: model.classifier(torch.flatten(model.avgpool(a), 1))
    if classifier.family == "DenseNet":
        # The automatic layer of a DenseNet is relu(features), the tensor that feeds the pooling.
        return lambda a: model.classifier(torch.flatten(F.adaptive_avg_pool2d(a, (1, 1)), 1))
    raise SystemExit(f"no head for the family {classifier.family}")


def activations_and_logits(classifier: export.Classifier, x):
    """The automatic layer's activations (as torch_reference.split_model takes them) and the logits, without autograd."""
    model = classifier.module
    if classifier.family == "DenseNet":
        activations = F.relu(model.features(x))
        return activations, head_of(classifier)(activations)
    captured = {}
    handle = model.get_submodule(torch_reference.AUTO_LAYERS[classifier.family]).register_forward_hook(
        lambda _module, _inputs, output: captured.setdefault("activations", output))
    logits = model(x)
    handle.remove()
    return captured["activations"], logits


def ablation_cam(head, activations, chosen, logits, batch=128):
    """[N, T, h, w]: w_k = (y − y_k) / y with y_k the score when channel k is zeroed."""
    n_images, channels = activations.shape[:2]
    maps = []
    for n in range(n_images):
        ablated_scores = []
        for first in range(0, channels, batch):
            ks = torch.arange(first, min(first + batch, channels))
            ablated = activations[n].repeat(len(ks), 1, 1, 1)
            ablated[torch.arange(len(ks)), ks] = 0
            ablated_scores.append(head(ablated))
        ablated_scores = torch.cat(ablated_scores)  # [K, C]
        per_target = []
        for c in chosen[n].tolist():
            y = logits[n, c]
            weights = (y - ablated_scores[:, c]) / y
            per_target.append(F.relu((weights[:, None, None] * activations[n]).sum(0)))
        maps.append(torch.stack(per_target))
    return torch.stack(maps)


def score_cam(model, x, activations, chosen, channels, batch=16):
    """[N, T, h, w] from the top `channels` channels by mean activation."""
    maps = []
    for n in range(x.shape[0]):
        top = activations[n].mean(dim=(1, 2)).topk(channels).indices
        upsampled = F.interpolate(activations[n, top][None], size=x.shape[-2:], mode="bilinear", align_corners=True)[0]
        flat = upsampled.view(channels, -1)
        mins, maxs = flat.min(dim=1).values, flat.max(dim=1).values
        upsampled = (upsampled - mins[:, None, None]) / (maxs - mins + 1e-8)[:, None, None]
        masked = x[n][None] * upsampled[:, None]
        scores = torch.cat([model(masked[i : i + batch]) for i in range(0, channels, batch)])  # [channels, C]
        per_target = []
        for c in chosen[n].tolist():
            weights = torch.softmax(scores[:, c], dim=0)
            per_target.append(F.relu((weights[:, None, None] * activations[n, top]).sum(0)))
        maps.append(torch.stack(per_target))
    return torch.stack(maps)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--channels", type=int, default=16, help="Score-CAM's top-N channels")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    classifier = export.build(args.arch, "random", args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(1000 + args.seed)
    size = classifier.input_size
    x = torch.randn(2, 3, size, size, generator=generator)
    targets = torch.tensor(torch_reference.TARGETS, dtype=torch.int64)

    with torch.no_grad():
        activations, logits = activations_and_logits(classifier, x)
        chosen = torch.where(targets < 0, logits.argmax(dim=1, keepdim=True), targets)
        ablation = ablation_cam(head_of(classifier), activations, chosen, logits)
        score = score_cam(classifier.module, x, activations, chosen, args.channels)

    def save(name, tensor):
        np.save(args.out / f"{name}.npy", tensor.detach().cpu().numpy())

    save("input", x)
    save("targets", targets)
    save("chosen", chosen)
    save("ablationcam", ablation)
    save("scorecam", score)
    print(f"{args.arch}: activations {tuple(activations.shape)}, chosen {chosen.tolist()}, Score-CAM on {args.channels} channels")
    return 0


if __name__ == "__main__":
    sys.exit(main())
