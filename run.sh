#!/usr/bin/env bash
# Starts CamService on http://localhost:8080 with the default models: efficientnet_b0, densenet121 and
# resnet50, the original comparison, and swin_t, the transformer of resnet50's cost. On a fresh Debian/Ubuntu machine it installs what is missing, exports the models with
# their pretrained ImageNet weights if they are absent (random weights, labelled untrained, when
# they cannot be downloaded), builds, and serves.
#   CAMSERVICE_URLS=http://0.0.0.0:8080 ./run.sh      # listen elsewhere
#   ./run.sh --Inference:Device=cuda                  # extra arguments go to the service
set -euo pipefail
cd "$(dirname "$0")"
source scripts/common.sh

install_dotnet_if_missing
install_debian_packages python3 python3-torch python3-torchvision python3-onnx python3-numpy

step "Building (Release)"
dotnet build src/CamService/CamService.csproj -c Release --nologo -v quiet
dotnet build src/CamService.Cli/CamService.Cli.csproj -c Release --nologo -v quiet

models=onnx/models
missing=()
for arch in efficientnet_b0 densenet121 resnet50 swin_t; do
  [ -f "$models/$arch.onnx" ] || missing+=("$arch")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "Exporting ${missing[*]} (pretrained ImageNet weights; random, labelled untrained, if they cannot be downloaded)"
  CAMSERVICE_CLI="dotnet src/CamService.Cli/bin/Release/net10.0/camservice.dll" \
    /usr/bin/python3 onnx/export.py "${missing[@]}" --out-dir "$models" --allow-random-fallback
fi

use_service_allocator
urls="${CAMSERVICE_URLS:-http://localhost:8080}"
step "Serving on $urls (the page at /, the API at /swagger)"
exec dotnet src/CamService/bin/Release/net10.0/CamService.dll --urls "$urls" --Models:Directory="$PWD/$models" "$@"
