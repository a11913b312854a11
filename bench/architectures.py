#!/usr/bin/env python3
"""Every torchvision family made CAM-ready with no flags, its gradients proven: the table of docs/architectures.md.

For each architecture: export it with seeded random weights (onnx/export.py, opset 17), make it CAM-ready with no
flags (camservice prepare), check the gradients against central finite differences of the model's own head
(camservice verify, relative error <= 1e-2) and against torch autograd at the same layer (tests/python/torch_reference.py
and camservice parity: relative error <= 1e-3, Grad-CAM map correlation >= 0.999), and time the CAM-ready forward
against the plain forward, each at its fastest ONNX Runtime setting (camservice benchmark). Prints one markdown row per
model as it goes, and the table at the end; exits non-zero when any model fails a check.

  bench/architectures.sh                         # one model of each of the 22 families
  bench/architectures.sh vit_b_16 swin_t         # these models
  bench/architectures.sh --all                   # all 80 torchvision classifiers
  bench/architectures.sh --no-timing ...         # skip the forward benchmark (what CI runs)
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = os.environ.get("CAMSERVICE_PYTHON", "/usr/bin/python3")
CLI = ["dotnet", str(REPO / "src/CamService.Cli/bin/Release/net10.0/camservice.dll")]

# The smallest model of each of the 22 families in torchvision 0.14.
FAMILIES = [
    "alexnet", "convnext_tiny", "densenet121", "efficientnet_b0", "efficientnet_v2_s", "googlenet", "inception_v3",
    "maxvit_t", "mnasnet0_5", "mobilenet_v2", "mobilenet_v3_small", "regnet_x_400mf", "regnet_y_400mf", "resnet18",
    "resnext50_32x4d", "shufflenet_v2_x0_5", "squeezenet1_1", "swin_t", "swin_v2_t", "vgg11", "vit_b_16", "wide_resnet50_2",
]


@dataclass
class Row:
    """One model's line of the table; a failed step leaves its reason and the cells after it empty."""

    model: str
    params: str = ""
    gmacs: str = ""
    layer: str = ""
    grid: str = ""
    finite_difference: str = ""
    autograd: str = ""
    correlation: str = ""
    ratio: str = ""
    failure: str = ""
    passed: bool = False
    seconds: float = 0.0
    checks: list[str] = field(default_factory=list)

    HEADER = ("| model | params | GMACs | target layer | grid | finite diff. | torch autograd | Grad-CAM r | "
              "CAM-ready ÷ plain | result |\n|---|---|---|---|---|---|---|---|---|---|")

    def markdown(self) -> str:
        result = "pass" if self.passed else f"**fail**: {self.failure}"
        return (f"| {self.model} | {self.params} | {self.gmacs} | {self.layer} | {self.grid} | {self.finite_difference} | "
                f"{self.autograd} | {self.correlation} | {self.ratio} | {result} |")


class StepFailed(Exception):
    """A step of one model failed; the message is the table's reason."""


def run(command: list[str], what: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, text=True, capture_output=True, env={**os.environ, **(env or {})})
    if result.returncode != 0:
        lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
        reason = next((line for line in reversed(lines) if line.startswith(("error", "Error")) or "Error:" in line), lines[-1] if lines else "")
        raise StepFailed(f"{what}: {reason.strip()[:300]}")
    return result.stdout


def metadata(path: Path) -> dict[str, str]:
    import onnx

    return {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}


def short_layer(tensor: str) -> str:
    """The module scope of a tensor, without torch's node suffix: /encoder/layers/encoder_layer_11/ln_1."""
    return re.sub(r"/[^/]*_output_\d+$", "", tensor) or tensor


