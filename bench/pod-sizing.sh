#!/usr/bin/env bash
# The figures behind deploy/kubernetes' probes and memory (docs/memory.md): how long the service takes to
# answer /health/live, /health/ready and to have every model ready, on a first start (thread counts
# measured) and a later one (cached); its peak RSS while explaining, one per core at once, a 12 MP and
# then a 40 MP photo (the largest Cam:MaxPixels admits) as a request with no fields does (every model,
# maxSize 1280); and then while answering, 4 at once, the worst requests the limits admit: the 40 MP photo
# with noise, so that its pictures compress least, drawn at the Cam:MaxRenderSize ceiling (maxSize=0) as
# PNG overlays by as many models as Cam:MaxOutputPixels allows, and every model's agreement at the largest
# maxSize the cap allows.
#   bench/pod-sizing.sh [CORES]     (default 2: Inference:Cores and Cam:MaxConcurrentRequests)
set -euo pipefail
cd "$(dirname "$0")/.."

cores=${1:-2}
# The worst request is sent by 4 clients at once; those beyond the slots wait in the queue, so all are answered.
clients=4
queue=$((clients > cores ? clients - cores : 0))
# Cam:MaxRenderSize and Cam:MaxOutputPixels, their defaults (CamOptions), set explicitly: the worst request follows from them.
ceiling=4096
cap=32000000
# The models a deployment serves: run.sh's and the container's default four.
models=$(bench/export-models.sh .cache/pod-sizing-models efficientnet_b0 densenet121 resnet50 swin_t)
samples=$(scripts/fetch-sample-images.sh .cache/samples)
photos=.cache/pod-sizing
mkdir -p "$photos"
/usr/bin/python3 - "$samples" "$photos" <<'EOF'
import os, sys
from PIL import Image
samples, photos = sys.argv[1:]
for name, size in {'photo-12mp.jpg': (4000, 3000), 'photo-40mp.jpg': (7300, 5475)}.items():
    path = os.path.join(photos, name)
    if not os.path.exists(path):
        Image.open(os.path.join(samples, 'rocket.jpg')).convert('RGB').resize(size, Image.BILINEAR).save(path + '.partial', format='jpeg', quality=90)
        os.replace(path + '.partial', path)
# Uniform noise of ±24 levels: 16 MB as JPEG, within Cam:MaxBodyBytes (20 MiB).
path = os.path.join(photos, 'photo-40mp-noisy.jpg')
if not os.path.exists(path):
    import numpy as np
    pixels = np.asarray(Image.open(os.path.join(photos, 'photo-40mp.jpg')).convert('RGB')).astype(np.int16)
    noise = np.random.default_rng(0).integers(-24, 25, pixels.shape, dtype=np.int16)
    Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8)).save(path + '.partial', format='jpeg', quality=90)
    os.replace(path + '.partial', path)
EOF

dotnet build src/CamService -c Release --nologo -v quiet
port=5191
url=http://127.0.0.1:$port
if curl -s -o /dev/null --max-time 2 "$url/"; then
  echo "error: something already answers on $url" >&2
  exit 1
fi
cache=$(mktemp -d)
service=
trap '[ -n "$service" ] && kill $service 2>/dev/null; rm -rf "$cache"' EXIT

elapsed() { echo "$(date +%s.%N) - $1" | bc | xargs printf '%.1f'; }
all_ready() {
  curl -fsS --max-time 1 "$url/models" 2>/dev/null \
    | /usr/bin/python3 -c 'import json, sys; m = json.load(sys.stdin); sys.exit(0 if m and all(x["status"] == "ready" for x in m) else 1)' 2>/dev/null
}

