#!/usr/bin/env bash
# End-to-end benchmark of the service against the strongest plain ONNX Runtime baselines, same run:
# efficientnet_b0, densenet121 and resnet50 (random weights), a 224×224 photo and a 12 MP phone-sized JPEG.
#   bench/service.sh [runs=20] [clients=4,32] [service options...]
#   CAMSERVICE_DLL=OLD/CamService.dll bench/service.sh ...   measures another build (an older commit, for before/after)
# Prints (a) forwards, (b) the 224 request, (c) the 12 MP request, (d) throughput, (e) batching;
# see bench/CamService.Benchmarks/Program.cs for the formulas.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
clients=${2:-4,32}
shift $(( $# > 2 ? 2 : $# ))
models=$(bench/export-models.sh)
samples=$(scripts/fetch-sample-images.sh .cache/samples)
photo=.cache/bench-chelsea-224.png
phone=.cache/bench-phone-12mp.jpg
/usr/bin/python3 - "$samples" "$photo" "$phone" <<'PY'
import os, sys
import numpy as np
from PIL import Image
samples, photo, phone = sys.argv[1:]
if not os.path.exists(photo):
    Image.open(os.path.join(samples, 'chelsea.png')).convert('RGB').resize((224, 224), Image.BILINEAR).save(photo)
if not os.path.exists(phone):
    # A phone picture: 4000×3000, with sensor-like noise so that it compresses as a real photo does (1.6 MB at quality 90).
    image = Image.open(os.path.join(samples, 'astronaut.png')).convert('RGB').resize((4000, 3000), Image.BICUBIC)
    pixels = np.asarray(image).astype(np.float32) + np.random.default_rng(0).normal(0, 3.0, (3000, 4000, 3))
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(phone + '.partial.jpg', quality=90)
    os.replace(phone + '.partial.jpg', phone)
PY

service_dll=${CAMSERVICE_DLL:-src/CamService/bin/Release/net10.0/CamService.dll}
[ -n "${CAMSERVICE_DLL:-}" ] || dotnet build src/CamService -c Release --nologo -v quiet
dotnet build bench/CamService.Benchmarks -c Release --nologo -v quiet

port=5187
max_clients=$(tr ',' '\n' <<<"$clients" | sort -n | tail -1)
# A queue for every client: (d) measures throughput, not admission control (bench/load.sh does).
dotnet "$service_dll" --urls "http://127.0.0.1:$port" \
  --Models:Directory="$PWD/$models" --Serilog:MinimumLevel:Default=Warning --Cam:QueueLimit="$max_clients" "$@" &
service=$!
trap 'kill $service 2>/dev/null || true' EXIT
# Ready serves with one model; the benchmark wants every model loaded (the first start measures threads).
for _ in $(seq 600); do
  models_json=$(curl -fsS "http://127.0.0.1:$port/models" 2>/dev/null || true)
  [ -n "$models_json" ] && ! grep -q '"status":"loading"' <<<"$models_json" && break
  sleep 1
done
dotnet bench/CamService.Benchmarks/bin/Release/net10.0/CamService.Benchmarks.dll \
  "http://127.0.0.1:$port" "$models/plain" "$models" "$photo" "$phone" "$runs" "$clients"
