#!/usr/bin/env bash
# CTest fixture for the seccomp runs (issue 9): read each daemon's systemd
# unit (deploy/systemd/cogov-<d>.service.in), expand its SystemCallFilter=
# groups with `systemd-analyze syscall-filter` into plain system call names,
# and write OUT/cogov-<d>: a wrapper that runs the real daemon under
# cogov-seccomp-run with that list, the unit's RestrictAddressFamilies= and
# MemoryDenyWriteExecute=. The integration tests then run with COGOV_<D>
# pointing at the wrappers. Before that it checks the runner really filters:
# a program inside reports Seccomp: 2, and a call outside the list (unshare)
# is refused while the same program runs without the filter.
#   setup.sh SRCDIR OUTDIR RUNNER
set -euo pipefail
SRC=$1 OUT=$2 RUN=$3
command -v systemd-analyze >/dev/null || { echo "FAIL: systemd-analyze missing (package systemd)"; exit 1; }
rm -rf "$OUT"; mkdir -p "$OUT"

expand() { # GROUP-OR-NAME: print syscall names, recursively
  case $1 in
    @*) systemd-analyze syscall-filter "$1" | tail -n +2 | sed 's/^ *//' |
          grep -v '^#' | grep -v '^$' | while read -r e; do expand "$e"; done ;;
    *) echo "$1" ;;
  esac
}

for d in coordination secretariat incentives supervision; do
  unit=$SRC/deploy/systemd/cogov-$d.service.in
  allow=() deny=()
  while IFS= read -r v; do
    case $v in
      "~"*) for g in ${v#\~}; do deny+=("$g"); done ;;
      *) for g in $v; do allow+=("$g"); done ;;
    esac
  done < <(sed -n 's/^SystemCallFilter=//p' "$unit")
  [ ${#allow[@]} -gt 0 ] || { echo "FAIL: $unit has no SystemCallFilter allow-list"; exit 1; }
  for g in "${allow[@]}"; do expand "$g"; done | sort -u > "$OUT/$d.allow"
  : > "$OUT/$d.deny"
  for g in "${deny[@]+"${deny[@]}"}"; do expand "$g"; done | sort -u > "$OUT/$d.deny"
  comm -23 "$OUT/$d.allow" "$OUT/$d.deny" > "$OUT/$d.syscalls"
  fam=$(sed -n 's/^RestrictAddressFamilies=//p' "$unit" | tr ' ' ',')
  mdwe=$(grep -q '^MemoryDenyWriteExecute=yes' "$unit" && echo --mdwe || true)
  var=COGOV_$(echo "$d" | tr a-z A-Z)
  real=${!var}
  [ -x "$real" ] || { echo "FAIL: $var not set"; exit 1; }
  cat > "$OUT/cogov-$d" <<W
#!/bin/sh
exec "$RUN" --syscalls "$OUT/$d.syscalls" ${fam:+--families $fam} $mdwe -- "$real" "\$@"
W
  chmod +x "$OUT/cogov-$d"
  echo "# cogov-$d: $(wc -l < "$OUT/$d.syscalls") system calls from $(printf '%s ' "${allow[@]}")${fam:+, families $fam}${mdwe:+, $mdwe}"
done

# The runner filters: inside, /proc says so, and chroot(2) (not in
# @system-service) is refused while it works outside.
s=$("$RUN" --syscalls "$OUT/coordination.syscalls" -- grep '^Seccomp:' /proc/self/status | tr -d '\t ')
[ "$s" = "Seccomp:2" ] || { echo "FAIL: no filter in effect ($s)"; exit 1; }
grep -qx chroot "$OUT/coordination.syscalls" && { echo "FAIL: chroot is in the list; pick another probe"; exit 1; }
if chroot / true 2>/dev/null; then
  if "$RUN" --syscalls "$OUT/coordination.syscalls" -- chroot / true 2>/dev/null; then
    echo "FAIL: chroot(2) passed the filter"; exit 1
  fi
  echo "# filter in effect: Seccomp 2, chroot(2) refused inside and allowed outside"
else
  echo "# filter in effect: Seccomp 2 (chroot not usable here even without it)"
fi
