#!/usr/bin/env bash
# Proves the npm tarball works where users install it: no compiler, no libseccomp headers.
# `npm install` of the packed tarball runs inside a bwrap view of this machine where cc, gcc,
# g++, make and /usr/include are hidden; node-gyp-build must then load the shipped prebuild.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
tar -tzf "$work/$tarball" > "$work/contents"
grep -q "package/prebuilds/linux-x64/.*\.node$" "$work/contents" || { echo "tarball lacks prebuilds/linux-x64" >&2; exit 1; }
grep -q "package/prebuilds/linux-x64/cordon-proxy-door$" "$work/contents" || { echo "tarball lacks prebuilds/linux-x64/cordon-proxy-door" >&2; exit 1; }
grep -q "package/preload/node-fetch-proxy.cjs$" "$work/contents" || { echo "tarball lacks preload/node-fetch-proxy.cjs" >&2; exit 1; }
mkdir -p "$work/consumer"
echo '{"name":"consumer","version":"1.0.0","type":"module","private":true}' > "$work/consumer/package.json"

hide=()
for tool in cc gcc g++ c++ make cpp; do
  for dir in /usr/bin /usr/local/bin; do
    # Most are symlink chains (cc -> /etc/alternatives/cc -> gcc-12): hide the real file.
    [ -e "$dir/$tool" ] && hide+=(--ro-bind /dev/null "$(readlink -f "$dir/$tool")")
  done
done
ldd "$(ls prebuilds/linux-x64/*.node | head -n 1)" | grep -q libseccomp && { echo "prebuild links libseccomp dynamically" >&2; exit 1; }

bwrap --dev-bind / / --tmpfs /usr/include "${hide[@]}" --chdir "$work/consumer" -- \
  sh -c 'command -v cc >/dev/null && cc --version >/dev/null 2>&1 && { echo "compiler still visible" >&2; exit 1; }
         test ! -e /usr/include/seccomp.h || { echo "headers still visible" >&2; exit 1; }
         npm install --prefer-offline --no-audit --no-fund --loglevel=error "'"$work/$tarball"'" &&
         test ! -d node_modules/cordon/build || { echo "addon was compiled instead of using the prebuild" >&2; exit 1; }
         node --input-type=module -e "
           const m = await import(\"cordon\");
           if (typeof m.sandboxedSpawn !== \"function\") throw new Error(\"no sandboxedSpawn export\");
           const host = m.createRuntime().backend.probe(process.env, []);
           if (!(host.seccompFilter.length > 0 && host.seccompFilter.length % 8 === 0)) throw new Error(\"bad filter\");
           console.log(\"prebuild loaded; filter\", host.seccompFilter.length / 8, \"BPF instructions\");
         " &&
         mkdir ws && cd ws && ../node_modules/.bin/cordon run -- sh -c "echo bin-ok > out.txt" && grep -q bin-ok out.txt &&
         echo "installed cordon bin ran a sandboxed command" &&
         ../node_modules/.bin/cordon run --allow-domain 127.0.0.1:9 -- sh -c "test \"\$http_proxy\" = http://127.0.0.1:3128" &&
         echo "installed cordon ran a command through the shipped proxy door"'
