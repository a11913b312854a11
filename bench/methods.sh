#!/usr/bin/env bash
# Time of every CAM method per 224×224 image on efficientnet_b0, densenet121 and resnet50 (random weights),
# against Grad-CAM's, in one run: Ablation-CAM both ways, Score-CAM on all channels and its top N, two targets.
#   bench/methods.sh [runs=5] [models=efficientnet_b0,densenet121,resnet50]
# Prints a markdown table; see bench/CamService.Methods.Benchmarks/Program.cs for what each row is.
set -euo pipefail
cd "$(dirname "$0")/.."
models=$(bench/export-models.sh)
dotnet build bench/CamService.Methods.Benchmarks -c Release --nologo -v quiet >&2
dotnet bench/CamService.Methods.Benchmarks/bin/Release/net10.0/CamService.Methods.Benchmarks.dll "$models" "$@"
