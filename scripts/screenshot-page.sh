#!/usr/bin/env bash
# Takes docs/page.png, the README's picture of the page: the service over the default models,
# EfficientNet-B0, DenseNet-121, ResNet-50 and Swin-T (random weights, exported offline, so each shows
# its "untrained" badge) with two CC0 photos from Debian's python3-skimage (chelsea.png and coffee.png).
#   scripts/screenshot-page.sh [OUT.png]     (default docs/page.png; kept under 400 KB)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

out=${1:-docs/page.png}
models=.cache/screenshot-models
photos=.cache/samples
limit=$((400 * 1024))

install_dotnet_if_missing
install_debian_packages chromium fonts-dejavu-core pngquant python3 python3-torch python3-torchvision python3-onnx python3-numpy

step "Building the service, the CLI and the screenshot tool"
for project in src/CamService src/CamService.Cli tools/CamService.PageScreenshot; do
  dotnet build "$project" -c Release -warnaserror --nologo -v quiet
done

missing=()
for arch in efficientnet_b0 densenet121 resnet50 swin_t; do
  [ -s "$models/$arch.onnx" ] || missing+=("$arch")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "Exporting ${missing[*]} with random weights"
  CAMSERVICE_CLI="dotnet src/CamService.Cli/bin/Release/net10.0/camservice.dll" \
    /usr/bin/python3 onnx/export.py "${missing[@]}" --weights random --seed 0 --out-dir "$models"
fi
scripts/fetch-sample-images.sh "$photos" >/dev/null

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
step "Starting the service on port $port"
log=$(mktemp)
dotnet src/CamService/bin/Release/net10.0/CamService.dll --urls "http://127.0.0.1:$port" \
  --Models:Directory="$models" --Serilog:MinimumLevel:Default=Warning >"$log" 2>&1 &
service=$!
trap 'kill "$service" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 300); do
  curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break
  kill -0 "$service" 2>/dev/null || { cat "$log" >&2; echo "error: the service stopped" >&2; exit 1; }
  sleep 1
done

step "Taking the screenshot"
mkdir -p "$(dirname "$out")"
dotnet tools/CamService.PageScreenshot/bin/Release/net10.0/CamService.PageScreenshot.dll \
  "http://127.0.0.1:$port/" "$out" "$photos/chelsea.png" "$photos/coffee.png"

# A full page of photos is well over the README's budget as a true-colour PNG; a 256-colour
# palette keeps the heatmaps smooth enough and the file small.
if [ "$(stat -c %s "$out")" -gt "$limit" ]; then
  pngquant --force --skip-if-larger --speed 1 --quality 60-90 --output "$out" -- "$out"
fi
size=$(stat -c %s "$out")
[ "$size" -le "$limit" ] || { echo "error: $out is $size bytes, over $limit" >&2; exit 1; }
echo "$out: $size bytes"
