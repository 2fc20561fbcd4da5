#!/usr/bin/env bash
# Installs what the benchmark scripts run under Node, from npm, into
# git-ignored folders. Idempotent: does nothing for what is already there.
#
#   bash bench/install_tools.sh [ingest] [peers]   (no argument: both)
#
# - ingest: the load generator of bench/ingest/ingest_load.ts (autocannon)
#   into .tools/bench/.
# - peers: the official clients of bench/peers/peer_bench.ts, for their runs
#   on Node, into bench/peers/node/node_modules/ with `npm ci` (the versions
#   pinned in bench/peers/node/package.json and its package-lock.json, the
#   same as the script's npm: specifiers, which Deno fetches itself for the
#   runs under Deno).
#
# Fails (exit 1, saying why) when node or npm is missing or npm fails: the
# benchmarks that need these tools do not run without them.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(ingest peers)

need() {
  command -v "$1" >/dev/null 2>&1 || {
    echo "bench/install_tools.sh: $1 is needed ($2) and was not found" >&2
    exit 1
  }
}

install_ingest() {
  local tools="$ROOT/.tools/bench"
  if [ -f "$tools/node_modules/autocannon/autocannon.js" ]; then
    return 0
  fi
  need node "to run autocannon"
  need npm "to install autocannon"
  mkdir -p "$tools"
  echo '{ "private": true }' >"$tools/package.json"
  npm install --prefix "$tools" --no-save --no-audit --no-fund --loglevel=error \
    autocannon@9.0.0 >&2
}

# Whether every dependency of package.json is installed at its pinned version.
peers_installed() {
  node -e '
    const dir = process.argv[1];
    const { dependencies } = require(`${dir}/package.json`);
    for (const [name, version] of Object.entries(dependencies)) {
      let installed;
      try {
        installed = require(`${dir}/node_modules/${name}/package.json`).version;
      } catch {
        process.exit(1);
      }
      if (installed !== version) process.exit(1);
    }
  ' "$1"
}

install_peers() {
  local dir="$ROOT/bench/peers/node"
  need node "to run the official clients on Node"
  if peers_installed "$dir"; then
    return 0
  fi
  need npm "to install the official clients"
  echo "bench/install_tools.sh: installing the official clients into $dir/node_modules" >&2
  # No install scripts: none of these packages needs one.
  npm ci --prefix "$dir" --ignore-scripts --no-audit --no-fund --loglevel=error >&2
  peers_installed "$dir" || {
    echo "bench/install_tools.sh: npm ci did not install the pinned clients in $dir" >&2
    exit 1
  }
}

for target in "${targets[@]}"; do
  case "$target" in
  ingest) install_ingest ;;
  peers) install_peers ;;
  *)
    echo "bench/install_tools.sh: unknown target $target (ingest, peers)" >&2
    exit 1
    ;;
  esac
done
