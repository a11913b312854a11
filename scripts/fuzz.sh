#!/usr/bin/env bash
# The long fuzz campaign: every decoder the service registers (JPEG through ImageSharp and through libjpeg-turbo,
# PNG, WebP) and both request readers of POST /cam (multipart and JSON, through the whole HTTP pipeline),
# N mutated inputs each from seed S. Exits non-zero on any finding or when RSS grew over 10 %.
#   scripts/fuzz.sh [--inputs N] [--seed S]          (default 100000 per target, seed 20)
#   scripts/fuzz.sh --targets png,webp --inputs 5000
#   scripts/fuzz.sh --seed 20 --reproduce webp:1234  (how one input was made, and what it did)
# Findings' inputs are written to artifacts/fuzz/TARGET-SEED-INDEX.bin. docs/decoding.md has the last run's figures.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

install_dotnet_if_missing
step "Building the fuzz campaign"
dotnet build tests/CamService.Fuzzing -c Release -warnaserror --nologo -v quiet
export CAMSERVICE_SAMPLES=${CAMSERVICE_SAMPLES:-$(scripts/fetch-sample-images.sh .cache/samples)}

# The service's allocator: the campaign's memory figures are the service's.
use_service_allocator
step "Fuzzing"
exec dotnet tests/CamService.Fuzzing/bin/Release/net10.0/CamService.Fuzzing.dll --findings artifacts/fuzz "$@"
