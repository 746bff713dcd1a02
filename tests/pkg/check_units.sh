#!/bin/sh
# check_units: install into a temporary root and run systemd-analyze verify
# on every cogov unit there (ExecStart binaries must exist at their paths).
# Exit 77 (skipped, loudly) only when systemd-analyze is missing.
set -eu
build=$1
if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "SKIPPED: systemd-analyze not installed (scripts/deps.sh installs systemd)" >&2
    exit 77
fi
root=$(mktemp -d /tmp/cogov-units-XXXXXX)
trap 'rm -rf "$root"' EXIT
DESTDIR=$root cmake --install "$build" >/dev/null
units=$(find "$root" -path '*/systemd/system/cogov*' -type f | sort)
n=$(echo "$units" | grep -c . || true)
if [ "$n" -ne 5 ]; then
    echo "FAIL: expected 5 units installed, found $n:" >&2
    echo "$units" >&2
    exit 1
fi
for u in $units; do
    grep -q '^Type=notify$' "$u" || case $u in *.target) ;; *)
        echo "FAIL: $u is not Type=notify" >&2; exit 1 ;; esac
done
# Each daemon's secret key comes through LoadCredential, and nothing makes
# the keys directory writable again.
for u in $units; do
    case $u in *.target) continue ;; esac
    d=$(basename "$u" .service); d=${d#cogov-}
    grep -qx "LoadCredential=$d.key:/etc/cogov/keys/$d.key" "$u" ||
        { echo "FAIL: $u has no LoadCredential=$d.key:..." >&2; exit 1; }
    if grep -q '^ReadWritePaths=.*/etc/cogov' "$u"; then
        echo "FAIL: $u makes /etc/cogov writable" >&2; exit 1
    fi
done
# The root needs what the units refer to beyond cogov: the host's standard
# units (sysinit.target...) and the commands of ExecReload.
mkdir -p "$root/etc/systemd/system" "$root/bin"
cp -a /lib/systemd/system/. "$root/etc/systemd/system/"
cp /bin/kill "$root/bin/kill"
out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --root="$root" $units 2>&1) || {
    echo "$out" >&2
    echo "FAIL: systemd-analyze verify" >&2
    exit 1
}
if [ -n "$out" ]; then
    echo "$out" >&2
    echo "FAIL: systemd-analyze verify printed warnings" >&2
    exit 1
fi
echo "ok: $n units verify"
