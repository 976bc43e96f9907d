#!/usr/bin/env bash
# Set up the offline Mesa/SolaraViz browser UI and its Playwright check.
#
#   scripts/ui_setup.sh [VENV]      (VENV defaults to $VENV, then <repo>/.venv)
#
# Idempotent; each step is skipped when already done:
#   1. pip-installs into the venv: playwright, "ipyvue<2", "ipyvuetify<2"
#      (ipyvue/ipyvuetify 3.x leave the SolaraViz page blank: "GlobalVue.use is not a function").
#      Nothing else is upgraded; playwright's own browser download is NOT used.
#   2. apt-installs Debian's chromium when /usr/bin/chromium is missing.
#   3. Fills the Solara asset-proxy cache (default <repo>/.cache/solara-assets, override with
#      $SOLARA_ASSETS_DIR) with the npm packages the page loads from a CDN, so the UI works
#      with no internet.
#
# Cache layout (solara/server/cdn_helper.py): the browser asks the server for
#   /_solara/cdn/<spec>/<file>
# and the server answers with  $SOLARA_ASSETS_PROXY_CACHE_DIR/<spec>/<file>, where <spec> is the
# npm spec exactly as written in the URL (e.g. "vega@5", not "vega@5.33.0"). Only on a miss does
# it fetch https://cdn.jsdelivr.net/npm/<spec>/<file> (4 tries). So each package below is
# `npm pack`ed and its tarball's package/ folder is unpacked to <cache>/<spec>/.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

