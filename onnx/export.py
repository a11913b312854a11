#!/usr/bin/env python3
"""Export image classifiers to CAM-ready ONNX.

For each architecture this writes the plain ONNX classifier (opset >= 17, dynamic batch, labels and
preprocessing in its metadata) to OUT_DIR/plain/NAME.onnx, then makes it CAM-ready with the C#
`camservice prepare` command, writing OUT_DIR/NAME.onnx. Python is only needed to produce models;
serving runs in ONNX Runtime alone.

  onnx/export.py resnet50 densenet121 efficientnet_b0 --out-dir onnx/models
  onnx/export.py resnet50 --weights random --seed 0 --out-dir /tmp/models   # offline, untrained
  onnx/export.py vit_b_16 --weights-variant IMAGENET1K_SWAG_E2E_V1           # another published weight set

Architectures: every torchvision classifier by name (torchvision.models.list_models(); 80 in
torchvision 0.14: alexnet, convnext_*, densenet*, efficientnet_b0..b7, efficientnet_v2_*, googlenet,
inception_v3, maxvit_t, mnasnet*, mobilenet_v2, mobilenet_v3_*, regnet_x_*, regnet_y_*, resnet*,
resnext*, shufflenet_v2_*, squeezenet*, swin_*, swin_v2_*, vgg*, vit_*, wide_resnet*), and, where the
efficientnet_pytorch package is installed, efficientnet_pytorch-b0..b7 (the weights of the original
comparison notebook). Each model is exported at the input size of its weights (crop size).

Pretrained weights are downloaded by torchvision into $TORCH_HOME/hub/checkpoints/ (default
~/.cache/torch); a checkpoint already there, under the file name of the weights' URL, is used offline.
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import shlex
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
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

# The family of each torchvision architecture, by name prefix; the longest matching prefix wins, so
# efficientnet_v2_s is EfficientNetV2 and swin_v2_t is Swin V2, not EfficientNet and Swin.
FAMILIES = {
    "alexnet": "AlexNet",
    "convnext": "ConvNeXt",
    "densenet": "DenseNet",
    "efficientnet": "EfficientNet",
    "efficientnet_v2": "EfficientNetV2",
    "googlenet": "GoogLeNet",
    "inception_v3": "Inception V3",
    "maxvit": "MaxViT",
    "mnasnet": "MNASNet",
    "mobilenet_v2": "MobileNet V2",
    "mobilenet_v3": "MobileNet V3",
    "regnet_x": "RegNetX",
    "regnet_y": "RegNetY",
    "resnet": "ResNet",
    "resnext": "ResNeXt",
    "shufflenet_v2": "ShuffleNet V2",
    "squeezenet": "SqueezeNet",
    "swin": "Swin",
    "swin_v2": "Swin V2",
    "vgg": "VGG",
    "vit": "ViT",
    "wide_resnet": "Wide ResNet",
}

# torchvision builds GoogLeNet and Inception V3 differently without weights: googlenet() keeps two
# auxiliary heads and both skip transform_input (the pretrained weights expect the ImageNet-normalised
# input re-normalised to the ±1 range they were ported with). Random weights use the pretrained
# configuration, so that a random export has the pretrained graph. Inception V3's pretrained model keeps
# its auxiliary head (counted in torchvision's num_params); in eval mode both return the logits only.
PRETRAINED_CONFIGURATION = {
    "googlenet": {"aux_logits": False, "transform_input": True, "init_weights": True},
    "inception_v3": {"aux_logits": True, "transform_input": True, "init_weights": True},
}

# Protobuf cannot serialise a message of 2 GiB or more; larger models keep their tensors in a data file.
PROTOBUF_LIMIT_BYTES = 2**31 - 1
# Headroom for the graph itself (nodes, names, metadata with 1000 labels) beside the tensors.
GRAPH_HEADROOM_BYTES = 64 * 2**20


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


# --- torchvision ----------------------------------------------------------------------------------


def family_of(arch: str) -> str:
    """The family of a torchvision architecture (FAMILIES); an unknown name is its own family."""
    matches = [prefix for prefix in FAMILIES if arch.startswith(prefix)]
    return FAMILIES[max(matches, key=len)] if matches else arch


def torchvision_weights(arch: str, variant: str | None) -> torchvision.models.WeightsEnum:
    """The weights an export describes: the architecture's DEFAULT weights, or the named variant."""
    if arch not in torchvision.models.list_models(module=torchvision.models):
        raise ExportError(f"'{arch}' is not a torchvision classifier; see torchvision.models.list_models().")
    enum = torchvision.models.get_model_weights(arch)
    if variant is None:
        weights = enum.DEFAULT
    elif variant in enum.__members__:
        weights = enum[variant]
    else:
        raise ExportError(f"{arch} has no weights '{variant}'; it has {', '.join(enum.__members__)}")
    if not weights.meta.get("categories"):
        raise ExportError(f"{weights} are not ImageNet classifier weights (no categories)")
    return weights


