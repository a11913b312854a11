#!/usr/bin/env bash
# End-to-end benchmark of the service against the strongest plain ONNX Runtime baselines, same run:
# efficientnet_b0, densenet121 and resnet50 (random weights), a 224×224 photo and a 12 MP phone-sized JPEG.
#   bench/service.sh [runs=20] [clients=4,32] [service options...]    (clients "none" leaves (d) out)
#   CAMSERVICE_DLL=OLD/CamService.dll bench/service.sh ...   measures another build (an older commit, for before/after)
# Prints (a) forwards, (b) the 224 request, (c) the 12 MP request, (d) throughput, (e) batching;
# see bench/CamService.Benchmarks/Program.cs for the formulas.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
clients=${2:-4,32}
shift $(( $# > 2 ? 2 : $# ))
models=$(bench/export-models.sh)
photos=$(bench/photos.sh)
photo=$(sed -n 1p <<<"$photos")
phone=$(sed -n 2p <<<"$photos")

service_dll=${CAMSERVICE_DLL:-src/CamService/bin/Release/net10.0/CamService.dll}
[ -n "${CAMSERVICE_DLL:-}" ] || dotnet build src/CamService -c Release --nologo -v quiet
dotnet build bench/CamService.Benchmarks -c Release --nologo -v quiet

port=5187
max_clients=$([ "$clients" = none ] && echo 4 || tr ',' '\n' <<<"$clients" | sort -n | tail -1)
# A queue for every client: (d) measures throughput, not admission control (bench/load.sh does).
source bench/serve.sh
serve "$port" "$models" "$service_dll" --Cam:QueueLimit="$max_clients" "$@"
dotnet bench/CamService.Benchmarks/bin/Release/net10.0/CamService.Benchmarks.dll \
  "http://127.0.0.1:$port" "$models/plain" "$models" "$photo" "$phone" "$runs" "$clients"