# Starts the service and prints when each health answer first succeeded.
start() {
  local began live="" ready=""
  began=$(date +%s.%N)
  dotnet src/CamService/bin/Release/net10.0/CamService.dll --urls "$url" --Models:Directory="$PWD/$models" \
    --Models:CacheDirectory="$cache" --Inference:Cores="$cores" --Cam:MaxConcurrentRequests="$cores" --Cam:QueueLimit="$queue" \
    --Cam:MaxRenderSize="$ceiling" --Cam:MaxOutputPixels="$cap" \
    --Serilog:MinimumLevel:Default=Warning >"$photos/service.log" 2>&1 &
  service=$!
  for _ in $(seq 1200); do
    kill -0 $service 2>/dev/null || { echo "error: the service exited:" >&2; tail -n 20 "$photos/service.log" >&2; exit 1; }
    [ -z "$live" ] && curl -fsS -o /dev/null --max-time 1 "$url/health/live" 2>/dev/null && live=$(elapsed "$began")
    [ -z "$ready" ] && curl -fsS -o /dev/null --max-time 1 "$url/health/ready" 2>/dev/null && ready=$(elapsed "$began")
    if [ -n "$ready" ] && all_ready; then
      echo "$1 start: live after $live s, ready after $ready s, every model ready after $(elapsed "$began") s"
      return
    fi
    sleep 0.25
  done
  echo "error: not every model was ready after 5 minutes" >&2
  exit 1
}
stop() { kill $service; wait $service || true; service=; }
peak() { grep VmHWM "/proc/$service/status" | awk '{printf "%.2f GB", $2 * 1024 / 1e9}'; }

start "First (thread counts measured)"
stop
start "Later (thread counts cached)"
sleep 5  # the service warms its explanation pipeline up once every model is ready
echo "peak RSS after start: $(peak)"
for photo in photo-12mp.jpg photo-40mp.jpg; do
  for _ in 1 2 3; do
    pids=()
    for _ in $(seq "$cores"); do
      curl -fsS -o /dev/null -F image=@"$photos/$photo" "$url/cam" &
      pids+=($!)
    done
    wait "${pids[@]}"
  done
  echo "peak RSS after $cores × $photo at once, 3 times, every model, default fields: $(peak)"
done

# POST /cam of the noisy 40 MP photo with the fields given (-F NAME=VALUE ...): the status and the answer's bytes.
post() {
  curl -sS -o /dev/null -w '%{http_code} %{size_download}\n' --max-time 300 -F image=@"$photos/photo-40mp-noisy.jpg" "$@" "$url/cam"
}
# A request over Cam:MaxOutputPixels: refused with 400.
refused() {
  local answer
  answer=$(post "$@")
  echo "over Cam:MaxOutputPixels ($*): $answer"
  [ "${answer%% *}" = 400 ] || { echo "error: a request over Cam:MaxOutputPixels was not refused" >&2; exit 1; }
}
# A request the limits admit, from $clients clients at once, 3 times: every answer a 200.
admitted() {
  local round answers
  for round in 1 2 3; do
    answers=$(for _ in $(seq "$clients"); do post "$@" & done; wait)
    echo "round $round, $clients × ($*): status and bytes:" $answers
    if echo "$answers" | grep -qv '^200 '; then
      echo "error: a request the limits admit was not answered 200" >&2
      exit 1
    fi
  done
}

# The worst pictures: as many PNG overlays at the ceiling (7300×5475 drawn at 4096×3072) as the cap holds, by the
# largest models; with heatmaps too, over the cap.
overlays=$((cap / (ceiling * 3072)))
worst_models=$(echo resnet50,swin_t,densenet121,efficientnet_b0 | cut -d, -f1-"$overlays")
refused -F models="$worst_models" -F maxSize=0
admitted -F models="$worst_models" -F outputs=overlay -F format=png -F maxSize=0
echo "peak RSS after $clients × the worst admitted overlays at once, 3 times: $(peak)"

# Agreement draws every model's map at the rendered size beside its consensus and disagreement, all counted by the
# cap: with the four models, the largest maxSize whose 6 drawings (of a 4:3 picture) fit; at the ceiling, over it.
agreement_size=$ceiling
while (( 6 * agreement_size * (agreement_size * 3 / 4) > cap )); do agreement_size=$((agreement_size - 1)); done
refused -F agreement=true -F outputs=cam -F maxSize=0
admitted -F agreement=true -F outputs=cam -F maxSize="$agreement_size"
echo "peak RSS after $clients × the worst admitted agreement at once, 3 times: $(peak)"
