#!/usr/bin/env python3
"""Export image classifiers to CAM-ready ONNX.

For each architecture this writes the plain ONNX classifier (opset >= 17, dynamic batch, labels and
preprocessing in its metadata) to OUT_DIR/plain/NAME.onnx, then makes it CAM-ready with the C#
`camservice prepare` command, writing OUT_DIR/NAME.onnx. Python is only needed to produce models;
serving runs in ONNX Runtime alone.

  onnx/export.py resnet50 densenet121 efficientnet_b0 --out-dir onnx/models
  onnx/export.py resnet50 --weights random --seed 0 --out-dir /tmp/models   # offline, untrained

Architectures: any torchvision classifier by name (efficientnet_b0..b7, densenet121/161/169/201,
resnet18/34/50/101/152, mobilenet_v3_large, ...), and, where the efficientnet_pytorch package is
installed, efficientnet_pytorch-b0..b7 (the weights of the original comparison notebook).
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import shlex
import subprocess
import sys
import urllib.error
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torchvision

REPO = Path(__file__).resolve().parent.parent
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Input sizes of the original EfficientNets (arXiv 1905.11946, table 1 and its released code).
EFFICIENTNET_PYTORCH_SIZES = {"b0": 224, "b1": 240, "b2": 260, "b3": 300, "b4": 380, "b5": 456, "b6": 528, "b7": 600}
EFFICIENTNET_PYTORCH_PREFIX = "efficientnet_pytorch-"


class ExportError(Exception):
    """An export cannot go on; the message says why."""


@dataclass
class Classifier:
    """A PyTorch classifier in eval mode and everything the ONNX metadata says about it."""

    name: str
    module: torch.nn.Module
    family: str
    weights: str  # pretrained | random
    weights_source: str
    labels: list[str]
    input_size: int
    resize_size: int
    interpolation: str = "bilinear"
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    extra: dict[str, str] = field(default_factory=dict)


def family_of(arch: str) -> str:
    for prefix, family in [
        ("efficientnet", "EfficientNet"), ("densenet", "DenseNet"), ("resnet", "ResNet"), ("resnext", "ResNeXt"),
        ("wide_resnet", "Wide ResNet"), ("mobilenet", "MobileNet"), ("regnet", "RegNet"), ("convnext", "ConvNeXt"),
        ("vgg", "VGG"), ("squeezenet", "SqueezeNet"), ("shufflenet", "ShuffleNet"), ("mnasnet", "MNASNet"),
        ("googlenet", "GoogLeNet"), ("inception", "Inception"), ("alexnet", "AlexNet"), ("vit", "ViT"), ("swin", "Swin"),
    ]:
        if arch.startswith(prefix):
            return family
    return arch


def build_torchvision(arch: str, weights: str, seed: int) -> Classifier:
    """A torchvision classifier with its official ImageNet weights, or seeded random weights."""
    if arch not in torchvision.models.list_models(module=torchvision.models):
        raise ExportError(f"'{arch}' is not a torchvision classifier; see torchvision.models.list_models().")
    enum = torchvision.models.get_model_weights(arch)
    default = enum.DEFAULT
    transforms = default.transforms()
    if weights == "pretrained":
        try:
            module = torchvision.models.get_model(arch, weights=default)
        except (urllib.error.URLError, OSError, RuntimeError) as e:
            raise ExportError(f"could not download the pretrained weights {default} for {arch}: {e}") from e
        source = f"torchvision {torchvision.__version__} {default}"
    else:
        torch.manual_seed(seed)
        module = torchvision.models.get_model(arch, weights=None)
        source = f"random (torch.manual_seed({seed}), torchvision {torchvision.__version__} {arch})"
    return Classifier(
        name=arch,
        module=module.eval(),
        family=family_of(arch),
        weights=weights,
        weights_source=source,
        labels=list(default.meta["categories"]),
        input_size=int(transforms.crop_size[0]),
        resize_size=int(transforms.resize_size[0]),
        interpolation=transforms.interpolation.value,
        mean=tuple(transforms.mean),
        std=tuple(transforms.std),
    )


def build_efficientnet_pytorch(arch: str, weights: str, seed: int) -> Classifier:
    """lukemelas' EfficientNet (the efficientnet_pytorch package), as in the original comparison notebook."""
    try:
        from efficientnet_pytorch import EfficientNet  # type: ignore[import-not-found]
    except ImportError as e:
        raise ExportError(f"{arch} needs the efficientnet_pytorch package (pip install efficientnet_pytorch)") from e
    variant = arch[len(EFFICIENTNET_PYTORCH_PREFIX):]
    if variant not in EFFICIENTNET_PYTORCH_SIZES:
        raise ExportError(f"'{arch}' is not one of {', '.join(EFFICIENTNET_PYTORCH_PREFIX + v for v in EFFICIENTNET_PYTORCH_SIZES)}")
    name = f"efficientnet-{variant}"
    if weights == "pretrained":
        try:
            module = EfficientNet.from_pretrained(name)
        except (urllib.error.URLError, OSError, RuntimeError) as e:
            raise ExportError(f"could not download the pretrained weights of {name}: {e}") from e
        source = f"efficientnet_pytorch {name} (ImageNet)"
    else:
        torch.manual_seed(seed)
        module = EfficientNet.from_name(name)
        source = f"random (torch.manual_seed({seed}), efficientnet_pytorch {name})"
    # The memory-efficient Swish is a custom autograd function that ONNX cannot export.
    module.set_swish(memory_efficient=False)
    size = EFFICIENTNET_PYTORCH_SIZES[variant]
    imagenet = torchvision.models.get_model_weights("resnet50").DEFAULT.meta["categories"]
    return Classifier(
        name=arch, module=module.eval(), family="EfficientNet", weights=weights, weights_source=source,
        labels=list(imagenet), input_size=size, resize_size=size + 32, interpolation="bicubic",
    )


