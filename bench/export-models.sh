#!/usr/bin/env bash
# Exports the three compared architectures with random weights (timings do not depend on the
# weights) into DIR (default .cache/bench-models): DIR/NAME.onnx CAM-ready, DIR/plain/NAME.onnx plain.
set -euo pipefail
cd "$(dirname "$0")/.."
models=${1:-.cache/bench-models}
dotnet build src/CamService.Cli -c Release --nologo -v quiet >&2
for arch in efficientnet_b0 densenet121 resnet50; do
  if [ ! -f "$models/$arch.onnx" ]; then
    CAMSERVICE_CLI="dotnet src/CamService.Cli/bin/Release/net10.0/camservice.dll" \
      /usr/bin/python3 onnx/export.py "$arch" --weights random --seed 0 --out-dir "$models" >&2
  fi
done
echo "$models"
