#!/usr/bin/env python3
"""Torch autograd reference for the CAM-ready parity tests.

Rebuilds a model exactly as onnx/export.py does (same architecture, seed and random weights), runs a
seeded random batch through it, and writes what the ONNX model must reproduce as .npy files:
input, targets, chosen (targets with -1 resolved to top-1), logits, activations at the target layer,
gradients d logits[n, chosen[n, t]] / d activations[n], and each one-pass CAM method's raw maps
[N, T, h, w] in METHOD.npy (gradcam.npy, gradcam++.npy, ...), computed from those activations and
gradients with pytorch-grad-cam's formulas.

  torch_reference.py --arch resnet50 --seed 0 --layer auto --out DIR
  torch_reference.py --arch resnet50 --seed 0 --layer layer4.1 --onnx plain.onnx --out DIR

For a module layer, DIR/layer.txt names the ONNX tensor that holds the module's output.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "onnx"))
import export  # noqa: E402  (the exporter builds the very same model)

AUTO_LAYERS = {"ResNet": "layer4", "EfficientNet": "features"}
TARGETS = [[-1, 5], [281, -1]]


def split_model(classifier: export.Classifier, layer: str):
    """Returns forward(x) -> (activations, logits) with activations a leaf-like tensor that retains grad."""
    model = classifier.module
    if layer == "auto" and classifier.family == "DenseNet":
        # torchvision's DenseNet.forward: the tensor that feeds the pooling is relu(features).
        def forward(x):
            activations = F.relu(model.features(x))
            activations.retain_grad()
            pooled = torch.flatten(F.adaptive_avg_pool2d(activations, (1, 1)), 1)
            return activations, model.classifier(pooled)
        return forward

    name = AUTO_LAYERS[classifier.family] if layer == "auto" else layer
    module = model.get_submodule(name)
    captured = {}

    def hook(_module, _inputs, output):
        output.retain_grad()
        captured["activations"] = output

    module.register_forward_hook(hook)

    def forward(x):
        logits = model(x)
        return captured["activations"], logits

    return forward


def channel_weighted(activations, weights):
    """ReLU(sum_k w_k A_k) for weights [N, T, K]: the shape of Grad-CAM and its kin (base_cam.get_cam_image)."""
    return F.relu((weights[..., None, None] * activations.unsqueeze(1)).sum(dim=2))


def gradcam(activations, gradients):
    return channel_weighted(activations, gradients.mean(dim=(-2, -1)))


def gradcam_plusplus(activations, gradients):
    squared = gradients**2
    cubed = squared * gradients
    activation_sums = activations.sum(dim=(-2, -1))[:, None, :, None, None]
    alpha = squared / (2 * squared + activation_sums * cubed + 1e-6)
    alpha = torch.where(gradients != 0, alpha, torch.zeros_like(alpha))
    return channel_weighted(activations, (F.relu(gradients) * alpha).sum(dim=(-2, -1)))


def xgradcam(activations, gradients):
    activation_sums = activations.sum(dim=(-2, -1))[:, None, :]
    return channel_weighted(activations, (gradients * activations.unsqueeze(1)).sum(dim=(-2, -1)) / (activation_sums + 1e-7))


def hirescam(activations, gradients):
    return F.relu((gradients * activations.unsqueeze(1)).sum(dim=2))


def layercam(activations, gradients):
    return F.relu((F.relu(gradients) * activations.unsqueeze(1)).sum(dim=2))


def eigencam(activations, gradients):
    """First principal component of the centred [h*w, K] activations (svd_on_activations.get_2d_projection),
    with CamService's sign convention: the projection correlates non-negatively with sum_k A_k."""
    n, k, h, w = activations.shape
    maps = []
    for image in activations:
        positions = image.reshape(k, h * w).T
        positions = positions - positions.mean(dim=0)
        _, _, vh = torch.linalg.svd(positions, full_matrices=False)
        projection = positions @ vh[0]
        if projection @ positions.sum(dim=1) < 0:
            projection = -projection
        maps.append(F.relu(projection).reshape(h, w))
    return torch.stack(maps).unsqueeze(1).expand(n, gradients.shape[1], h, w).contiguous()


METHODS = {
    "gradcam": gradcam,
    "gradcam++": gradcam_plusplus,
    "xgradcam": xgradcam,
    "hirescam": hirescam,
    "layercam": layercam,
    "eigencam": eigencam,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--layer", default="auto", help="'auto' or a module path such as layer4.1")
    parser.add_argument("--onnx", type=Path, help="the plain export, to name the layer's ONNX tensor")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    classifier = export.build(args.arch, "random", args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.layer != "auto":
        if args.onnx is None:
            parser.error("--onnx is needed with a module --layer")
        (args.out / "layer.txt").write_text(export.onnx_tensor_of(args.layer, args.onnx))

    generator = torch.Generator().manual_seed(1000 + args.seed)
    size = classifier.input_size
    x = torch.randn(2, 3, size, size, generator=generator)
    targets = torch.tensor(TARGETS, dtype=torch.int64)

    forward = split_model(classifier, args.layer)
    activations, logits = forward(x)
    chosen = torch.where(targets < 0, logits.argmax(dim=1, keepdim=True), targets)

    gradients = []
    for t in range(chosen.shape[1]):
        score = logits.gather(1, chosen[:, t : t + 1]).sum()
        (grad,) = torch.autograd.grad(score, activations, retain_graph=True)
        gradients.append(grad)
    gradients = torch.stack(gradients, dim=1)  # [N, T, K, h, w]

    def save(name, tensor):
        np.save(args.out / f"{name}.npy", tensor.detach().cpu().numpy())

    save("input", x)
    save("targets", targets)
    save("chosen", chosen)
    save("logits", logits)
    save("activations", activations)
    save("gradients", gradients)
    # In doubles: the reference should be the formula, not float32's rounding of it.
    for name, method in METHODS.items():
        save(name, method(activations.detach().double(), gradients.double()).float())
    print(f"{args.arch} {args.layer}: activations {tuple(activations.shape)}, chosen {chosen.tolist()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
