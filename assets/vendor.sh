#!/usr/bin/env bash
# Vendors third-party front-end assets into assets/static/vendor so the
# appliance works offline (no CDN at runtime). Re-run after bumping a version.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

HTMX_VERSION=2.0.11

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
