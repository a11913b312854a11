#!/usr/bin/env bash
# Forward time of CAM-ready models against their plain sources, same ONNX Runtime settings, same run.
#   bench/forward.sh [--runs 30] [--batch 1] [--threads 0]
# Exports efficientnet_b0, densenet121 and resnet50 with random weights (timing does not depend on
# the weights) into .cache/bench-models unless they are there, then runs `camservice benchmark`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

models=.cache/bench-models
archs=(efficientnet_b0 densenet121 resnet50)
dotnet build src/CamService.Cli -c Release --nologo -v quiet
cli="dotnet src/CamService.Cli/bin/Release/net10.0/camservice.dll"
for arch in "${archs[@]}"; do
  if [ ! -f "$models/$arch.onnx" ]; then
    CAMSERVICE_CLI="$cli" /usr/bin/python3 onnx/export.py "$arch" --weights random --seed 0 --out-dir "$models"
  fi
done
pairs=()
for arch in "${archs[@]}"; do pairs+=("$models/plain/$arch.onnx" "$models/$arch.onnx"); done
$cli benchmark "${pairs[@]}" "$@"
