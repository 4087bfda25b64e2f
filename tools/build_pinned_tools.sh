#!/usr/bin/env bash
# Builds prometheus + promtool, alertmanager + amtool, node_exporter and blackbox_exporter at exactly
# the versions the images pin, from their Go modules, into the version-keyed cache
# (testsupport/pinned_tools.py). A version already built is left alone, so this only builds after a pin changes.
#   tools/build_pinned_tools.sh PYTHON     (PYTHON: the project's virtualenv interpreter)
set -euo pipefail
PY=${1:?usage: $0 PYTHON}
cd "$(dirname "$0")/.."
GO_NEEDED=1.26

need_go() {
  cat >&2 <<EOF
make deps: building $1 $2 (the version its image pins) needs:
  - Go $GO_NEEDED or newer as \`go\` on PATH (the module's go.mod requires it; a Go from 1.21 on
    with GOTOOLCHAIN=auto, the default, fetches that toolchain itself), and
  - the Go module proxy (GOPROXY, default proxy.golang.org) or a module cache holding $3@$4.
Install Go from https://go.dev/dl/ (Debian 12's golang package is too old), then run \`make deps\` again.
EOF
  exit 1
}

# The version flags Prometheus's own release builds set, so that --version reports the pin.
ldflags() {
  local pkg=github.com/prometheus/common/version
  echo "-X $pkg.Version=$1 -X $pkg.Revision=$2 -X $pkg.Branch=module -X $pkg.BuildUser=make-deps" \
       "-X $pkg.BuildDate=$(date -u +%Y%m%d-%H:%M:%S)"
}

# Alertmanager embeds its compiled web UI (ui/app/dist), which its Go module does not ship: a page
# saying so stands in. The API, all the tests and the local stack use, is complete without it.
without_web_ui() {
  grep -qs 'go:embed app/dist' "$1/ui/web.go" || return 0
  local ui
  for ui in elm mantine; do
    mkdir -p "$1/ui/app/dist/$ui" || return 1
    echo '<!doctype html><title>Alertmanager</title><p>Built without the web UI (make deps); the API is at /api/v2/.' \
      > "$1/ui/app/dist/$ui/index.html" || return 1
  done
}

# Every step says `|| return 1`: called from an `||` list, the function runs without `set -e`.
build() {
  local name=$1 module=$2 version=$3 modversion=$4 out=$5; shift 5
  local started source
  started=$(date +%s)
  export GOFLAGS=-mod=mod GOWORK=off
  # Built inside a writable copy of the module: Prometheus's go.mod has a replace directive, which
  # `go install module@version` refuses; and `go install` also asks the proxy for the module's
  # version list (deprecation check), which a proxy serving only fixed versions may refuse.
  source=$(go mod download -json "$module@$modversion" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])') || return 1
  rm -rf "$out.src" && cp -r "$source" "$out.src" && chmod -R u+w "$out.src" || return 1
  without_web_ui "$out.src" || return 1
  local built command package
  for built in "$@"; do  # command:main package inside the module
    command=${built%%:*} package=${built#*:}
    echo "make deps: building $command $version ($module@$modversion)"
    (cd "$out.src" && go build -ldflags "$(ldflags "$version" "$modversion")" -o "$out/$command" "$package") || return 1
  done
  rm -rf "$out.src"
  echo "make deps: $name $version built in $(( $(date +%s) - started ))s"
}

while read -r name module version modversion directory commands; do
  IFS=, read -r -a wanted <<<"$commands"
  missing=0
  for built in "${wanted[@]}"; do [ -x "$directory/${built%%:*}" ] || missing=1; done
  [ "$missing" = 0 ] && continue
  command -v go >/dev/null || need_go "$name" "$version" "$module" "$modversion"
  mkdir -p "$(dirname "$directory")"
  partial=$(mktemp -d "$directory.partial.XXXXXX") && chmod 755 "$partial"
  build "$name" "$module" "$version" "$modversion" "$partial" "${wanted[@]}" \
    || { rm -rf "$partial" "$partial.src"; need_go "$name" "$version" "$module" "$modversion"; }
  # Whole or not at all: a concurrent `make deps` that finished first wins, ours is dropped.
  mv -T "$partial" "$directory" 2>/dev/null || rm -rf "$partial"
done < <("$PY" -m testsupport.pinned_tools --table)
