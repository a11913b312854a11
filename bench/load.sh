#!/usr/bin/env bash
# Load and soak benchmark of POST /cam over loopback, with efficientnet_b0, densenet121 and resnet50:
#  phases of 1, 4, 32 and 128 concurrent clients sending a 224×224 photo for a fixed time (throughput,
#  latency of admitted and refused requests, status codes, malformed answers, peak memory), then a
#  soak of a fixed number of mixed requests (1 MP and 12 MP photos, corrupt files, unknown models)
#  that compares the service's memory after warm-up with its memory at the end. With --slow-uploads N, each
#  phase runs again beside N clients uploading a 2 MP photo (about 300 kB) at --slow-rate bytes/s (default 300),
#  and the normal clients' throughput, p99 and refusals are compared with the phase alone (bench/slow-uploads.sh).
#  --warmup runs the first phase's clients that long before the phases, unreported.
#  --admission runs the admission queue's phases instead (CamService.Load/AdmissionBench.cs): one client per slot (the bound), 8 clients that wait
#  out Retry-After, then 128 that ignore it, --seconds each (default 20): refusals, throughput against the bound
#  the cores allow (slots ÷ mean slot time with one client per slot, from /metrics), CPU per refusal, predicted
#  against measured queue waits.
#   bench/load.sh [--service PATH/TO/CamService.dll] [--seconds 20] [--soak 5000] [--soak-clients 4]
#                 [--clients 1,4,32,128 | none] [--warmup SECONDS] [--slow-uploads N [--slow-rate 300]] [--admission] [--port 5189]
#                 [service arguments, e.g. --Cam:MaxConcurrentRequests=2]
# --service measures another build (e.g. a git worktree of an earlier commit) with the same benchmark.
# Exits 1 if any answer was malformed or any soak status unexpected.
set -euo pipefail
cd "$(dirname "$0")/.."

dll=src/CamService/bin/Release/net10.0/CamService.dll
build_service=true
load_options=()
extra=()
admission=false
seconds=20
port=5189
while [ $# -gt 0 ]; do
  case $1 in
    --service)
      # Relative to where the command was run, not to the repository.
      dll=$(cd "$OLDPWD" && realpath "${2:?--service needs a path}"); build_service=false; shift 2 ;;
    --admission)
      admission=true; shift ;;
    --port)
      # Another on this machine may hold the default.
      port=${2:?--port needs a value}; shift 2 ;;
    --seconds)
      seconds=${2:?--seconds needs a value}; load_options+=("$1" "$2"); shift 2 ;;
    --soak|--soak-clients|--clients|--warmup|--slow-rate)
      load_options+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
    --slow-uploads)
      # The slow clients' photo is made below, with the others.
      load_options+=("$1" "${2:?$1 needs a value}" --slow-photo .cache/load/photo-2mp.jpg); shift 2 ;;
    *) extra+=("$1"); shift ;;
  esac
done

models=$(bench/export-models.sh)
samples=$(scripts/fetch-sample-images.sh .cache/samples)
photos=.cache/load
mkdir -p "$photos"
# Each photo is written under a temporary name and renamed, so a stopped run leaves no half file.
/usr/bin/python3 - "$samples" "$photos" <<'EOF'
import os, sys
from PIL import Image
samples, photos = sys.argv[1:]

def make(name, source, size, **save):
    path = os.path.join(photos, name)
    if not os.path.exists(path):
        image = Image.open(os.path.join(samples, source)).convert('RGB').resize(size, Image.BILINEAR)
        image.save(path + '.partial', format=os.path.splitext(name)[1][1:].replace('jpg', 'jpeg'), **save)
        os.replace(path + '.partial', path)

make('photo-224.png', 'chelsea.png', (224, 224))
make('photo-1mp.jpg', 'astronaut.png', (1155, 866), quality=90)
make('photo-12mp.jpg', 'rocket.jpg', (4000, 3000), quality=90)  # a phone-sized photo
make('photo-2mp.jpg', 'astronaut.png', (1600, 1200), quality=90)  # about 300 kB: the slow uploads' photo
corrupt = os.path.join(photos, 'corrupt.jpg')
if not os.path.exists(corrupt):
    data = open(os.path.join(photos, 'photo-1mp.jpg'), 'rb').read()
    open(corrupt + '.partial', 'wb').write(data[:len(data) // 2])
    os.replace(corrupt + '.partial', corrupt)
EOF

if $build_service; then
  dotnet build src/CamService -c Release --nologo -v quiet
fi
[ -f "$dll" ] || { echo "error: no service at $dll" >&2; exit 1; }
dotnet build bench/CamService.Load -c Release --nologo -v quiet

log=$photos/service.log
if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; then
  echo "error: something already answers on 127.0.0.1:$port" >&2
  exit 1
fi
dotnet "$dll" --urls "http://127.0.0.1:$port" --Models:Directory="$PWD/$models" \
  --Serilog:MinimumLevel:Default=Warning "${extra[@]}" >"$log" 2>&1 &
service=$!
trap 'kill $service 2>/dev/null || true' EXIT
for _ in $(seq 180); do
  curl -fsS --max-time 5 "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
  kill -0 $service 2>/dev/null || { echo "error: the service exited while starting:" >&2; tail -n 20 "$log" >&2; exit 1; }
  sleep 1
done
curl -fsS --max-time 5 "http://127.0.0.1:$port/health/ready" >/dev/null \
  || { echo "error: the service was not ready after 180 s:" >&2; tail -n 20 "$log" >&2; exit 1; }

echo "service: $dll ${extra[*]}"
status=0
if $admission; then
  # The service's slots: Cam:MaxConcurrentRequests when given, else one per core, as the service resolves it.
  slots=$(printf '%s\n' "${extra[@]}" | sed -n 's/^--Cam:MaxConcurrentRequests=\([1-9][0-9]*\)$/\1/p' | tail -n 1)
  dotnet bench/CamService.Load/bin/Release/net10.0/CamService.Load.dll admission --url "http://127.0.0.1:$port" --pid $service \
    --photo-224 $photos/photo-224.png --seconds "$seconds" --slots "${slots:-$(nproc)}" || status=$?
else
  dotnet bench/CamService.Load/bin/Release/net10.0/CamService.Load.dll --url "http://127.0.0.1:$port" --pid $service \
    --photo-224 $photos/photo-224.png --photo-1mp $photos/photo-1mp.jpg --photo-12mp $photos/photo-12mp.jpg \
    --corrupt $photos/corrupt.jpg "${load_options[@]}" || status=$?
fi
kill $service 2>/dev/null || true
wait $service 2>/dev/null || true
trap - EXIT
echo "service output: $log"
exit $status
