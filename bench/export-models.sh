#!/usr/bin/env bash
# Exports the three compared architectures, or the ARCHs named, with random weights (timings do not depend
# on the weights) into DIR (default .cache/bench-models): DIR/NAME.onnx CAM-ready, DIR/plain/NAME.onnx plain.
#   bench/export-models.sh [DIR [ARCH ...]]
# The plain exports (torch, slow) are kept; the CAM-ready models are made again from them whenever
# the graph builder is newer, so a benchmark always measures the gradient graphs of this checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
models=${1:-.cache/bench-models}
archs=("${@:2}")
[ ${#archs[@]} -gt 0 ] || archs=(efficientnet_b0 densenet121 resnet50)
cli=src/CamService.Cli/bin/Release/net10.0
dotnet build src/CamService.Cli -c Release --nologo -v quiet >&2
for arch in "${archs[@]}"; do
  if [ ! -f "$models/plain/$arch.onnx" ]; then
    /usr/bin/python3 onnx/export.py "$arch" --weights random --seed 0 --out-dir "$models" --plain-only >&2
  fi
  if [ ! "$models/$arch.onnx" -nt "$cli/CamService.Onnx.dll" ] || [ ! "$models/$arch.onnx" -nt "$models/plain/$arch.onnx" ]; then
    dotnet "$cli/camservice.dll" prepare "$models/plain/$arch.onnx" "$models/$arch.onnx" >&2
  fi
done
echo "$models"