VENV_ARG="${1:-${VENV:-.venv}}"
case "$VENV_ARG" in
  /*) VENV_DIR="$VENV_ARG" ;;
  *) VENV_DIR="$REPO/$VENV_ARG" ;;
esac
PY="$VENV_DIR/bin/python"

ASSETS_ARG="${SOLARA_ASSETS_DIR:-.cache/solara-assets}"
case "$ASSETS_ARG" in
  /*) ASSETS="$ASSETS_ARG" ;;
  *) ASSETS="$REPO/$ASSETS_ARG" ;;
esac

# The specs Solara 1.64 (solara-vuetify-app 10.x, ipywidgets 8) requests through its asset proxy
# for a Mesa SolaraViz page (Altair plots -> vega; font-awesome CSS; requirejs; grid layout).
# If a solara upgrade changes them, the server log shows "Could not load URL: ..." for the
# missing one: add it here.
SPECS=(
  "@widgetti/solara-vuetify-app@10.1.1"
  "@widgetti/vue-grid-layout@2.3.13-alpha.2"
  "requirejs@2.3.6"
  "font-awesome@4.5.0"
  "vega@5"
  "vega-lite@5"
  "vega-embed@6"
)

log() { printf '[ui_setup] %s\n' "$*" >&2; }
die() { printf '[ui_setup] ERROR: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root for: $*"
  fi
}

[ -x "$PY" ] || die "no python in venv $VENV_DIR (create it first, or pass the venv as \$1 / \$VENV)"
"$PY" -c "import solara" 2>/dev/null || die "solara is not installed in $VENV_DIR (install mesa[rec] first)"

# ---------------------------------------------------------------- 1. python packages
if "$PY" - <<'EOF'
import sys
from importlib.metadata import version, PackageNotFoundError
def major(name):
    try:
        return int(version(name).split(".")[0])
    except PackageNotFoundError:
        return None
ok = major("ipyvue") == 1 and major("ipyvuetify") == 1 and major("playwright") is not None
sys.exit(0 if ok else 1)
EOF
then
  log "python packages already in place (playwright, ipyvue<2, ipyvuetify<2)"
else
  log "pip install playwright 'ipyvue<2' 'ipyvuetify<2' into $VENV_DIR"
  "$PY" -m pip install --quiet --disable-pip-version-check playwright "ipyvue<2" "ipyvuetify<2"
fi

# ---------------------------------------------------------------- 2. chromium
if [ -x /usr/bin/chromium ]; then
  log "chromium already installed: /usr/bin/chromium"
else
  log "apt-get install chromium"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  [ -x /usr/bin/chromium ] || die "apt-get install chromium did not give /usr/bin/chromium"
fi

# ---------------------------------------------------------------- 3. asset cache
mkdir -p "$ASSETS"
MISSING=()
for spec in "${SPECS[@]}"; do
  if [ -f "$ASSETS/$spec/.ui_setup_complete" ]; then
    log "asset cached: $spec"
  else
    MISSING+=("$spec")
  fi
done

if [ "${#MISSING[@]}" -gt 0 ]; then
  command -v npm >/dev/null 2>&1 || { log "npm missing: apt-get install npm"; as_root apt-get update -qq; as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
  TMP="$(mktemp -d)"
  trap 'rm -rf "$TMP"' EXIT
  log "npm pack ${MISSING[*]}"
  # --json lists the tarballs in the order of the arguments
  (cd "$TMP" && npm pack --json --loglevel=error "${MISSING[@]}" > pack.json 2> pack.err) \
    || { cat "$TMP/pack.err" >&2; die "npm pack failed"; }
  mapfile -t TARBALLS < <("$PY" -c '
import json, sys
for entry in json.load(open(sys.argv[1])):
    print(entry["filename"], entry["version"])
' "$TMP/pack.json")
  [ "${#TARBALLS[@]}" -eq "${#MISSING[@]}" ] || die "npm pack returned ${#TARBALLS[@]} tarballs for ${#MISSING[@]} specs"
  for i in "${!MISSING[@]}"; do
    spec="${MISSING[$i]}"
    read -r tgz ver <<<"${TARBALLS[$i]}"
    [ -f "$TMP/$tgz" ] || die "npm pack did not write $tgz for $spec"
    dest="$ASSETS/$spec"
    stage="$TMP/unpack-$i"
    mkdir -p "$stage"
    tar -xzf "$TMP/$tgz" -C "$stage"
    # tarballs hold one top folder, normally package/
    top="$(find "$stage" -mindepth 1 -maxdepth 1 -type d | head -n 1)"
    [ -n "$top" ] || die "empty tarball $tgz"
    echo "$spec -> $ver" > "$top/.ui_setup_complete"
    rm -rf "$dest"
    mkdir -p "$(dirname "$dest")"
    mv "$top" "$dest"
    log "asset unpacked: $spec ($ver)"
  done
fi

# sanity check: the files the page asks for first
for f in \
  "@widgetti/solara-vuetify-app@10.1.1/dist/solara-vuetify-app8.min.js" \
  "@widgetti/solara-vuetify-app@10.1.1/dist/main8.css" \
  "requirejs@2.3.6/require.js" \
  "font-awesome@4.5.0/css/font-awesome.min.css" \
  "vega@5/build/vega.min.js" \
  "vega-lite@5/build/vega-lite.min.js" \
  "vega-embed@6/build/vega-embed.min.js" \
  "@widgetti/vue-grid-layout@2.3.13-alpha.2/dist/vue-grid-layout.umd.js"; do
  [ -f "$ASSETS/$f" ] || die "asset cache incomplete: $ASSETS/$f missing"
done

cat <<EOF

# Solara offline UI: set these before 'solara run' (scripts/ui_smoke.py sets them itself)
export SOLARA_ASSETS_PROXY_CACHE_DIR=$ASSETS
export SOLARA_ASSETS_PROXY=true
# send cache misses to a dead local port instead of cdn.jsdelivr.net (fails fast, never leaves the machine)
export SOLARA_ASSETS_CDN=http://127.0.0.1:9/npm/
# no server-side telemetry call to api.mixpanel.com
export SOLARA_TELEMETRY_MIXPANEL_ENABLE=false
# production mode: no hidden solara.dev 'check' iframe on the first page view (and no hot reload)
export SOLARA_MODE=production
EOF
