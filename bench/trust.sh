#!/usr/bin/env bash
# What issue 11's checks cost, in one run, with efficientnet_b0, densenet121 and resnet50 (random weights):
#  - the faithfulness metrics of one map (drop, deletion, insertion at 20 steps: 41 forward passes) against the
#    same batches through the plain model at its fastest setting, and through the CAM-ready session; then what
#    metrics=all adds to a POST /cam of a 224 px photo with the three models;
#  - POST /cam/animation against the matching POST /cam on a 12 MP JPEG, and the GIF's size;
#  - an example: chelsea.png (CC0) with every metric and the models' agreement, as tables.
#   bench/trust.sh [runs=5] [models=efficientnet_b0,densenet121,resnet50]
# Prints markdown tables; see bench/CamService.Trust.Benchmarks/Program.cs for what each figure is.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
ids=${2:-efficientnet_b0,densenet121,resnet50}
models=$(bench/export-models.sh)
photos=$(bench/photos.sh)
example=$(scripts/fetch-sample-images.sh .cache/samples)/chelsea.png
dotnet build src/CamService -c Release --nologo -v quiet >&2
dotnet build bench/CamService.Trust.Benchmarks -c Release --nologo -v quiet >&2
port=5188
source bench/serve.sh
serve "$port" "$models" src/CamService/bin/Release/net10.0/CamService.dll --Cam:QueueLimit=4
dotnet bench/CamService.Trust.Benchmarks/bin/Release/net10.0/CamService.Trust.Benchmarks.dll \
  "$models" "http://127.0.0.1:$port" "$(sed -n 1p <<<"$photos")" "$(sed -n 2p <<<"$photos")" "$example" "$runs" "$ids"
