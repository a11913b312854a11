#!/usr/bin/env bash
# Runs every test of CamService on a fresh Debian/Ubuntu machine: installs what the tests need
# (Debian's PyTorch to export test models, Chromium for the browser tests, sample photos,
# docker-compose to check the compose file, Redocly's OpenAPI linter from npm), restores NuGet
# packages, builds, and runs the whole suite, then the container test on its own (which installs
# Docker where it can run at all).
#   ./test.sh --filter DeploymentTests      # extra arguments go to dotnet test
set -euo pipefail
cd "$(dirname "$0")"
source scripts/common.sh

install_dotnet_if_missing
# OpenBLAS: Debian's PyTorch otherwise multiplies through the reference BLAS, 11x slower in the autograd references.
install_debian_packages python3 python3-torch python3-torchvision python3-onnx python3-numpy libopenblas0-pthread
export CAMSERVICE_PYTHON=/usr/bin/python3
# The page's end-to-end tests drive Debian's Chromium through Playwright's .NET driver (which ships
# in its NuGet package; no browser is downloaded). Chromium brings no fonts of its own.
install_debian_packages chromium fonts-dejavu-core
export CAMSERVICE_CHROMIUM=/usr/bin/chromium
install_debian_packages docker-compose
# The OpenAPI document is linted with Redocly's CLI (OpenApiLintTests), from npm into tools/openapi-lint.
command -v npm >/dev/null || install_debian_packages nodejs npm
step "Installing the OpenAPI linter (npm ci in tools/openapi-lint)"
npm ci --prefix tools/openapi-lint --no-audit --no-fund --loglevel=error

step "Building (Release)"
dotnet build CamService.sln -c Release -warnaserror --nologo -v quiet

run_tests() {
  dotnet test "$@" -c Release --no-build --nologo --logger "console;verbosity=normal" --logger trx \
    --results-directory artifacts/test-results --blame
}
rm -rf artifacts/test-results
status=0
if [[ " $* " == *" --filter"[\ =]* ]]; then
  step "Running the tests that match the filter"
  run_tests CamService.sln "$@" || status=$?
else
  step "Running the tests"
  run_tests CamService.sln --filter "FullyQualifiedName!~CamService.Container.Tests" "$@" || status=$?
  # Alone, after the others: it builds and runs the image on every core for minutes.
  step "Running the container test"
  run_tests tests/CamService.Container.Tests "$@" || status=$?
fi

step "Summary"
/usr/bin/python3 scripts/test-summary.py artifacts/test-results || true
exit $status