def build(arch: str, weights: str, seed: int) -> Classifier:
    if arch.startswith(EFFICIENTNET_PYTORCH_PREFIX):
        return build_efficientnet_pytorch(arch, weights, seed)
    return build_torchvision(arch, weights, seed)


def metadata(classifier: Classifier) -> dict[str, str]:
    """The cam.* metadata of a plain export; onnx/README.md documents each key."""
    return {
        "cam.architecture": classifier.name,
        "cam.family": classifier.family,
        "cam.weights": classifier.weights,
        "cam.weights_source": classifier.weights_source,
        "cam.input": "input",
        "cam.input_size": f"{classifier.input_size},{classifier.input_size}",
        "cam.resize_size": str(classifier.resize_size),
        "cam.interpolation": classifier.interpolation,
        "cam.mean": ",".join(repr(float(m)) for m in classifier.mean),
        "cam.std": ",".join(repr(float(s)) for s in classifier.std),
        "cam.channel_order": "RGB",
        "cam.pixel_scale": "1/255",
        "cam.layout": "NCHW",
        "cam.labels": json.dumps(classifier.labels),
        "cam.parameters": str(sum(p.numel() for p in classifier.module.parameters())),
        **classifier.extra,
    }


def export_plain(classifier: Classifier, path: Path, opset: int) -> None:
    """torch.onnx.export with a dynamic batch, then the metadata."""
    import onnx

    path.parent.mkdir(parents=True, exist_ok=True)
    dummy = torch.randn(1, 3, classifier.input_size, classifier.input_size)
    # Newer PyTorch defaults to the dynamo exporter; the TorchScript one names tensors by module scope.
    legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    with torch.no_grad():
        torch.onnx.export(
            classifier.module, dummy, str(path), opset_version=opset, do_constant_folding=True,
            input_names=["input"], output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, **legacy,
        )
    model = onnx.load(str(path))
    for key, value in metadata(classifier).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(path))


def onnx_tensor_of(module_path: str, onnx_path: Path) -> str:
    """The ONNX tensor holding a PyTorch module's output: the output of the last node in its export scope.

    torch.onnx names scopes by attribute: a named child keeps its name (/features/denseblock4/), an
    indexed child of a Sequential is prefixed with its parent (/layer4/layer4.1/).
    """
    import onnx

    parts = module_path.split(".")
    names = [f"{parts[i - 1]}.{part}" if part.isdigit() and i > 0 else part for i, part in enumerate(parts)]
    scope = "/" + "/".join(names) + "/"
    graph = onnx.load(str(onnx_path), load_external_data=False).graph
    nodes = [n for n in graph.node if n.name.startswith(scope)]
    if not nodes:
        raise ExportError(f"no ONNX node belongs to module '{module_path}' (scope {scope})")
    return nodes[-1].output[0]


def cli_command() -> list[str]:
    """How to run the C# command line: $CAMSERVICE_CLI, else `dotnet run` on the project."""
    if os.environ.get("CAMSERVICE_CLI"):
        return shlex.split(os.environ["CAMSERVICE_CLI"])
    return ["dotnet", "run", "--project", str(REPO / "src" / "CamService.Cli"), "-c", "Release", "--"]


def prepare(plain: Path, cam_ready: Path, extra: list[str]) -> None:
    command = cli_command() + ["prepare", str(plain), str(cam_ready), *extra]
    result = subprocess.run(command, text=True, capture_output=True)
    sys.stdout.write(result.stdout)
    if result.returncode != 0:
        raise ExportError(f"prepare failed ({' '.join(command)}):\n{result.stderr}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archs", nargs="+", metavar="ARCH", help="torchvision model names or efficientnet_pytorch-bN")
    parser.add_argument("--out-dir", type=Path, default=REPO / "onnx" / "models")
    parser.add_argument("--weights", choices=["pretrained", "random"], default="pretrained",
                        help="official ImageNet weights (needs internet) or seeded random weights (untrained)")
    parser.add_argument("--seed", type=int, default=0, help="seed for --weights random")
    parser.add_argument("--allow-random-fallback", action="store_true",
                        help="when pretrained weights cannot be downloaded, export random (untrained) weights instead")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--plain-only", action="store_true", help="write the plain ONNX only, do not run prepare")
    parser.add_argument("--target-layer", help="passed to prepare: the target tensor's name")
    parser.add_argument("--target-module", help="the target layer as a PyTorch module path (e.g. features.norm5 "
                        "for DenseNet as pytorch-grad-cam's examples use it); its ONNX tensor is passed to prepare")
    args = parser.parse_args(argv)
    if args.opset < 17:
        parser.error("--opset must be 17 or newer")

    failures = 0
    for arch in args.archs:
        try:
            try:
                classifier = build(arch, args.weights, args.seed)
            except ExportError as e:
                if not (args.allow_random_fallback and args.weights == "pretrained"):
                    raise
                print(f"warning: {e}; exporting {arch} with random weights instead (labelled untrained)", file=sys.stderr)
                classifier = build(arch, "random", args.seed)
            plain = args.out_dir / "plain" / f"{arch}.onnx"
            export_plain(classifier, plain, args.opset)
            print(f"{arch}: plain ONNX ({classifier.weights} weights) written to {plain}")
            if not args.plain_only:
                layer = onnx_tensor_of(args.target_module, plain) if args.target_module else args.target_layer
                prepare(plain, args.out_dir / f"{arch}.onnx", ["--target-layer", layer] if layer else [])
        except ExportError as e:
            print(f"error: {arch}: {e}", file=sys.stderr)
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
