#!/usr/bin/env bash
# End-to-end benchmark of the service on a 224×224 photo with efficientnet_b0, densenet121 and resnet50:
#  (a) each CAM-ready forward against its plain forward;
#  (b) POST /cam for all three models, with overlays, against the sum of the three plain forwards;
#  (c) requests per second with several clients at once —
# once with the shared inference thread pool (the default) and once with a pool per model.
#   bench/service.sh [runs=20] [concurrency=4]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
concurrency=${2:-4}
models=$(bench/export-models.sh)
samples=$(scripts/fetch-sample-images.sh .cache/samples)
photo=.cache/bench-chelsea-224.png
[ -f "$photo" ] || /usr/bin/python3 -c "
from PIL import Image
Image.open('$samples/chelsea.png').convert('RGB').resize((224, 224), Image.BILINEAR).save('$photo')"

dotnet build src/CamService -c Release --nologo -v quiet
dotnet build bench/CamService.Benchmarks -c Release --nologo -v quiet

port=5187
for pool in true false; do
  echo
  echo "=== Inference:SharedThreadPool=$pool"
  # A queue for every client: (c) measures throughput, not admission control (bench/load.sh does).
  dotnet src/CamService/bin/Release/net10.0/CamService.dll --urls "http://127.0.0.1:$port" \
    --Models:Directory="$PWD/$models" --Inference:SharedThreadPool=$pool --Serilog:MinimumLevel:Default=Warning \
    --Cam:QueueLimit="$concurrency" &
  service=$!
  trap 'kill $service 2>/dev/null || true' EXIT
  for _ in $(seq 120); do
    curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
    sleep 1
  done
  dotnet bench/CamService.Benchmarks/bin/Release/net10.0/CamService.Benchmarks.dll \
    "http://127.0.0.1:$port" "$models/plain" "$models" "$photo" "$runs" "$concurrency"
  kill $service
  wait $service 2>/dev/null || true
done
