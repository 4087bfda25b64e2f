#!/usr/bin/env bash
# Installs what the real-engine tier (`make e2e`) needs, and prints the directory to put on PATH.
#
# Built from Go modules (the recipe is this file): the Pulumi CLI, kube-apiserver,
# kube-controller-manager, kube-scheduler and kwok. Each binary is cached by module@version under
# $E2E_CACHE, outside the clone, so a second run is instant; each build's seconds are written
# beside it (build-seconds). etcd comes from Debian's etcd-server. The Python language host and the
# kubernetes and random providers are not buildable from served modules: they come from
# $E2E_PLUGIN_DIR (xz-compressed, checked against its SHA256SUMS) or, without it, from
# `pulumi plugin install` on a machine with internet access.
#
# Usage: e2e/deps.sh [all|pulumi|kubernetes|kwok|etcd|plugins|bin-dir|plugin-home]
set -euo pipefail

PULUMI_MODULE=github.com/pulumi/pulumi/pkg/v3
PULUMI_VERSION=v3.274.0
KUBERNETES_MODULE=k8s.io/kubernetes
KUBERNETES_VERSION=v1.33.13
# The k8s.io/* staging modules are published as v0.<minor>.<patch> of the same release.
KUBERNETES_STAGING_VERSION=v0.33.13
KWOK_MODULE=sigs.k8s.io/kwok
KWOK_VERSION=v0.8.0
# The plugin versions the program's Python SDK pins expect (requirements.txt pins the same).
LANGUAGE_PYTHON_VERSION=3.259.0
KUBERNETES_PLUGIN_VERSION=4.32.0
RANDOM_PLUGIN_VERSION=4.21.1

E2E_CACHE=${E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/waqiti-monitoring/e2e}
BIN_DIR=$E2E_CACHE/bin

log() { echo "e2e-deps: $*" >&2; }

need_go() {
  command -v go >/dev/null || { log "needs Go 1.26.6 or newer on PATH (the Pulumi CLI's go.mod asks for it)"; exit 1; }
}

