#!/usr/bin/env bash
# Installs the load generator of bench/ingest/ingest_load.ts (autocannon,
# run under Node) from npm into .tools/bench/ (git-ignored). Idempotent: does
# nothing when it is there. The peer benchmark's clients need no install:
# Deno fetches them from npm through the npm: specifiers in the script.
set -euo pipefail
TOOLS="$(cd "$(dirname "$0")/.." && pwd)/.tools/bench"
if [ -f "$TOOLS/node_modules/autocannon/autocannon.js" ]; then
  exit 0
fi
command -v node >/dev/null 2>&1 || {
  echo "bench/install_tools.sh: node is needed to run autocannon" >&2
  exit 1
}
mkdir -p "$TOOLS"
echo '{ "private": true }' >"$TOOLS/package.json"
npm install --prefix "$TOOLS" --no-save --no-audit --no-fund --loglevel=error \
  autocannon@9.0.0 >&2
