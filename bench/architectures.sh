#!/usr/bin/env bash
# Every torchvision family made CAM-ready with no flags, its gradients checked against finite differences and torch
# autograd, its forward timed against the plain one: prints the table of docs/architectures.md. See bench/architectures.py.
#   bench/architectures.sh [ARCH ...] [--all] [--no-timing] [--runs 20] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
# OpenBLAS: through Debian's reference BLAS, torch's autograd reference for ViT-H/14 takes over 20 minutes.
install_debian_packages python3 python3-torch python3-torchvision python3-onnx python3-numpy libopenblas0-pthread
exec /usr/bin/python3 bench/architectures.py "$@"