def preprocessing_of(weights: torchvision.models.WeightsEnum) -> dict[str, object]:
    """Evaluation preprocessing as the weights' own transforms give it: resize, centre crop, normalise."""
    transforms = weights.transforms()
    return {
        "input_size": int(transforms.crop_size[0]),
        "resize_size": int(transforms.resize_size[0]),
        "interpolation": transforms.interpolation.value,
        "mean": tuple(float(m) for m in transforms.mean),
        "std": tuple(float(s) for s in transforms.std),
    }


def published_metadata(weights: torchvision.models.WeightsEnum) -> dict[str, str]:
    """What torchvision publishes about pretrained weights: their name and ImageNet-1K accuracy (percent).

    torchvision 0.14 publishes no operation counts (meta["_ops"] came later); where it does,
    cam.gmacs_published records them (torchvision's "GFLOPS" column counts multiply-accumulates).
    """
    published = {"cam.weights_name": f"{type(weights).__name__}.{weights.name}"}
    imagenet = weights.meta.get("_metrics", {}).get("ImageNet-1K", {})
    if "acc@1" in imagenet:
        published["cam.accuracy_top1"] = repr(float(imagenet["acc@1"]))
    if "acc@5" in imagenet:
        published["cam.accuracy_top5"] = repr(float(imagenet["acc@5"]))
    if "_ops" in weights.meta:
        published["cam.gmacs_published"] = repr(float(weights.meta["_ops"]))
    return published


def checkpoint_path(weights: torchvision.models.WeightsEnum) -> Path:
    """Where torch.hub keeps (and looks for) the downloaded checkpoint of the weights."""
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(urllib.parse.urlparse(weights.url).path)


def random_configuration(arch: str, weights: torchvision.models.WeightsEnum) -> dict[str, object]:
    """The builder arguments that give get_model(arch, weights=None) the pretrained model's architecture."""
    configuration: dict[str, object] = {"num_classes": len(weights.meta["categories"])}
    # ViT and MaxViT size their position embeddings and partitions from the weights' input size.
    if arch.startswith("vit_"):
        configuration["image_size"] = weights.meta["min_size"][0]
    elif arch.startswith("maxvit"):
        configuration["input_size"] = weights.meta["min_size"]
    configuration.update(PRETRAINED_CONFIGURATION.get(arch, {}))
    return configuration


def load_pretrained(arch: str, weights: torchvision.models.WeightsEnum) -> torch.nn.Module:
    """torchvision's model with its published weights (downloaded unless already in the hub cache)."""
    try:
        return torchvision.models.get_model(arch, weights=weights)
    except (urllib.error.URLError, OSError, RuntimeError) as e:
        checkpoint = checkpoint_path(weights)
        if checkpoint.exists():
            raise ExportError(f"could not load the pretrained weights {weights} for {arch} from {checkpoint}: {e}") from e
        raise ExportError(
            f"could not download the pretrained weights {weights} for {arch} from {weights.url}: {e}. "
            f"Offline, put that file at {checkpoint}, or use --weights random or --allow-random-fallback"
        ) from e


def revive_zero_weights(module: torch.nn.Module, seed: int) -> list[str]:
    """Draws the weight matrices torchvision initialises to zero (ViT's classifier) from N(0, 0.02), seeded; returns their names.

    A zero classifier makes every logit, every gradient and so every map of an untrained model zero: nothing to test
    or look at. Training would move them anyway; random weights only stand in for trained ones.
    """
    generator = torch.Generator().manual_seed(seed)
    revived = []
    with torch.no_grad():
        for name, parameter in module.named_parameters():
            if parameter.dim() >= 2 and not parameter.any():
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.02)
                revived.append(name)
    return revived


