#!/usr/bin/env bash
# Install vostui into a private virtual environment and link it into /usr/local/bin.
#
#   ./install.sh [--prefix DIR] [--dev] [--no-link] [--python PATH]
#
# --dev adds what the tests need: the Python test tools in the environment, the C
# compiler and Python headers for the compiled path, and the system tools the tests
# drive for real (tcpdump, tshark, sipp, iptables, nft, conntrack, tmux, sngrep, logrotate),
# installed with apt-get or dnf.
#
# The compiled path (vostui._speedups) is built where gcc and the Python headers
# exist; without them vostui installs in pure Python and says so in one line.
#
# Works on CentOS 7, Rocky/Alma 8 and 9, Debian and Ubuntu. Needs Python 3.10 or
# later; where the system has none, it provisions one with uv (a managed CPython
# build that runs on glibc 2.17) and says so. Run it again to upgrade: it is
# idempotent. On failure a fresh install is removed: nothing is left half-installed.
set -euo pipefail

prefix=/opt/vostui
dev=0
link=1
python=""
here="$(cd "$(dirname "$0")" && pwd)"

die() { echo "install.sh: $*" >&2; exit 2; }
say() { echo "install.sh: $*"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix="$2"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        --dev) dev=1; shift ;;
        --no-link) link=0; shift ;;
        --python) [ $# -ge 2 ] || die "--python needs a path"; python="$2"; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done

[ -f "$here/pyproject.toml" ] || die "run me from a vostui checkout (no pyproject.toml beside me)"

ok_python() {  # a python at 3.10 or later with venv and ensurepip
    "$1" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
        >/dev/null 2>&1
}

find_python() {
    if [ -n "$python" ]; then
        ok_python "$python" || die "$python is not Python 3.10+ with venv and ensurepip"
        echo "$python"; return
    fi
    for candidate in python3.13 python3.12 python3.11 python3.10 python3; do
        if command -v "$candidate" >/dev/null && ok_python "$(command -v "$candidate")"; then
            command -v "$candidate"; return
        fi
    done
    echo ""
}

provision_python() {  # uv's managed CPython, for hosts such as CentOS 7 (Python 3.6)
    local uv
    uv="$(command -v uv || true)"
    if [ -z "$uv" ]; then
        say "no Python 3.10+ on this host: fetching uv to provision one" >&2
        if command -v curl >/dev/null; then
            curl -LsSf https://astral.sh/uv/install.sh | env UV_UNMANAGED_INSTALL="$prefix/.uv" sh >&2 \
                || die "could not fetch uv; install Python 3.10+ (e.g. 'dnf install python3.11') and retry"
        else
            die "no Python 3.10+ and no curl to fetch uv; install Python 3.11 and retry"
        fi
        uv="$prefix/.uv/uv"
    fi
    UV_PYTHON_INSTALL_DIR="$prefix/.python" "$uv" python install 3.11 >&2 \
        || die "uv could not install Python 3.11"
    UV_PYTHON_INSTALL_DIR="$prefix/.python" "$uv" python find 3.11
}

system_test_tools() {
    if command -v apt-get >/dev/null; then
        say "installing the system tools the tests use (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq || die "apt-get update failed"
        apt-get install -y -qq --no-install-recommends \
            tcpdump tshark sip-tester iptables conntrack tmux sngrep iproute2 \
            logrotate procps kmod librsvg2-bin nftables gcc libc6-dev python3-dev >/dev/null \
            || die "apt-get could not install the test tools"
    elif command -v dnf >/dev/null || command -v yum >/dev/null; then
        command -v dnf >/dev/null || dnf() { yum "$@"; }  # CentOS 7
        say "installing the system tools the tests use (dnf; sipp and sngrep come from EPEL)"
        dnf install -y -q epel-release >/dev/null 2>&1 || true
        dnf install -y -q tcpdump wireshark-cli iptables conntrack-tools tmux iproute \
            logrotate procps-ng kmod nftables gcc python3-devel >/dev/null \
            || die "dnf could not install the test tools"
        dnf install -y -q sipp sngrep >/dev/null 2>&1 \
            || say "sipp/sngrep not available: the tests that drive them will skip, saying so"
    else
        say "no apt-get or dnf: install tcpdump, tshark, sipp, iptables, conntrack, tmux by hand"
    fi
}

if [ $dev -eq 1 ]; then system_test_tools; fi

fresh=0
if [ ! -x "$prefix/bin/python" ]; then
    fresh=1
fi
cleanup() {
    status=$?
    if [ $status -ne 0 ] && [ $fresh -eq 1 ] && [ -e "$prefix" ]; then
        rm -rf "$prefix"
        echo "install.sh: failed; removed the partial install in $prefix" >&2
    fi
}
trap cleanup EXIT

if [ $fresh -eq 1 ]; then
    py="$(find_python)"
    if [ -z "$py" ]; then
        mkdir -p "$prefix"
        py="$(provision_python)"
        say "using a provisioned Python: $py"
    fi
    say "creating the environment in $prefix with $py ($("$py" -V 2>&1))"
    "$py" -m venv "$prefix"
else
    say "upgrading the environment in $prefix ($("$prefix/bin/python" -V 2>&1))"
fi

pip=("$prefix/bin/python" -m pip --disable-pip-version-check -q)
"${pip[@]}" install --upgrade pip >/dev/null 2>&1 || true
if [ $dev -eq 1 ]; then
    "${pip[@]}" install -e "$here[dev]"
else
    "${pip[@]}" install "$here"
fi
# An install made before the move to setuptools (hatchling) can leave an empty vostui/
# in site-packages; Python then imports it as a namespace package instead of vostui.
"$prefix/bin/python" - <<'PY'
import os, shutil, sysconfig
leftover = os.path.join(sysconfig.get_paths()["purelib"], "vostui")
if os.path.isdir(leftover) and not any(files for _, _, files in os.walk(leftover)):
    shutil.rmtree(leftover)
PY
"$prefix/bin/vostui" --version >/dev/null || die "vostui does not start from $prefix"

if [ $link -eq 1 ]; then
    ln -sfn "$prefix/bin/vostui" /usr/local/bin/vostui
    say "linked /usr/local/bin/vostui"
fi
missing=""
for tool in tcpdump tshark; do command -v "$tool" >/dev/null || missing="$missing $tool"; done
if [ -n "$missing" ]; then
    say "optional tools missing:$missing (live capture needs tcpdump: 'dnf install tcpdump' or 'apt install tcpdump')"
fi
version="$(VOSTUI_PURE_PYTHON= "$prefix/bin/vostui" --version)"
case "$version" in
    *"pure Python"*)
        if command -v yum >/dev/null && ! command -v apt-get >/dev/null; then fix="yum install gcc"
        else fix="apt install gcc"; fi
        say "the compiled path was not built (no C compiler or Python headers): vostui runs in pure Python, slower; for the fast path: $fix, then run install.sh again" ;;
esac
say "done: $version"
