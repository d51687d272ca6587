#!/usr/bin/env bash
# Builds the npm packages of this machine's platform into npm/dist/: the `miniperm` binary by
# cargo (debug by default, MINIPERM_PROFILE=release for a release build), copied into the
# platform package (npm/linux-x64), then `npm pack` of the platform package and of `miniperm`.
# MINIPERM_PACK_BINARY=PATH packs that binary instead of building one (CI packs the one its
# `cargo test --workspace` built: a `cargo build -p miniperm-cli` resolves features without the
# dev-dependencies and would compile much of the workspace again).
# Prints the two tarballs' paths, platform package first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
profile=${MINIPERM_PROFILE:-debug}

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) platform=linux-x64 ;;
  *)
    echo "npm/build.sh: no platform package for $(uname -s)-$(uname -m) yet (see npm/README.md)" >&2
    exit 1
    ;;
esac

# One version everywhere: the workspace's, in both package.json files and the optional dependency.
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' "$root/Cargo.toml")
for want in \
  "$(node -p "require('$here/miniperm/package.json').version")" \
  "$(node -p "require('$here/miniperm/package.json').optionalDependencies['@miniperm/$platform']")" \
  "$(node -p "require('$here/$platform/package.json').version")"; do
  if [[ "$want" != "$version" ]]; then
    echo "npm/build.sh: a package.json says version \`$want\`, the workspace \`$version\`" >&2
    exit 1
  fi
done

binary=${MINIPERM_PACK_BINARY:-}
if [[ -z "$binary" ]]; then
  flags=(-p miniperm-cli --bin miniperm --locked)
  [[ "$profile" == release ]] && flags+=(--release)
  (cd "$root" && cargo build "${flags[@]}" >&2)
  target=$(cd "$root" && cargo metadata --format-version 1 --no-deps | node -e \
    'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
  binary="$target/$profile/miniperm"
fi
if ! "$binary" --version >/dev/null; then
  echo "npm/build.sh: \`$binary\` does not run" >&2
  exit 1
fi

mkdir -p "$here/$platform/bin"
install -m 0755 "$binary" "$here/$platform/bin/miniperm"

rm -rf "$here/dist"
mkdir -p "$here/dist"
(cd "$here/$platform" && npm pack --silent --pack-destination "$here/dist" >/dev/null)
(cd "$here/miniperm" && npm pack --silent --pack-destination "$here/dist" >/dev/null)
echo "$here/dist/miniperm-$platform-$version.tgz"
echo "$here/dist/miniperm-$version.tgz"
