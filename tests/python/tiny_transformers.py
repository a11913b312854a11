#!/usr/bin/env python3
"""Small transformers of torchvision's own classes, exported as anyone would, and their torch autograd references.

The architectures of vit_b_16, swin_t, swin_v2_t, convnext_tiny and maxvit_t at a fraction of their width and depth (64-pixel
images, seeded random weights, 1000 classes), so tests can serve them in seconds. `export` writes each as a plain
ONNX file the way a user's own script would: torch.onnx.export at opset 17 with a dynamic batch and no metadata at
all. `reference` rebuilds one and writes what its CAM-ready version must reproduce (torch_reference.py's files),
at the target layer named in the CAM-ready model's metadata.

  tiny_transformers.py export --out DIR
  tiny_transformers.py reference NAME --cam-ready DIR/NAME.onnx --out REFERENCE_DIR
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from types import SimpleNamespace

import torch
from torchvision.models import convnext, maxvit, swin_transformer, vision_transformer

import torch_reference

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "onnx"))
import export as exporter  # noqa: E402  (Swin V2 needs the exporter's missing symbolic, as a user's script would too)

SIZE = 64
SEED = 0


def build(name: str) -> torch.nn.Module:
    """The named tiny model with its seeded weights, in eval mode."""
    torch.manual_seed(SEED)
    if name == "vit":
        model = vision_transformer.VisionTransformer(
            image_size=SIZE, patch_size=16, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64)
    elif name == "swin":
        # Two blocks in the last stage, so the last one shifts its windows (the roll and the attention mask).
        model = swin_transformer.SwinTransformer(
            patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[1, 2], window_size=[4, 4], stochastic_depth_prob=0.0)
    elif name == "swinv2":
        # Post-norm blocks with cosine attention: the stream entering the last block's attention is a residual sum.
        model = swin_transformer.SwinTransformer(
            patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[1, 2], window_size=[4, 4], stochastic_depth_prob=0.0,
            block=swin_transformer.SwinTransformerBlockV2, downsample_layer=swin_transformer.PatchMergingV2)
    elif name == "convnext":
        model = convnext.ConvNeXt([convnext.CNBlockConfig(16, 32, 1), convnext.CNBlockConfig(32, None, 2)])
    elif name == "maxvit":
        model = maxvit.MaxVit(input_size=(SIZE, SIZE), stem_channels=8, partition_size=2, block_channels=[16, 32],
                              block_layers=[1, 1], head_dim=8, stochastic_depth_prob=0.0)
    else:
        raise SystemExit(f"unknown tiny model '{name}': {', '.join(NAMES)}")
    # torchvision starts ViT's classifier at zero, which would make every logit and gradient zero.
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() >= 2 and not parameter.any():
                parameter.normal_(0, 0.02)
    return model.eval()


NAMES = ["vit", "swin", "swinv2", "convnext", "maxvit"]
FAMILIES = {"vit": "ViT", "swin": "Swin", "swinv2": "Swin V2", "convnext": "ConvNeXt", "maxvit": "MaxViT"}


def export(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    exporter.register_missing_symbolics(17)
    for name in NAMES:
        model = build(name)
        # Gradients on, as in training code: torch 1.13's fused attention (taken under no_grad) has no ONNX export.
        torch.onnx.export(model, torch.randn(1, 3, SIZE, SIZE), str(out / f"{name}.onnx"), opset_version=17,
                          input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
        print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters, written to {out / (name + '.onnx')}")


def reference(name: str, cam_ready: Path, out: Path) -> None:
    layer, folding, tensor = torch_reference.cam_ready_layer(cam_ready)
    out.mkdir(parents=True, exist_ok=True)
    (out / "layer.txt").write_text(tensor)
    classifier = SimpleNamespace(module=build(name), family=FAMILIES[name])
    torch_reference.write_reference(classifier, layer, folding, SIZE, SEED, out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("export").add_argument("--out", type=Path, required=True)
    ref = commands.add_parser("reference")
    ref.add_argument("name", choices=NAMES)
    ref.add_argument("--cam-ready", type=Path, required=True)
    ref.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "export":
        export(args.out)
    else:
        reference(args.name, args.cam_ready, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
