{
  # One tiny addon, and the one program that runs before a command with a network allowlist.
  #
  # cordon_seccomp: turn a seccomp spec (data from src/backends/linux/seccomp-rules.ts) into
  # classic-BPF bytes for `bwrap --seccomp FD`. libseccomp is linked STATICALLY and its
  # symbols hidden (--exclude-libs), so the shipped prebuild needs no libseccomp at runtime.
  # Only Linux has seccomp: elsewhere the target builds nothing (so a source build on macOS
  # cannot fail here), and src/native/seccomp.ts reports the addon as unavailable.
  "targets": [
    {
      "target_name": "cordon_seccomp",
      "conditions": [
        ["OS=='linux'", {
          "sources": ["native/seccomp_filter.cc", "native/descriptor_passing.cc"],
          "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
          "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS"],
          "cflags": ["-O2", "-fvisibility=hidden", "-Wall", "-Wextra"],
          "cflags_cc": ["-std=c++17", "-fexceptions"],
          "cflags!": ["-fno-exceptions"],
          "cflags_cc!": ["-fno-exceptions"],
          "ldflags": ["-Wl,--exclude-libs,ALL", "-Wl,--as-needed"],
          "libraries": ["-l:libseccomp.a"]
        }, {
          "type": "none"
        }]
      ]
    },
    {
      # cordon-proxy-door (native/proxy_door.c): opens the proxy's listener on the sandbox's own
      # loopback and hands it to the host before exec'ing the command. Linked statically: it
      # runs inside the sandbox on whatever libc the host has, and needs nothing from it.
      "target_name": "cordon-proxy-door",
      "conditions": [
        ["OS=='linux'", {
          "type": "executable",
          "sources": ["native/proxy_door.c"],
          "cflags": ["-O2", "-Wall", "-Wextra"],
          "ldflags": ["-static", "-s"]
        }, {
          "type": "none"
        }]
      ]
    }
  ]
}
