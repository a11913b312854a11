#!/usr/bin/env bash
# Every torchvision family made CAM-ready with no flags, its gradients checked against finite differences and torch
# autograd, its forward timed against the plain one: prints the table of docs/architectures.md. See bench/architectures.py.
#   bench/architectures.sh [ARCH ...] [--all] [--no-timing] [--runs 20] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/architectures.py "$@"
