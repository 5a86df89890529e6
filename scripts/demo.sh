#!/usr/bin/env bash
# Installs what forage needs, builds it, and runs `forage demo`: the test site
# starts on a free loopback port, its 48-page shop is scraped into
# products.csv, and the run's report is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
exec build/forage demo "$@"
