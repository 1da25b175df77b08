#!/usr/bin/env bash
# Quick start, step 1: set up a fresh Debian/Ubuntu machine and show cordon at work on the
# default policy: a write inside the workspace lands, a write outside is refused.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else echo "need root for: $*" >&2; exit 1; fi; }

if ! command -v bwrap >/dev/null; then
  echo "== installing bubblewrap"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null
fi
echo "== installing dependencies and building"
npm ci --no-audit --no-fund --loglevel=error
npm run -s build

demo=$(mktemp -d "${HOME}/.cordon-demo-XXXXXX")
trap 'rm -rf "$demo"' EXIT
mkdir -p "$demo/workspace" "$demo/home/.ssh"
echo "the host's own file" > "$demo/outside.txt"
echo "SECRET=do-not-leak" > "$demo/workspace/.env"
echo "PRIVATE KEY" > "$demo/home/.ssh/id_rsa"

echo
echo "== cordon run (default policy) in $demo/workspace"
set +e
# A demo home with a fake key stands in for yours, so "unreadable" is shown, not assumed.
(cd "$demo/workspace" && HOME="$demo/home" node "$OLDPWD/dist/cli.mjs" run -- sh -c '
  echo "inside"  > inside.txt && echo "write inside the workspace:   allowed"
  { echo "outside" > ../outside.txt; } 2>/dev/null && echo "write outside: ALLOWED (bad)" || echo "write outside the workspace:  denied"
  [ -s .env ] && echo ".env readable: YES (bad)" || echo ".env in the workspace:        unreadable"
  grep -q KEY ~/.ssh/id_rsa 2>/dev/null && echo "~/.ssh/id_rsa readable: YES (bad)" || echo "~/.ssh/id_rsa (exists):       unreadable"
  exit 0')
status=$?
set -e
echo
echo "== on the host afterwards"
echo "workspace/inside.txt: $(cat "$demo/workspace/inside.txt" 2>/dev/null || echo missing)"
echo "outside.txt:          $(cat "$demo/outside.txt")"
[ "$status" -eq 0 ] && [ "$(cat "$demo/outside.txt")" = "the host's own file" ] && [ -f "$demo/workspace/inside.txt" ]
echo
echo "cordon works here. Next: npm test"
