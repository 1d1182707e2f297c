#!/usr/bin/env bash
# Regenerates the API's Swift types and server stubs from api/openapi.yaml (contract first):
#   bash scripts/generate-api.sh
# The generator (swift-openapi-generator, from the package mirror) is built in a folder of its own,
# never by the application's build or CI; the output is committed under
# Sources/KPIServer/API/Generated (with the contract itself, Contract*.swift), split and wrapped to the
# project's limits by scripts/write-generated-api.py and stamped with the SHA-256 of the contract and the
# configuration.
# APIContractTests fails when api/openapi.yaml changed and this script was not run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCRATCH=${KPI_GENERATOR_BUILD:-/tmp/.build-kpi-openapi-generator}
OUT="$ROOT/Sources/KPIServer/API/Generated"
(cd scripts/openapi-generator && swift build -c release --product swift-openapi-generator --scratch-path "$SCRATCH")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$SCRATCH/release/swift-openapi-generator" generate api/openapi.yaml \
  --config api/openapi-generator-config.yaml --output-directory "$TMP"
STAMP=$(cat api/openapi.yaml api/openapi-generator-config.yaml | sha256sum | cut -d' ' -f1)
rm -rf "$OUT" && mkdir -p "$OUT"
# Split to files of at most 400 lines and lines of at most 140 bytes, with the contract itself
# (Contract*.swift, served at /api/v1/openapi.yaml and read by the reference page as JSON).
python3 scripts/write-generated-api.py "$TMP" "$OUT" "$STAMP"
echo "Đã sinh mã API từ api/openapi.yaml (sha256 $STAMP)."