def build_torchvision(arch: str, weights: str, seed: int, variant: str | None = None) -> Classifier:
    """A torchvision classifier with its official ImageNet weights, or seeded random weights.

    Either way the metadata describes the published weights (DEFAULT or --weights-variant): their
    preprocessing and labels, and for pretrained weights their name and published accuracy.
    """
    published = torchvision_weights(arch, variant)
    if weights == "pretrained":
        module = load_pretrained(arch, published)
        source = f"torchvision {torchvision.__version__} {published}"
        extra = published_metadata(published)
    else:
        torch.manual_seed(seed)
        module = torchvision.models.get_model(arch, weights=None, **random_configuration(arch, published))
        source = f"random (torch.manual_seed({seed}), torchvision {torchvision.__version__} {arch} configured as for {published})"
        if revived := revive_zero_weights(module, seed):
            source += f"; {', '.join(revived)} drawn from N(0, 0.02) instead of torchvision's zeros"
        extra = {}
    return Classifier(
        name=arch,
        module=module.eval(),
        family=family_of(arch),
        weights=weights,
        weights_source=source,
        labels=list(published.meta["categories"]),
        extra=extra,
        **preprocessing_of(published),  # type: ignore[arg-type]
    )


# --- efficientnet_pytorch -------------------------------------------------------------------------


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


def build(arch: str, weights: str, seed: int, variant: str | None = None) -> Classifier:
    if arch.startswith(EFFICIENTNET_PYTORCH_PREFIX):
        if variant is not None:
            raise ExportError(f"--weights-variant applies to torchvision classifiers, not {arch}")
        return build_efficientnet_pytorch(arch, weights, seed)
    return build_torchvision(arch, weights, seed, variant)


# --- ONNX -----------------------------------------------------------------------------------------


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


def _zero(g, self):  # type: ignore[no-untyped-def]
    """ONNX for aten::zero (the out-of-place form of Tensor.zero_): zeros of the input's shape and type."""
    dtype = None
    try:
        dtype = self.type().dtype()
    except (AttributeError, RuntimeError):
        pass
    return g.op("ConstantOfShape", g.op("Shape", self), value_t=torch.zeros(1, dtype=dtype or torch.float32))


def register_missing_symbolics(opset: int) -> None:
    """Teach torch.onnx the aten operators torchvision's models use but the exporter lacks.

    Swin V2 (torchvision 0.14, shifted_window_attention) drops the key bias of its cosine attention
    with `qkv_bias[length : 2 * length].zero_()` on a clone of the qkv bias. torch 1.13's exporter
    turns the in-place zero_ on a slice into an index_put of an out-of-place aten::zero, for which it
    has no symbolic at any opset ("Exporting the operator 'aten::zero' to ONNX opset version 17 is not
    supported"). aten::zero is simply zeros_like, so it is registered as ConstantOfShape(Shape(x)), and
    each block's graph zeroes the key third of the bias with a ScatterND, as torch does. Newer torch
    versions that know the operator keep their own symbolic.
    """
    try:
        from torch.onnx._internal.registration import registry
        known = registry.is_registered_op("aten::zero", opset)
    except ImportError:  # the registry moved; registering again is harmless
        known = False
    if not known:
        torch.onnx.register_custom_op_symbolic("aten::zero", _zero, opset)


def trace_to_onnx(classifier: Classifier, path: Path, opset: int) -> None:
    """torch.onnx.export with a dynamic batch, at the classifier's input size.

    Models over 2 GiB are written by torch 1.13 with one external data file per tensor beside `path`.
    """
    register_missing_symbolics(opset)
    dummy = torch.randn(1, 3, classifier.input_size, classifier.input_size)
    # Newer PyTorch defaults to the dynamo exporter; the TorchScript one names tensors by module scope.
    legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    # Traced with gradients enabled, not under torch.no_grad(): without gradients torch's
    # nn.MultiheadAttention (ViT's attention) takes its fused fast path, aten::_native_multi_head_attention,
    # which torch 1.13 cannot export; with them it runs the plain operators. No gradient is computed.
    try:
        torch.onnx.export(
            classifier.module, dummy, str(path), opset_version=opset, do_constant_folding=True,
            input_names=["input"], output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, **legacy,
        )
    except Exception as e:  # torch.onnx raises many types; a failed model must not stop the others
        raise ExportError(f"torch.onnx.export failed at opset {opset}: {type(e).__name__}: {e}") from e


def needs_external_data(model) -> bool:  # type: ignore[no-untyped-def]
    """Whether a model is too large for one protobuf message (its tensors near 2 GiB)."""
    tensor_bytes = sum(len(t.raw_data) for t in model.graph.initializer)
    return tensor_bytes > PROTOBUF_LIMIT_BYTES - GRAPH_HEADROOM_BYTES


