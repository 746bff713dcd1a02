#!/bin/sh
# check_deb: build the .deb with CPack and inspect it: binaries, units,
# sample configs (each loads with its daemon's --check-config), protos,
# maintainer scripts present and `sh -n` clean, conffiles listed.
# Exit 77 (skipped, loudly) only when cpack or dpkg-deb is missing.
set -eu
build=$1
for t in cpack dpkg-deb; do
    if ! command -v $t >/dev/null 2>&1; then
        echo "SKIPPED: $t not installed (scripts/deps.sh installs it)" >&2
        exit 77
    fi
done
work=$(mktemp -d /tmp/cogov-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$build" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) || {
    cat "$work/cpack.log" >&2
    echo "FAIL: cpack" >&2
    exit 1
}
deb=$(ls "$work"/*.deb)
fail() { echo "FAIL: $*" >&2; exit 1; }
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's#^\./#/#' >"$work/files"
for f in /usr/sbin/cogov-coordination /usr/sbin/cogov-secretariat \
         /usr/sbin/cogov-incentives /usr/sbin/cogov-supervision \
         /usr/bin/cogovctl /usr/lib/systemd/system/cogov.target \
         /etc/cogov/coordination.conf /etc/cogov/secretariat.conf \
         /etc/cogov/incentives.conf /etc/cogov/supervision.conf \
         /usr/share/cogov/proto/cogov/v1/envelope.proto \
         /usr/share/cogov/proto/cogov/v1/types.proto; do
    grep -qx "$f" "$work/files" || fail "$f not in the package"
done
for d in coordination secretariat incentives supervision; do
    grep -qx "/usr/lib/systemd/system/cogov-$d.service" "$work/files" ||
        fail "cogov-$d.service not in the package"
done
dpkg-deb -I "$deb" >"$work/info"
for k in Package: Version: Architecture: Depends: Maintainer:; do
    grep -q "^ $k" "$work/info" || fail "control has no $k"
done
mkdir "$work/control" "$work/root"
dpkg-deb -e "$deb" "$work/control"
for s in postinst prerm postrm; do
    [ -x "$work/control/$s" ] || fail "maintainer script $s missing or not executable"
    sh -n "$work/control/$s" || fail "$s: sh -n"
done
grep -q 'useradd --system' "$work/control/postinst" || fail "postinst creates no user"
grep -q 'cogovctl keys init' "$work/control/postinst" || fail "postinst makes no keys"
grep -q 'chown -R root:root /etc/cogov/keys' "$work/control/postinst" ||
    fail "postinst leaves the secret keys to the daemons' user (LoadCredential)"
grep -qx /etc/cogov/coordination.conf "$work/control/conffiles" || fail "conffiles"
# the sample configs document every key and load as they are
dpkg-deb -x "$deb" "$work/root"
for d in coordination secretariat incentives supervision; do
    conf=$work/root/etc/cogov/$d.conf
    for key in state_dir keys_dir allow_list metrics_file stats_interval_s; do
        grep -q "^$key = " "$conf" || fail "$d.conf has no $key"
    done
    helps=$(grep -c '^# ' "$conf"); keys=$(grep -c '^[a-z_]* = ' "$conf")
    [ "$helps" -ge "$keys" ] || fail "$d.conf: $keys keys but $helps help lines"
    "$work/root/usr/sbin/cogov-$d" -c "$conf" --check-config >/dev/null ||
        fail "$d.conf does not load"
done
echo "ok: $(basename "$deb"), $(wc -l <"$work/files") entries"
