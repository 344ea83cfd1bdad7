#!/usr/bin/env bash
# Fetch the front-end packages from npm at pinned versions and copy their built files into
# static/vendor/ (committed, so `make demo` needs no Node.js and no page loads from a CDN).
set -euo pipefail
NHSUK=10.6.1; HTMX=2.0.11; CHARTJS=4.5.1; AXE=4.11.4
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "nhsuk-frontend@$NHSUK" "htmx.org@$HTMX" "chart.js@$CHARTJS" "axe-core@$AXE" >/dev/null
for f in *.tgz; do mkdir "${f%.tgz}"; tar xzf "$f" -C "${f%.tgz}"; done
out="$top/static/vendor"
rm -rf "$out"; mkdir -p "$out"/nhsuk-frontend "$out"/htmx "$out"/chartjs "$out"/axe-core
src="nhsuk-frontend-$NHSUK/package"
cp "$src/dist/nhsuk/nhsuk-frontend.min.css" "$src/dist/nhsuk/nhsuk-frontend.min.js" "$out/nhsuk-frontend/"
cp -r "$src/dist/nhsuk/assets" "$out/nhsuk-frontend/"
# Point image URLs at the copied assets, and drop the web-font faces served from a CDN (closed NHS
# networks cannot reach it; the stylesheet falls back to Arial as NHS.UK's own does).
python3 - "$out/nhsuk-frontend/nhsuk-frontend.min.css" <<'PY'
import re, sys
path = sys.argv[1]
css = open(path, encoding="utf-8").read()
css = css.replace("url(/assets/images/", "url(assets/images/")
css = re.sub(r"@font-face\{[^}]*assets\.nhs\.uk[^}]*\}", "", css)
open(path, "w", encoding="utf-8").write(css)
PY
cp "htmx.org-$HTMX/package/dist/htmx.min.js" "$out/htmx/"
cp "chart.js-$CHARTJS/package/dist/chart.umd.min.js" "$out/chartjs/"
cp "axe-core-$AXE/package/axe.min.js" "$out/axe-core/"
# The packages name source maps that are not vendored: drop those comments, or a production
# collectstatic (ManifestStaticFilesStorage follows every sourceMappingURL) fails.
python3 - "$out"/nhsuk-frontend/*.min.* "$out"/chartjs/*.js "$out"/htmx/*.js <<'PY'
import re, sys
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"(//# sourceMappingURL=\S+|/\*# sourceMappingURL=\S+ \*/)\s*$", "", text)
    open(path, "w", encoding="utf-8").write(text.rstrip("\n") + "\n")
PY
for p in "nhsuk-frontend-$NHSUK:nhsuk-frontend" "htmx.org-$HTMX:htmx" "chart.js-$CHARTJS:chartjs" "axe-core-$AXE:axe-core"; do
  dir=${p%%:*}; dest=${p##*:}
  cp "$dir"/package/LICEN[CS]E* "$out/$dest/" 2>/dev/null || true
done
cat > "$out/VERSIONS.md" <<TXT
# Vendored front-end packages (from the npm registry; rebuilt by \`make vendor\`)
| package | version | licence |
|---|---|---|
| nhsuk-frontend | $NHSUK | MIT |
| htmx.org | $HTMX | 0BSD |
| chart.js | $CHARTJS | MIT |
| axe-core (tests only) | $AXE | MPL-2.0 |
TXT
echo "vendored into $out"
