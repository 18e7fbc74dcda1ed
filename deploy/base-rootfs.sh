#!/usr/bin/env bash
# A Debian 12 root file system with a Java 17 runtime (Debian's openjdk-17-jre-headless) and curl, as a tarball for
# `docker import`: the base image of deploy/Dockerfile where no image registry is reachable (ComposeIT builds its
# image on it; elsewhere the Dockerfile starts from eclipse-temurin:17-jre). Needs root and debootstrap.
#
#   deploy/base-rootfs.sh OUT.tar
#
# Nothing to do when OUT.tar exists. One build at a time: a second caller waits for the build under way (flock on
# OUT.tar.lock) and then finds the tarball. The packages come from the Debian mirror apt uses here
# (/etc/apt/sources.list*), or DEBIAN_MIRROR. Prints how long each step took.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: deploy/base-rootfs.sh OUT.tar" >&2; exit 2; }
out=$(realpath -m "$1")
mkdir -p "$(dirname "$out")"

mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  # The first Debian archive apt names (deb822 "URIs:" or a one-line "deb" entry), not its security archive.
  mirror=$(grep -h -o -E '^(URIs:|deb)[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+/debian/?([[:space:]]|$)' \
    /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | awk '{print $NF}' | head -1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi

exec 9>"$out.lock"
waited=$SECONDS
flock 9
if [ -s "$out" ]; then
  [ $((SECONDS - waited)) -gt 0 ] && echo "base-rootfs: waited $((SECONDS - waited)) s for the build under way"
  exit 0
fi

work=$(mktemp -d "$(dirname "$out")/rootfs.XXXXXX")
boot_pid=""
cleanup() {
  set +e
  [ -n "$boot_pid" ] && kill "$boot_pid" 2>/dev/null && wait "$boot_pid" 2>/dev/null
  # debootstrap mounts proc and sys inside the tree while it installs; a build cut short can leave them mounted.
  grep -o " $work/[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf --one-file-system "$work" "$work.log" "$out.tmp"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

start=$SECONDS
# In the background, so that a SIGTERM to this script stops it and cleans up at once (wait returns on a signal).
debootstrap --variant=minbase --include=openjdk-17-jre-headless,curl,ca-certificates bookworm "$work/root" "$mirror" \
  >"$work.log" 2>&1 &
boot_pid=$!
wait "$boot_pid" || { tail -30 "$work.log" >&2; exit 1; }
boot_pid=""
boot=$((SECONDS - start))
# What an image needs no copy of: downloaded packages, package lists, documentation.
rm -rf "$work/root"/var/cache/apt/archives/*.deb "$work/root"/var/lib/apt/lists/* "$work/root"/usr/share/doc/* \
  "$work/root"/usr/share/man/*
start=$SECONDS
tar --numeric-owner -C "$work/root" -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "base-rootfs: debootstrap ${boot} s, tar $((SECONDS - start)) s, $(du -m "$out" | cut -f1) MB, from $mirror: $out"
