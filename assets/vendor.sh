#!/usr/bin/env bash
# Vendors third-party front-end assets into assets/static/vendor so the
# appliance works offline (no CDN at runtime). Re-run after bumping a version.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

HTMX_VERSION=2.0.11
# axe-core is used only by the accessibility tests; it is not embedded.
AXE_VERSION=4.14.1

dest=static/vendor/htmx
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "vendoring htmx.org@${HTMX_VERSION}"
tarball=$(cd "$tmp" && npm pack --silent "htmx.org@${HTMX_VERSION}" | tail -n 1)
tar -xzf "$tmp/$tarball" -C "$tmp"

mkdir -p "$dest"
cp "$tmp/package/dist/htmx.min.js" "$dest/htmx.min.js"
cp "$tmp/package/LICENSE" "$dest/LICENSE"
printf '%s\n' "$HTMX_VERSION" > "$dest/VERSION"

echo "wrote $dest/{htmx.min.js,LICENSE,VERSION}"

echo "vendoring axe-core@${AXE_VERSION} (tests only)"
tarball=$(cd "$tmp" && npm pack --silent "axe-core@${AXE_VERSION}" | tail -n 1)
rm -rf "$tmp/package" && tar -xzf "$tmp/$tarball" -C "$tmp"
dest=testdata/axe
mkdir -p "$dest"
cp "$tmp/package/axe.min.js" "$dest/axe.min.js"
cp "$tmp/package/LICENSE" "$dest/LICENSE"
printf '%s\n' "$AXE_VERSION" > "$dest/VERSION"
echo "wrote $dest/{axe.min.js,LICENSE,VERSION}"
