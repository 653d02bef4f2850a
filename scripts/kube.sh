#!/usr/bin/env bash
# Builds a real Kubernetes API server and etcd from Go modules, once, into
# target/tools/kube/<version>/: `scripts/kube.sh [version]`.
#
#   kube-apiserver  from k8s.io/kubernetes/cmd/kube-apiserver: a small module
#                   requires k8s.io/kubernetes and points every staging module
#                   it replaces (k8s.io/api, k8s.io/apimachinery, …) at its
#                   published v0.X.Y, the usual way to build against it
#   etcd            go.etcd.io/etcd/server/v3/etcdmain behind a one-line main
#
# No container image is needed (none can be pulled here). A version already
# built is reused (a few milliseconds). Prints the directory holding both
# binaries on its last line. Env: KUBE_VERSION (default below), TOOLS_DIR,
# ETCD_VERSION; GOFLAGS as usual.
set -euo pipefail
cd "$(dirname "$0")/.."
KUBE_VERSION=${1:-${KUBE_VERSION:-1.34.4}}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
T=${TOOLS_DIR:-$PWD/target/tools}
out="$T/kube/$KUBE_VERSION"
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ]; then
  echo "$out"
  exit 0
fi

minor=${KUBE_VERSION#*.}
staging_version="v0.$minor"
work=$(mktemp -d "${TMPDIR:-/tmp}/preflight-kube.XXXXXX")
trap 'rm -rf "$work"' EXIT
started=$(date +%s)

if [ ! -x "$out/kube-apiserver" ]; then
  mkdir -p "$work/apiserver"
  cd "$work/apiserver"
  go mod init preflight.dev/kube-tools >/dev/null 2>&1
  # The module's own go.mod names the staging modules it replaces with
  # ./staging/src/…: each becomes its published version of the same release.
  gomod=$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
  go mod edit -require="k8s.io/kubernetes@v$KUBE_VERSION"
  for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod"); do
    go mod edit -replace="$m=$m@$staging_version"
  done
  # `providerless` leaves out the in-tree cloud providers (older releases
  # import k8s.io/legacy-cloud-providers, which the proxy no longer serves);
  # `-mod=mod` resolves only what the build imports.
  CGO_ENABLED=0 go build -mod=mod -tags providerless -trimpath -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
  cd - >/dev/null
fi

if [ ! -x "$out/etcd" ]; then
  mkdir -p "$work/etcd"
  cd "$work/etcd"
  go mod init preflight.dev/etcd >/dev/null 2>&1
  printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' > main.go
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null 2>"$work/etcd.log" || { cat "$work/etcd.log" >&2; exit 1; }
  go mod tidy >/dev/null 2>>"$work/etcd.log" || { cat "$work/etcd.log" >&2; exit 1; }
  CGO_ENABLED=0 go build -trimpath -o "$out/etcd" .
  cd - >/dev/null
fi

echo "built kube-apiserver v$KUBE_VERSION and etcd $ETCD_VERSION in $(( $(date +%s) - started )) s" >&2
echo "$out"
