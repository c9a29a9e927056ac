#!/usr/bin/env bash
# Installs this build into a clean prefix and builds programs against it as a new
# user would: with CMake's find_package (static core and libsynack.so) and with
# pkg-config. Each program runs a TCP echo between two stacks and must print it.
# usage: check.sh BUILD_DIR CXX [EXAMPLES_DIR]
set -euo pipefail
build=$1 cxx=$2 examples=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/synack-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" > "$tmp/install.log"
for f in include/synack/version.hpp include/synack/api/socket.hpp lib/libsynack.so \
         lib/pkgconfig/synack.pc lib/cmake/synack/synackConfig.cmake; do
  [ -e "$prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
# The shared library is versioned and carries its SONAME.
soname=$(objdump -p "$prefix/lib/libsynack.so" | awk '/SONAME/ {print $2}')
real=$(readlink -f "$prefix/lib/libsynack.so")
echo "libsynack.so -> $(basename "$real"), SONAME $soname"
[[ $soname =~ ^libsynack\.so\.[0-9]+\.[0-9]+$ ]] || { echo "FAIL: SONAME '$soname'"; exit 1; }
[ -e "$prefix/lib/$soname" ] || { echo "FAIL: no $soname link"; exit 1; }

# 1. find_package, out of tree, nothing from the source tree on the include path.
cmake -S "$here/consumer" -B "$tmp/cm" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_PREFIX_PATH="$prefix" > "$tmp/cm.log" || { cat "$tmp/cm.log"; exit 1; }
cmake --build "$tmp/cm" > "$tmp/cm-build.log" || { cat "$tmp/cm-build.log"; exit 1; }
if grep -q -- "-I$(cd "$here/../.." && pwd)/include" "$tmp/cm/build.ninja"; then
  echo "FAIL: the consumer compiled against the source tree"; exit 1
fi
"$tmp/cm/echo_static" | tee "$tmp/out1"
LD_LIBRARY_PATH="$prefix/lib" "$tmp/cm/echo_shared" | tee "$tmp/out2"
# The shared build really loads libsynack.so from the prefix. (ldd's output is taken
# whole first: `ldd | grep -q` under pipefail fails whenever grep quits before ldd has
# written its last line and ldd dies of SIGPIPE, as it did once in CI.)
libs=$(LD_LIBRARY_PATH="$prefix/lib" ldd "$tmp/cm/echo_shared")
grep -q "$prefix/lib/$soname" <<<"$libs" ||
  { echo "FAIL: echo_shared does not load $soname from the prefix:"; echo "$libs"; exit 1; }

# 2. pkg-config, a plain compiler command line.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046
"$cxx" -std=c++20 "$here/consumer/main.cpp" -o "$tmp/pc_echo" $(pkg-config --cflags --libs synack)
LD_LIBRARY_PATH="$prefix/lib" "$tmp/pc_echo" | tee "$tmp/out3"
for o in out1 out2 out3; do
  grep -q "echoed 30 bytes: hello from an installed synack" "$tmp/$o" ||
    { echo "FAIL: $o"; exit 1; }
done

# 3. The examples, built out of tree against the same prefix.
if [ -n "$examples" ]; then
  cmake -S "$examples" -B "$tmp/ex" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
        -DCMAKE_PREFIX_PATH="$prefix" > "$tmp/ex.log" || { cat "$tmp/ex.log"; exit 1; }
  cmake --build "$tmp/ex" > "$tmp/ex-build.log" || { cat "$tmp/ex-build.log"; exit 1; }
  echo "examples built out of tree: $(cd "$tmp/ex" && find . -maxdepth 1 -type f -executable | sort | tr '\n' ' ')"
  # With pkg-config, every example that needs only the core and the links (what
  # libsynack.so holds; http_get also needs the services' static library).
  for ex in two_stacks coro_echo epoll_embed tap_echo; do
    # shellcheck disable=SC2046
    "$cxx" -std=c++20 "$examples/$ex.cpp" -o "$tmp/pc_$ex" $(pkg-config --cflags --libs synack)
  done
  for ex in two_stacks coro_echo epoll_embed; do
    for bin in "$tmp/ex/$ex" "$tmp/pc_$ex"; do
      LD_LIBRARY_PATH="$prefix/lib" "$bin" > "$tmp/run.out"
      cmp -s "$tmp/run.out" "$examples/expected/$ex.txt" ||
        { echo "FAIL: $bin printed:"; cat "$tmp/run.out"; exit 1; }
    done
  done
  echo "examples run (find_package and pkg-config builds): two_stacks coro_echo epoll_embed"
fi
echo "ok install: find_package (static, shared) and pkg-config consumers ran"
