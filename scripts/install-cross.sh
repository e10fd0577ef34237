#!/usr/bin/env bash
# Installs what the cross builds need (cross/*.ini, tests/cross/cross.sh) on Debian 12, as root:
# Debian's cross compilers, qemu-user to run the target's programs, and the target's -dev
# packages as multiarch packages (dpkg --add-architecture), pkgconf:ARCH among them for the
# target's pkg-config (ARCH-linux-gnu-pkg-config).  Quick when everything is already there.
#   scripts/install-cross.sh              arm64 and armhf
#   scripts/install-cross.sh ARCH...      these Debian architectures (arm64, armhf)
# Exit status: 0 when everything is there, 1 when something could not be installed (not root,
# apt-get failed: no network to the archive, a package not co-installable).
# A multiarch -dev package needs the host's copy of each Multi-Arch: same library at the very
# same version: apt-get upgrades the host's (amd64) copies to the archive's when they are older.
set -euo pipefail

arches=("$@")
[ ${#arches[@]} -eq 0 ] && arches=(arm64 armhf)

# the libraries of scripts/install-deps.sh's build list, for the target (its list, so that the
# two cannot drift apart)
mapfile -t dev < <("$(dirname "$0")/install-deps.sh" --list-dev)
[ ${#dev[@]} -gt 0 ] || { echo "install-cross: scripts/install-deps.sh --list-dev listed nothing" >&2; exit 1; }
dev+=(pkgconf)

want=(meson ninja-build qemu-user python3)
for a in "${arches[@]}"; do
	case $a in
	arm64) want+=(gcc-aarch64-linux-gnu g++-aarch64-linux-gnu) ;;
	armhf) want+=(gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf) ;;
	*)
		echo "install-cross: unknown architecture $a (arm64, armhf)" >&2
		exit 64
		;;
	esac
	for p in "${dev[@]}"; do
		want+=("$p:$a")
	done
done

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-cross: missing packages: ${missing[*]}; run as root (or with sudo)" >&2
	exit 1
fi
echo "install-cross: installing ${missing[*]}" >&2
t=$SECONDS
export DEBIAN_FRONTEND=noninteractive
for a in "${arches[@]}"; do
	dpkg --print-foreign-architectures | grep -qx "$a" || dpkg --add-architecture "$a"
done
# (another apt-get may hold the lock for a while: wait for it rather than fail)
apt=(apt-get -q -o DPkg::Lock::Timeout=900)
"${apt[@]}" update >/dev/null || {
	echo "install-cross: apt-get update failed (no network to the Debian archive?)" >&2
	exit 1
}
"${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null || {
	echo "install-cross: apt-get install failed" >&2
	exit 1
}
echo "install-cross: installed ${#missing[@]} packages (and what they depend on) in $((SECONDS - t)) s" >&2