# Copies a module's source out of the module cache into a fresh writable directory.
module_source() {
  local module=$1 version=$2 dest=$3 dir
  dir=$(GOFLAGS=-mod=mod go mod download -json "$module@$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf "$dest"
  mkdir -p "$(dirname "$dest")"
  cp -r "$dir" "$dest"
  chmod -R u+w "$dest"
}

# Runs "build FUNCTION" once per name-version: the cache directory holds the binaries afterwards.
cached_build() {
  local key=$1 builder=$2 out=$E2E_CACHE/$1
  if [ -f "$out/.done" ]; then
    log "$key: cached ($(cat "$out/build-seconds") s when built)"
    return
  fi
  need_go
  local work start
  work=$(mktemp -d "${TMPDIR:-/tmp}/e2e-build.XXXXXX")
  start=$(date +%s)
  log "$key: building"
  rm -rf "$out"
  mkdir -p "$out"
  "$builder" "$work" "$out"
  echo $(( $(date +%s) - start )) > "$out/build-seconds"
  touch "$out/.done"
  rm -rf "$work"
  log "$key: built in $(cat "$out/build-seconds") s"
}

build_pulumi() {
  local work=$1/pulumi out=$2
  module_source "$PULUMI_MODULE" "$PULUMI_VERSION" "$work"
  cd "$work"
  # The published module points at its repository's sdk folder, which its zip does not carry.
  go mod edit -dropreplace github.com/pulumi/pulumi/sdk/v3 -require "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION"
  GOFLAGS=-mod=mod go mod download github.com/pulumi/pulumi/sdk/v3
  GOFLAGS=-mod=mod go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    -o "$out/pulumi" ./cmd/pulumi
}

build_kubernetes() {
  local work=$1/kubernetes out=$2 edits=() path
  module_source "$KUBERNETES_MODULE" "$KUBERNETES_VERSION" "$work"
  cd "$work"
  export GOWORK=off
  # Its go.mod replaces every k8s.io/* staging module with ./staging/..., which the module zip
  # leaves out (each has a go.mod of its own): use the published modules of the same release.
  for path in $(go mod edit -json | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    if r["New"]["Path"].startswith("./staging/"):
        print(r["Old"]["Path"])'); do
    edits+=("-replace=$path=$path@$KUBERNETES_STAGING_VERSION")
  done
  log "kubernetes: ${#edits[@]} staging replaces pointed at $KUBERNETES_STAGING_VERSION"
  go mod edit "${edits[@]}"
  local v=k8s.io/component-base/version
  local ldflags="-s -w -X $v.gitVersion=$KUBERNETES_VERSION -X $v.gitMajor=1 -X $v.gitMinor=33"
  ldflags+=" -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION"
  go build -mod=mod -trimpath -ldflags "$ldflags" -o "$out/" \
    ./cmd/kube-apiserver ./cmd/kube-controller-manager ./cmd/kube-scheduler
}

build_kwok() {
  local work=$1/kwok out=$2
  module_source "$KWOK_MODULE" "$KWOK_VERSION" "$work"
  cd "$work"
  GOWORK=off go build -mod=mod -trimpath -ldflags "-s -w" -o "$out/kwok" ./cmd/kwok
  # kwok takes its node and pod lifecycles as Stage objects: the module's own (e2e/cluster.py picks).
  cp -r kustomize/stage "$out/stages"
}

link() { mkdir -p "$BIN_DIR"; ln -sf "$1" "$BIN_DIR/$(basename "$1")"; }

dep_pulumi_cli() {
  cached_build "pulumi-$PULUMI_VERSION" build_pulumi
  link "$E2E_CACHE/pulumi-$PULUMI_VERSION/pulumi"
}

dep_kubernetes() {
  cached_build "kubernetes-$KUBERNETES_VERSION" build_kubernetes
  local b
  for b in kube-apiserver kube-controller-manager kube-scheduler; do
    link "$E2E_CACHE/kubernetes-$KUBERNETES_VERSION/$b"
  done
}

dep_kwok() {
  cached_build "kwok-$KWOK_VERSION" build_kwok
  link "$E2E_CACHE/kwok-$KWOK_VERSION/kwok"
  ln -sfn "$E2E_CACHE/kwok-$KWOK_VERSION/stages" "$BIN_DIR/kwok-stages"
}

dep_etcd() {
  if ! type -P etcd >/dev/null; then
    log "installing Debian's etcd-server"
    local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends etcd-server
  fi
  # The package starts a system etcd; the tier runs its own on other ports and never uses it.
  link "$(type -P etcd)"
}

# The language host goes on PATH (the CLI looks for it there); the providers are installed into
# $PLUGIN_HOME/plugins, which the tier's own PULUMI_HOME links to, so the engine loads them by version.
PLUGIN_HOME=$E2E_CACHE/pulumi-home

install_providers() {
  local pulumi=$BIN_DIR/pulumi from=${1:-}
  local kubernetes=(resource kubernetes "$KUBERNETES_PLUGIN_VERSION") random=(resource random "$RANDOM_PLUGIN_VERSION")
  if [ -n "$from" ]; then
    kubernetes+=(--file "$from/pulumi-resource-kubernetes")
    random+=(--file "$from/pulumi-resource-random")
  fi
  PULUMI_HOME=$PLUGIN_HOME PULUMI_SKIP_UPDATE_CHECK=true "$pulumi" plugin install "${kubernetes[@]}"
  PULUMI_HOME=$PLUGIN_HOME PULUMI_SKIP_UPDATE_CHECK=true "$pulumi" plugin install "${random[@]}"
}

# From a directory of xz files with SHA256SUMS, decompressed once per checksum file.
plugins_from_dir() {
  local src=$1 out f
  out=$E2E_CACHE/plugins-$(sha256sum "$1/SHA256SUMS" | cut -c1-16)
  if [ ! -f "$out/.done" ]; then
    log "plugins: verifying $src/SHA256SUMS"
    (cd "$src" && sha256sum --quiet -c SHA256SUMS)
    rm -rf "$out"; mkdir -p "$out"
    for f in "$src"/pulumi-*.xz; do
      xz -dc "$f" > "$out/$(basename "$f" .xz)"
      chmod +x "$out/$(basename "$f" .xz)"
    done
    cp "$src/pulumi-language-python-exec" "$out/"
    chmod +x "$out/pulumi-language-python-exec"
    rm -rf "$PLUGIN_HOME"
    install_providers "$out"
    touch "$out/.done"
  fi
  language_host "$out"
}

# Beside the CLI's own binary the engine takes the language host as bundled with it (on PATH only,
# it warns on every run).
language_host() {
  local f
  for f in pulumi-language-python pulumi-language-python-exec; do
    ln -sf "$1/$f" "$E2E_CACHE/pulumi-$PULUMI_VERSION/$f"
  done
}

# Without a plugin directory: the official builds (needs internet access).
plugins_from_internet() {
  if [ ! -f "$PLUGIN_HOME/.done" ]; then
    install_providers
    PULUMI_HOME=$PLUGIN_HOME "$BIN_DIR/pulumi" plugin install language python "$LANGUAGE_PYTHON_VERSION"
    touch "$PLUGIN_HOME/.done"
  fi
  language_host "$PLUGIN_HOME/plugins/language-python-v$LANGUAGE_PYTHON_VERSION"
}

dep_plugins() {
  dep_pulumi_cli
  if [ -n "${E2E_PLUGIN_DIR:-}" ]; then
    plugins_from_dir "$E2E_PLUGIN_DIR"
  else
    plugins_from_internet
  fi
}

case "${1:-all}" in
  all) dep_etcd; dep_pulumi_cli; dep_plugins; dep_kubernetes; dep_kwok ;;
  pulumi) dep_pulumi_cli ;;
  kubernetes) dep_kubernetes ;;
  kwok) dep_kwok ;;
  etcd) dep_etcd ;;
  plugins) dep_plugins ;;
  bin-dir) echo "$BIN_DIR"; exit 0 ;;
  plugin-home) echo "$PLUGIN_HOME"; exit 0 ;;
  *) echo "usage: $0 [all|pulumi|kubernetes|kwok|etcd|plugins|bin-dir]" >&2; exit 2 ;;
esac
echo "$BIN_DIR"