def save_onnx(model, path: Path, external_data: bool) -> None:  # type: ignore[no-untyped-def]
    """Writes a model to `path`; with external data, its tensors go to one file beside it, PATH.data."""
    import onnx

    data = path.with_name(path.name + ".data")
    # onnx.save appends to an existing data file; a stale one from an earlier export would also mislead.
    data.unlink(missing_ok=True)
    if external_data:
        onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=data.name, size_threshold=1024)
    else:
        onnx.save_model(model, str(path))


def export_plain(classifier: Classifier, path: Path, opset: int, external_data: bool = False) -> None:
    """The plain ONNX classifier with its metadata at `path`.

    The export goes to a temporary folder first, so that torch's one-file-per-tensor external data
    (models over 2 GiB) never lands beside the result; the model is then saved as one file or, when
    it is too large or `external_data` forces it, with all its tensors in PATH.data.
    """
    import onnx

    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{path.stem}-", dir=path.parent) as scratch:
        traced = Path(scratch) / path.name
        trace_to_onnx(classifier, traced, opset)
        model = onnx.load(str(traced))  # with any external data torch wrote
        for key, value in metadata(classifier).items():
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
        save_onnx(model, path, external_data or needs_external_data(model))


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


# --- CAM-ready ------------------------------------------------------------------------------------


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


# --- command line ---------------------------------------------------------------------------------


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archs", nargs="+", metavar="ARCH", help="torchvision model names or efficientnet_pytorch-bN")
    parser.add_argument("--out-dir", type=Path, default=REPO / "onnx" / "models",
                        help="where NAME.onnx (CAM-ready) and plain/NAME.onnx go (default: onnx/models)")
    parser.add_argument("--weights", choices=["pretrained", "random"], default="pretrained",
                        help="official ImageNet weights (downloaded into $TORCH_HOME/hub/checkpoints unless "
                        "already there) or seeded random weights (untrained); default: pretrained")
    parser.add_argument("--weights-variant", metavar="NAME",
                        help="which of torchvision's published weights, e.g. IMAGENET1K_V1 or IMAGENET1K_SWAG_E2E_V1 "
                        "(default: the architecture's DEFAULT); sets the input size and preprocessing, also for "
                        "--weights random")
    parser.add_argument("--seed", type=int, default=0, help="seed for --weights random (default: 0)")
    parser.add_argument("--allow-random-fallback", action="store_true",
                        help="when pretrained weights cannot be downloaded, export random (untrained) weights instead")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset, 17 or newer (default: 17)")
    parser.add_argument("--external-data", action="store_true",
                        help="keep the plain model's tensors in plain/NAME.onnx.data beside it; models too large "
                        "for one protobuf (2 GiB: vit_h_14, regnet_y_128gf) always do")
    parser.add_argument("--plain-only", action="store_true", help="write the plain ONNX only, do not run prepare")
    parser.add_argument("--target-layer", help="passed to prepare: the target tensor's name")
    parser.add_argument("--target-module", help="the target layer as a PyTorch module path (e.g. features.norm5 "
                        "for DenseNet as pytorch-grad-cam's examples use it); its ONNX tensor is passed to prepare")
    args = parser.parse_args(argv)
    if args.opset < 17:
        parser.error("--opset must be 17 or newer")
    return args


def build_or_fall_back(arch: str, args: argparse.Namespace) -> Classifier:
    """The classifier to export; random weights where pretrained ones fail and --allow-random-fallback says so."""
    try:
        return build(arch, args.weights, args.seed, args.weights_variant)
    except ExportError as e:
        if not (args.allow_random_fallback and args.weights == "pretrained"):
            raise
        print(f"warning: {e}; exporting {arch} with random weights instead (labelled untrained)", file=sys.stderr)
        return build(arch, "random", args.seed, args.weights_variant)


def export(arch: str, args: argparse.Namespace) -> None:
    classifier = build_or_fall_back(arch, args)
    plain = args.out_dir / "plain" / f"{arch}.onnx"
    export_plain(classifier, plain, args.opset, args.external_data)
    print(f"{arch}: plain ONNX ({classifier.weights} weights) written to {plain}")
    if not args.plain_only:
        layer = onnx_tensor_of(args.target_module, plain) if args.target_module else args.target_layer
        prepare(plain, args.out_dir / f"{arch}.onnx", ["--target-layer", layer] if layer else [])


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    failures = 0
    for arch in args.archs:
        try:
            export(arch, args)
        except ExportError as e:
            print(f"error: {arch}: {e}", file=sys.stderr)
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