def sweep_one(arch: str, out: Path, timing: bool, runs: int) -> Row:
    row = Row(arch)
    started = time.monotonic()
    plain, cam_ready, reference = out / "plain" / f"{arch}.onnx", out / f"{arch}.onnx", out / "reference" / arch
    try:
        if not plain.exists():
            run([PYTHON, str(REPO / "onnx/export.py"), arch, "--weights", "random", "--seed", "0", "--plain-only",
                 "--out-dir", str(out)], "export")
        run(CLI + ["prepare", str(plain), str(cam_ready)], "prepare")
        meta = metadata(cam_ready)
        row.params = f"{int(meta['cam.parameters']) / 1e6:.1f} M"
        row.gmacs = f"{float(meta['cam.gmacs']):.2f}"
        _, h, w = meta["cam.activation_shape"].split(",")
        layout = meta.get("cam.target_layout", "NCHW")
        extra = f", {meta['cam.extra_tokens']} extra" if int(meta.get("cam.extra_tokens", "0")) else ""
        row.layer = f"`{short_layer(meta['cam.target_layer'])}` ({layout})"
        row.grid = f"{h}×{w}{extra}"

        verify = run(CLI + ["verify", str(cam_ready)], "finite differences")
        row.finite_difference = re.search(r"worst relative error (\S+)", verify).group(1)
        if "PASS" not in verify:
            raise StepFailed(f"finite differences off by {row.finite_difference}")

        run([PYTHON, str(REPO / "tests/python/torch_reference.py"), "--arch", arch, "--seed", "0", "--cam-ready", str(cam_ready),
             "--out", str(reference)], "torch reference")
        parity = subprocess.run(CLI + ["parity", str(cam_ready), str(reference)], text=True, capture_output=True)
        found = re.search(r"gradients (\S+)\s+Grad-CAM correlation (\S+)", parity.stdout)
        if found is None:
            raise StepFailed(f"parity: {(parity.stderr or parity.stdout).strip().splitlines()[-1][:300]}")
        row.autograd, row.correlation = found.group(1), found.group(2)
        if parity.returncode != 0:
            raise StepFailed(f"torch autograd: {parity.stdout.strip().splitlines()[0]}")

        if timing:
            bench = run(CLI + ["benchmark", str(plain), str(cam_ready), "--runs", str(runs)], "benchmark")
            # "model  <plain setting> ms  <fastest CAM-ready setting> ms ratio  <served setting> ms ratio": the settings
            # hold no decimal numbers.
            line = next(l for l in bench.splitlines() if l.split() and l.split()[0] in (arch, arch + ".onnx"))
            plain_ms, cam_ms, ratio, served_ms, served_ratio = re.findall(r"(?<!\S)\d+\.\d+(?!\S)", line)[-5:]
            row.ratio = f"{ratio} ({plain_ms} → {cam_ms} ms; served {served_ratio})"
        row.passed = True
    except StepFailed as e:
        row.failure = str(e).replace("|", "\\|")
    finally:
        row.seconds = time.monotonic() - started
        # The big exports stay for a rerun; the CAM-ready copies and references are cheap to make again.
        for path in (cam_ready,):
            path.unlink(missing_ok=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archs", nargs="*", metavar="ARCH", help="torchvision classifiers (default: one of each family)")
    parser.add_argument("--all", action="store_true", help="every torchvision classifier (80 in torchvision 0.14)")
    parser.add_argument("--out-dir", type=Path, default=REPO / ".cache" / "architectures")
    parser.add_argument("--no-timing", action="store_true", help="skip the forward benchmark")
    parser.add_argument("--runs", type=int, default=20, help="benchmark runs per setting")
    parser.add_argument("--keep", action="store_true", help="keep the plain exports (they are large) for a rerun")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args()

    if args.all:
        import torchvision

        archs = sorted(torchvision.models.list_models(module=torchvision.models))
    else:
        archs = args.archs or FAMILIES
    subprocess.run(["dotnet", "build", str(REPO / "src/CamService.Cli"), "-c", "Release", "--nologo", "-v", "quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    args.out_dir.mkdir(parents=True, exist_ok=True)

    print(Row.HEADER, flush=True)
    rows = []
    for arch in archs:
        row = sweep_one(arch, args.out_dir, timing=not args.no_timing, runs=args.runs)
        rows.append(row)
        print(row.markdown(), flush=True)
        if not args.keep:
            (args.out_dir / "plain" / f"{arch}.onnx").unlink(missing_ok=True)
            for data in (args.out_dir / "plain").glob(f"{arch}.onnx*"):
                data.unlink()
    passed = sum(r.passed for r in rows)
    print(f"\n{passed} of {len(rows)} models pass every check; {len(rows) - passed} fail.")
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in rows], indent=1))
    return 0 if passed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
