#!/usr/bin/env bash
# Forward time of CAM-ready models against their plain sources, same ONNX Runtime settings, same run.
#   bench/forward.sh [--runs 30] [--batch 1] [--threads 0]
set -euo pipefail
cd "$(dirname "$0")/.."
models=$(bench/export-models.sh)
pairs=()
for arch in efficientnet_b0 densenet121 resnet50; do pairs+=("$models/plain/$arch.onnx" "$models/$arch.onnx"); done
dotnet src/CamService.Cli/bin/Release/net10.0/camservice.dll benchmark "${pairs[@]}" "$@"
