#!/usr/bin/env bash
# How fast a new pod serves: starts the service fresh RUNS times in each of two scenarios, with the default
# models of bench/export-models.sh (CAM-ready, random weights, as the image carries them):
#   (a) empty    an empty thread cache (Models:CacheDirectory), as a new pod from the image has
#   (b) warm     the cache an earlier start on this machine wrote
# and prints, per start: process start -> /health/ready, -> every model ready (/models), the first request
# after ready, the median of the first 10 and of 20 steady-state requests after 100 more (same run), and their ratio.
#   bench/cold-start.sh [runs=3] [service options...]
#   CAMSERVICE_DLL=OLD/CamService.dll bench/cold-start.sh ...  measures another build (an older commit; the JIT-only build:
#                                                              src/CamService/bin/Release/net10.0/CamService.dll)
#   COLD_START_MODEL=densenet121 bench/cold-start.sh ...       the model each timed request explains (default resnet50)
#   DOTNET_TieredPGO=0 bench/cold-start.sh ...                 .NET's settings pass through the environment
#   COLD_START_SCENARIOS=empty bench/cold-start.sh ...          one scenario only (default "empty warm")
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift $(( $# > 0 ? 1 : 0 ))
models=$(bench/export-models.sh)
photo=$(bench/photos.sh | sed -n 1p)
service_dll=${CAMSERVICE_DLL:-.cache/publish/service/CamService.dll}
if [ -z "${CAMSERVICE_DLL:-}" ]; then
  # Published as the image publishes it (docker/Dockerfile): for linux-x64, so compiled ahead of time (ReadyToRun).
  dotnet publish src/CamService/CamService.csproj -c Release -r linux-x64 --self-contained false -o .cache/publish/service \
    --nologo -v quiet >&2
fi

port=5189
url="http://127.0.0.1:$port"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
service() {
  echo dotnet "$service_dll" --urls "$url" --Models:Directory="$PWD/$models" --Models:CacheDirectory="$1" \
    --Serilog:MinimumLevel:Default=Warning "${@:2}"
}
run() { /usr/bin/python3 bench/cold_start.py "$1" "$url" "$photo" "${COLD_START_MODEL:-resnet50}" "$2" $(service "$3" "${@:4}"); }

echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $service_dll"
scenarios=" ${COLD_START_SCENARIOS:-empty warm} "
if [[ $scenarios == *" empty "* ]]; then
  for i in $(seq "$runs"); do
    run "empty $i" no "$work/empty-$i" "$@"
  done
fi
if [[ $scenarios == *" warm "* ]]; then
  # The warm scenario's cache: one start that stays until its thread settings are measured and remembered.
  run "seed" yes "$work/warm" "$@"
  for i in $(seq "$runs"); do
    run "warm $i" no "$work/warm" "$@"
  done
fi
