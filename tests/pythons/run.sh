#!/usr/bin/env bash
# Builds rffi for CPython 3.13 and 3.14 and runs the Python suite and the examples on each
# (issue 13). These machines come with 3.11 only; Debian's unstable distribution has 3.13 and
# 3.14, so a minimal sid tree is made once (debootstrap, ~3 minutes, ~700 MB) in a cache
# directory and the build and the tests run chrooted in it, with the host's Rust toolchain and
# this checkout bind-mounted at their own paths. Needs root (debootstrap, mount, chroot).
#
#   tests/pythons/run.sh [--quick] [VERSION...]      (default versions: 3.13 3.14)
#
# --quick runs a fixed part of the suite (QUICK_TESTS below) once per invoker instead of the
# whole suite three times; CI runs it so (see README). Environment:
#   RFFI_PYTHONS_DIR   where the sid tree is kept (default ~/.cache/rffi/sid)
# The C libraries under build/ are the host's (make clibs): sid's glibc is newer, so they load.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
SID=${RFFI_PYTHONS_DIR:-$HOME/.cache/rffi/sid}

# The part of the suite CI runs on the newer interpreters: the files that exercise what
# changed between CPython versions (object layout and slots, reference counts and immortal
# objects, callbacks and their reused arguments, the GIL, lifetimes, the fast paths) plus the
# differential tests against cffi and the examples.
QUICK_TESTS=(
    tests/python/test_fast_paths.py tests/python/test_callbacks.py tests/python/test_gil.py
    tests/python/test_lifetimes.py tests/python/test_gc_cycles.py tests/python/test_reads.py
    tests/python/test_differential.py tests/python/test_examples.py tests/python/test_threads.py
)

quick=0
versions=()
for arg in "$@"; do
    case $arg in
        --quick) quick=1 ;;
        3.*) versions+=("$arg") ;;
        *) echo "usage: $0 [--quick] [3.13] [3.14]" >&2; exit 2 ;;
    esac
