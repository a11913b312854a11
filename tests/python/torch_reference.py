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
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "onnx"))
import export  # noqa: E402  (the exporter builds the very same model)

# The automatic target layer of each family, as CamService's locator picks it: the input of the global pooling for
# CNNs, ConvNeXt and MaxViT; the last block's normalisation before attention for ViT and Swin.
AUTO_LAYERS = {
    "ResNet": "layer4", "EfficientNet": "features", "ConvNeXt": "features", "MaxViT": "blocks.3",
    "ViT": "encoder.layers.encoder_layer_11.ln_1", "Swin": "features.7.1.norm1",
}
TARGETS = [[-1, 5], [281, -1]]


@dataclass
class Folding:
    """How the target layer becomes [N, K, h, w] (CamService's TargetFolding): NCHW as it is, NHWC transposed, TOKENS
    without the extra leading tokens and folded row by row into the h x w grid (pytorch-grad-cam's reshape_transform)."""

    layout: str = "NCHW"
    extra_tokens: int = 0
    grid: tuple[int, int] | None = None

    def __call__(self, tensor: torch.Tensor) -> torch.Tensor:
        if self.layout == "TOKENS":
            n, tokens, channels = tensor.shape
            h, w = self.grid or (int((tokens - self.extra_tokens) ** 0.5),) * 2
            return tensor[:, self.extra_tokens:, :].reshape(n, h, w, channels).permute(0, 3, 1, 2)
        if self.layout == "NHWC":
            return tensor.permute(0, 3, 1, 2)
        return tensor


def module_of(tensor: str) -> str | None:
    """The PyTorch module whose export scope holds an ONNX tensor (the inverse of export.onnx_tensor_of): scopes name a
    named child by its name (/encoder/ln_1/) and an indexed one with its parent's prefix (/features/features.7/), so
    '/blocks.3/layers.1/layers/x/Op_output_0' is blocks.3.layers.1.layers.x. None for a node outside every module."""
    scopes = tensor.lstrip("/").split("/")[:-1]
    path: list[str] = []
    previous = ""
    for scope in scopes:
        path.append(scope[len(previous) + 1:] if previous and scope.startswith(previous + ".") else scope)
        previous = scope
    return ".".join(path) or None


def cam_ready_layer(path: Path) -> tuple[str, Folding, str]:
    """The module path, folding and ONNX tensor of a CAM-ready model's target layer, from its metadata."""
    import onnx

    meta = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
    tensor = meta["cam.target_layer"]
    _, h, w = (int(d) for d in meta["cam.activation_shape"].split(","))
    folding = Folding(meta.get("cam.target_layout", "NCHW"), int(meta.get("cam.extra_tokens", "0")), (h, w))
    return module_of(tensor) or "auto", folding, tensor


def split_model(classifier: export.Classifier, layer: str):
    """Returns forward(x) -> (activations, logits) with activations a leaf that requires grad, in the target layer's own
    layout, and the layer's folding where the module says it (a plain LayerNorm over 4-D is NHWC). Autograd records only
    what follows the layer: the parameters need no gradient and the activations are cut from what made them, so a large
    model (ViT-H/14 at 518 px) keeps no tensor of the blocks before the layer."""
    model = classifier.module
    model.requires_grad_(False)
    if layer == "auto" and classifier.family == "DenseNet":
        # torchvision's DenseNet.forward: the tensor that feeds the pooling is relu(features).
        def forward(x):
            activations = F.relu(model.features(x)).detach().requires_grad_()
            pooled = torch.flatten(F.adaptive_avg_pool2d(activations, (1, 1)), 1)
            return activations, model.classifier(pooled)
        return forward, Folding()

    name = AUTO_LAYERS[classifier.family] if layer == "auto" else layer
    try:
        module = model.get_submodule(name)
    except AttributeError:
        # A module called more than once is scoped relu, relu_1, relu_2 ...: its hook sees the last call.
        module = model.get_submodule(re.sub(r"_\d+$", "", name))
    captured = {}

    def hook(_module, _inputs, output):
        # Returned, the leaf replaces the module's output: what follows reads the same values from it.
        captured["activations"] = output.detach().requires_grad_()
        return captured["activations"]

    module.register_forward_hook(hook)

    def forward(x):
        logits = model(x)
        return captured["activations"], logits

    # A plain LayerNorm over a 4-D tensor normalises its last axis: a channels-last grid (Swin). ConvNeXt's LayerNorm2d
    # permutes around it and stays channels-first.
    return forward, Folding("NHWC") if type(module) is torch.nn.LayerNorm else Folding()


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


def write_reference(classifier, layer: str, folding: Folding | None, size: int, seed: int, out: Path) -> None:
    """Runs a seeded batch of two images through the classifier (anything with .module and .family) and writes what the
    CAM-ready model must reproduce at the layer: input, targets, chosen, logits, folded activations and gradients, and
    each one-pass method's maps."""
    out.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(1000 + seed)
    x = torch.randn(2, 3, size, size, generator=generator)
    targets = torch.tensor(TARGETS, dtype=torch.int64)

    forward, module_folding = split_model(classifier, layer)
    folding = folding or module_folding
    raw, logits = forward(x)
    if raw.dim() == 3 and folding.layout != "TOKENS":
        tokens = raw.shape[1]
        folding = Folding("TOKENS", tokens - int(tokens**0.5) ** 2)
    elif raw.dim() != 4 and folding.layout == "NHWC":
        folding = Folding()
    chosen = torch.where(targets < 0, logits.argmax(dim=1, keepdim=True), targets)

    gradients = []
    for t in range(chosen.shape[1]):
        score = logits.gather(1, chosen[:, t : t + 1]).sum()
        (grad,) = torch.autograd.grad(score, raw, retain_graph=True)
        gradients.append(folding(grad))
    gradients = torch.stack(gradients, dim=1)  # [N, T, K, h, w]
    activations = folding(raw)

    def save(name, tensor):
        np.save(out / f"{name}.npy", tensor.detach().cpu().numpy())

    save("input", x)
    save("targets", targets)
    save("chosen", chosen)
    save("logits", logits)
    save("activations", activations)
    save("gradients", gradients)
    # In doubles: the reference should be the formula, not float32's rounding of it.
    for name, method in METHODS.items():
        save(name, method(activations.detach().double(), gradients.double()).float())
    print(f"{layer}: activations {tuple(activations.shape)}, chosen {chosen.tolist()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--layer", default="auto", help="'auto' or a module path such as layer4.1")
    parser.add_argument("--onnx", type=Path, help="the plain export, to name the layer's ONNX tensor")
    parser.add_argument("--cam-ready", type=Path,
                        help="a CAM-ready model whose target layer (from its metadata) is the reference's; overrides --layer")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    classifier = export.build(args.arch, "random", args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    folding = None
    if args.cam_ready:
        args.layer, folding, tensor = cam_ready_layer(args.cam_ready)
        (args.out / "layer.txt").write_text(tensor)
    elif args.layer != "auto":
        if args.onnx is None:
            parser.error("--onnx is needed with a module --layer")
        (args.out / "layer.txt").write_text(export.onnx_tensor_of(args.layer, args.onnx))

    write_reference(classifier, args.layer, folding, classifier.input_size, args.seed, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
