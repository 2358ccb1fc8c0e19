#!/usr/bin/env bash
# Vendor Peyvand's front-end assets into peyvand/web/static/vendor/.
#
# The web UI must work offline (no CDN), so the distribution files of the
# packages pinned in package.json / package-lock.json are copied into the
# Django static tree and committed. node_modules never lands in the repo:
# `npm ci` runs in a throw-away temporary directory.
#
# Usage:  bash scripts/vendor_assets.sh
# To upgrade a package: edit its exact version in package.json, run
# `npm install --package-lock-only --ignore-scripts`, then re-run this script.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${REPO_ROOT}/peyvand/web/static/vendor"

for tool in npm node; do
    command -v "$tool" >/dev/null 2>&1 || { echo "error: '$tool' not found in PATH" >&2; exit 1; }
done
for f in package.json package-lock.json; do
    [[ -f "${REPO_ROOT}/${f}" ]] || { echo "error: ${REPO_ROOT}/${f} is missing" >&2; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/peyvand-vendor.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# --- 1. Install exactly what the lockfile says, outside the repository. -------
cp "${REPO_ROOT}/package.json" "${REPO_ROOT}/package-lock.json" "${WORK}/"
(
    cd "$WORK"
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
)
NM="${WORK}/node_modules"
STAGE="${WORK}/vendor"   # build here first; swap into place only on success
mkdir -p "$STAGE"

# --- helpers ----------------------------------------------------------------
pkg_version() { node -p "require('${NM}/$1/package.json').version"; }
pkg_license() { node -p "require('${NM}/$1/package.json').license || 'UNKNOWN'"; }

# copy SRC (relative to node_modules) to DEST (relative to the staging dir)
put() {
    local src="${NM}/$1" dst="${STAGE}/$2"
    [[ -f "$src" ]] || { echo "error: expected file not found in package: $1" >&2; exit 1; }
    mkdir -p "$(dirname "$dst")"
    cp "$src" "$dst"
}

# Remove source-map references so browsers don't 404 on maps we don't ship:
#   a whole line "//# sourceMappingURL=..." (JS) or "/*# sourceMappingURL=... */"
#   (CSS) is deleted; an inline "/*# sourceMappingURL=... */" is cut out.
strip_sourcemap() {
    local f="$1"
    sed -E -i \
        -e '/^[[:space:]]*\/\/[#@][[:space:]]*sourceMappingURL=[^[:space:]]*[[:space:]]*$/d' \
        -e '/^[[:space:]]*\/\*[#@][[:space:]]*sourceMappingURL=[^*]*\*\/[[:space:]]*$/d' \
        -e 's#/\*[#@][[:space:]]*sourceMappingURL=[^*]*\*/##g' \
        "$f"
    if grep -q 'sourceMappingURL=' "$f"; then
        echo "error: a sourceMappingURL reference survived in $f" >&2
        exit 1
    fi
}

# --- 2. Copy the distribution files. -------------------------------------------
# Bootstrap (RTL + LTR CSS, JS bundle including Popper)
put bootstrap/dist/css/bootstrap.rtl.min.css bootstrap/bootstrap.rtl.min.css
put bootstrap/dist/css/bootstrap.min.css     bootstrap/bootstrap.min.css
put bootstrap/dist/js/bootstrap.bundle.min.js bootstrap/bootstrap.bundle.min.js
put bootstrap/LICENSE                         bootstrap/LICENSE

# Bootstrap Icons: the CSS refers to url("fonts/bootstrap-icons.woff2?...")
put bootstrap-icons/font/bootstrap-icons.min.css     bootstrap-icons/bootstrap-icons.min.css
put bootstrap-icons/font/fonts/bootstrap-icons.woff2 bootstrap-icons/fonts/bootstrap-icons.woff2
put bootstrap-icons/font/fonts/bootstrap-icons.woff  bootstrap-icons/fonts/bootstrap-icons.woff
put bootstrap-icons/LICENSE                          bootstrap-icons/LICENSE

# htmx 2.x
put htmx.org/dist/htmx.min.js htmx/htmx.min.js
put htmx.org/LICENSE          htmx/LICENSE

# Alpine.js (the self-starting CDN build; the package ships no LICENSE file)
put alpinejs/dist/cdn.min.js alpinejs/alpine.min.js

# SortableJS
put sortablejs/Sortable.min.js sortablejs/Sortable.min.js
put sortablejs/LICENSE         sortablejs/LICENSE

# Apache ECharts (Apache-2.0: LICENSE and NOTICE must travel with it)
put echarts/dist/echarts.min.js echarts/echarts.min.js
put echarts/LICENSE             echarts/LICENSE
put echarts/NOTICE              echarts/NOTICE

# Vazirmatn: the variable-weight webfont if the package has one, otherwise the
# per-weight woff2 files for 400/500/700.
VAZ_VAR="vazirmatn/fonts/webfonts/Vazirmatn[wght].woff2"
if [[ -f "${NM}/${VAZ_VAR}" ]]; then
    put "$VAZ_VAR" "vazirmatn/Vazirmatn[wght].woff2"
    cat > "${STAGE}/vazirmatn/vazirmatn.css" <<'CSS'
/* Vazirmatn (variable weight 100-900), served locally. Licence: OFL.txt */
@font-face {
  font-family: "Vazirmatn";
  src: url("Vazirmatn[wght].woff2") format("woff2-variations"),
       url("Vazirmatn[wght].woff2") format("woff2");
  font-weight: 100 900;
  font-style: normal;
  font-display: swap;
}
CSS
else
    mkdir -p "${STAGE}/vazirmatn"
    {
        echo '/* Vazirmatn (weights 400, 500, 700), served locally. Licence: OFL.txt */'
        for pair in 400:Regular 500:Medium 700:Bold; do
            weight="${pair%%:*}" name="${pair#*:}"
            put "vazirmatn/fonts/webfonts/Vazirmatn-${name}.woff2" "vazirmatn/Vazirmatn-${name}.woff2"
            printf '@font-face {\n  font-family: "Vazirmatn";\n  src: url("Vazirmatn-%s.woff2") format("woff2");\n  font-weight: %s;\n  font-style: normal;\n  font-display: swap;\n}\n' "$name" "$weight"
        done
    } > "${STAGE}/vazirmatn/vazirmatn.css"
fi
put vazirmatn/OFL.txt vazirmatn/OFL.txt
# TrueType files for PDFs (quotes): fpdf2 embeds TTF, not WOFF2.
put vazirmatn/fonts/ttf/Vazirmatn-Regular.ttf vazirmatn/ttf/Vazirmatn-Regular.ttf
put vazirmatn/fonts/ttf/Vazirmatn-Bold.ttf vazirmatn/ttf/Vazirmatn-Bold.ttf

# Strip source-map comments from every copied JS/CSS file.
while IFS= read -r -d '' f; do
    strip_sourcemap "$f"
done < <(find "$STAGE" -type f \( -name '*.js' -o -name '*.css' \) -print0)

# --- 3. VERSIONS.txt -----------------------------------------------------------
{
    echo "# Front-end assets vendored by scripts/vendor_assets.sh from the npm registry."
    echo "# Versions are pinned in package.json / package-lock.json. Do not edit by hand."
    echo "#"
    echo "# directory        npm package        version    licence      licence file(s)"
    row() {  # dir pkg licence-files...
        local dir="$1" pkg="$2"; shift 2
        printf '%-18s %-18s %-10s %-12s %s\n' \
            "${dir}/" "$pkg" "$(pkg_version "$pkg")" "$(pkg_license "$pkg")" "$*"
    }
    row bootstrap       bootstrap       bootstrap/LICENSE
    row bootstrap-icons bootstrap-icons bootstrap-icons/LICENSE
    row htmx            htmx.org        htmx/LICENSE
    row alpinejs        alpinejs        "(none shipped in the npm package; MIT per its package.json)"
    row sortablejs      sortablejs      sortablejs/LICENSE
    row echarts         echarts         echarts/LICENSE echarts/NOTICE
    row vazirmatn       vazirmatn       vazirmatn/OFL.txt
} > "${STAGE}/VERSIONS.txt"

# --- 4. Replace the vendor directory. --------------------------------------------
rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
cp -R "$STAGE" "$DEST"

echo "Vendored assets written to ${DEST#"${REPO_ROOT}"/}:"
(cd "$DEST" && find . -type f | sed 's#^\./##' | LC_ALL=C sort)
du -sh "$DEST"