done
[ ${#versions[@]} -gt 0 ] || versions=(3.13 3.14)

# The tree always has both versions, whichever this run tests.
packages=gcc,libc6-dev,make,ca-certificates
for v in 3.13 3.14; do packages+=",python$v,python$v-dev,python$v-venv"; done

# A run stopped by force may leave its bind mounts behind, and removing a tree with the
# checkout or the toolchain mounted inside would remove them: refuse instead.
unmounted() { # unmounted DIR: fails if anything is mounted at or under DIR
    ! awk -v d="$1" '$2 == d || index($2, d "/") == 1 { found = 1 } END { exit !found }' /proc/self/mounts
}
for dir in "$SID" "$SID.tmp"; do
    unmounted "$dir" || { echo "$dir has mounts left from a stopped run: umount them first" >&2; exit 1; }
done

if [ ! -x "$SID/usr/bin/python3.14" ] || [ ! -x "$SID/usr/bin/python3.13" ]; then
    command -v debootstrap >/dev/null ||
        { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
    echo "== making the sid tree in $SID (once)"
    rm -rf "$SID.tmp"
    mkdir -p "$(dirname "$SID")"
    debootstrap --variant=minbase --include="$packages" sid "$SID.tmp" >"$SID.log" 2>&1 ||
        { tail -20 "$SID.log"; exit 1; }
    rm -rf "$SID"
    mv "$SID.tmp" "$SID"
fi

# The host's C libraries: built here, outside the chroot.
make --no-print-directory clibs >/dev/null

# Mounts: /proc, the Rust toolchain and this checkout, each at its own path; undone on exit.
RUSTUP=$(rustup show home 2>/dev/null || echo "$HOME/.rustup")
CARGO=${CARGO_HOME:-$HOME/.cargo}
mounted=()
cleanup() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" || true; done
}
trap cleanup EXIT
mount_at() { # mount_at SOURCE TARGET-INSIDE [bind]
    mkdir -p "$SID$2"
    if [ "${3:-}" = proc ]; then mount -t proc proc "$SID$2"; else mount --bind "$1" "$SID$2"; fi
    mounted+=("$SID$2")
}
mount_at proc /proc proc
mount_at "$RUSTUP" "$RUSTUP"
mount_at "$CARGO" "$CARGO"
mount_at "$ROOT" "$ROOT"
# pip inside the tree uses the host's name servers, certificates and configuration.
cp -L --remove-destination /etc/resolv.conf "$SID/etc/resolv.conf"
cp /etc/ssl/certs/ca-certificates.crt "$SID/etc/ssl/certs/ca-certificates.crt"
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$SID/etc/pip.conf"
if [ -d /opt/wheels ]; then mount_at /opt/wheels /opt/wheels; fi

in_sid() {
    chroot "$SID" /usr/bin/env -i HOME="$HOME" PATH="$CARGO/bin:/usr/local/bin:/usr/bin:/bin" \
        RUSTUP_HOME="$RUSTUP" CARGO_HOME="$CARGO" LANG=C.UTF-8 \
        PIP_CERT=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
        PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180 \
        ${PIP_FIND_LINKS:+PIP_FIND_LINKS="$PIP_FIND_LINKS"} \
        ${HTTPS_PROXY:+HTTPS_PROXY="$HTTPS_PROXY"} ${https_proxy:+https_proxy="$https_proxy"} \
        ${HTTP_PROXY:+HTTP_PROXY="$HTTP_PROXY"} ${http_proxy:+http_proxy="$http_proxy"} \
        ${NO_PROXY:+NO_PROXY="$NO_PROXY"} ${no_proxy:+no_proxy="$no_proxy"} \
        ${RUSTUP_TOOLCHAIN:+RUSTUP_TOOLCHAIN="$RUSTUP_TOOLCHAIN"} \
        "$@"
}

status=0
for v in "${versions[@]}"; do
    tag=${v/./}
    venv=/venv-$v
    start=$SECONDS
    echo "== CPython $v: $(in_sid /usr/bin/python$v -VV)"
    if [ ! -f "$SID$venv/.requirements" ] || ! cmp -s requirements-dev.txt "$SID$venv/.requirements"; then
        in_sid /usr/bin/python$v -m venv "$venv"
        in_sid "$venv/bin/python" -m pip install --quiet -r "$ROOT/requirements-dev.txt"
        cp requirements-dev.txt "$SID$venv/.requirements"
    fi
    # The release build `make build` makes, with this interpreter: its own target directory
    # so that switching interpreters does not rebuild the other's.
    in_sid /bin/sh -c "cd '$ROOT' && PYO3_PYTHON=$venv/bin/python PYO3_BUILD_EXTENSION_MODULE=1 \
        CARGO_TARGET_DIR='$ROOT/target/python$v' cargo build --quiet --release -p rffi-python"
    so=python/rffi/_rffi.cpython-$tag-x86_64-linux-gnu.so
    cp "target/python$v/release/lib_rffi.so" "$so.tmp" && mv "$so.tmp" "$so"
    echo "   built in $((SECONDS - start)) s"

    run() { # run ENV... -- ARGS: pytest or a script with this interpreter, in the tree
        in_sid /bin/sh -c "cd '$ROOT' && PYTHONPATH='$ROOT/python' $*"
    }
    if [ $quick = 1 ]; then
        suites=("" "RFFI_FORCE_LIBFFI=1")
        tests="${QUICK_TESTS[*]}"
    else
        suites=("" "RFFI_NO_FAST_PATHS=1" "RFFI_FORCE_LIBFFI=1")
        tests=tests/python
    fi
    for env in "${suites[@]}"; do
        echo "-- $v ${env:-(default)}: pytest $([ $quick = 1 ] && echo "(quick part)" || echo tests/python)"
        run "$env $venv/bin/python -m pytest -q -p no:cacheprovider $tests" || status=1
    done
    for example in docs/examples/*.py; do
        echo "-- $v example $example"
        run "RFFI_EXAMPLES_BACKEND=rffi RFFI_EXAMPLES_LIBDIR='$ROOT/build/examples' $venv/bin/python $example" \
            >/dev/null || { echo "   FAILED: $example"; status=1; }
    done
    echo "== CPython $v done in $((SECONDS - start)) s"
done
exit $status
