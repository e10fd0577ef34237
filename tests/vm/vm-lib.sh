# shellcheck shell=bash
# The stock-kernel VM lab's image, in two parts cached in $VM_CACHE (/var/tmp/leakwatch-vm):
# - root-KEY: the guest root, a minbase Debian 12 (debootstrap from the host's apt mirror) with
#   the lab's tools and the packages of every library the built leakwatchd and leakwatch load;
#   KEY hashes the release, the mirror and the package list.  Left as debootstrap made it: the
#   guest mounts it read-only under an overlay on a tmpfs.
# - kernel-KEY: Debian's own kernel (the linux-image-6.1.0-*-amd64 that linux-image-amd64
#   depends on, fetched with `apt-get download`, never installed on the host): vmlinux, the
#   xz-decompressed kernel, booted through its PVH entry; lib/modules/VERSION, depmod'ed,
#   mounted at /lib/modules in the guest (nothing is loaded at boot but what the initramfs
#   needs: br_netfilter stays an unloaded module); initrd.gz, busybox from the root with the
#   virtio_pci, 9pnet_virtio, 9p and overlay modules and tests/vm/initramfs-init.sh as /init.
#   KEY hashes the kernel package and version, the root's KEY, this file and the /init.
# A shared lock on $VM_CACHE/lock while an image is in use, an exclusive one to build or
# remove one; each part is built under another name and renamed when complete.  Source this
# file; callers use vm_skip, vm_host_checks, vm_image and vm_cleanup_build.

VM_CACHE=${VM_CACHE:-/var/tmp/leakwatch-vm}
VM_MARKER=.leakwatch-vm-complete
# the initramfs loads these (and what they depend on) to mount the root
VM_INITRD_MODULES=(virtio_pci 9pnet_virtio 9p overlay)
# in the guest root beside the libraries the programs load: what tests/lab/*.sh,
# tests/faults/nft.sh, tests/vm/*.sh and their Python helpers run
VM_GUEST_PACKAGES=(busybox-static kmod iw hostapd wpasupplicant nftables iptables iproute2
	iputils-ping procps dnsmasq-base curl python3 sqlite3 ieee-data)

vm_building='' # a half-built part, removed by vm_cleanup_build
vm_lib=${BASH_SOURCE[0]}

vm_skip() {
	echo "skip: $*"
	exit 77
}

vm_say() { echo "vm: [$((SECONDS - ${vm_t0:-0}))s] $*" >&2; }

# shellcheck source=../debroot.sh
. "$(dirname "${BASH_SOURCE[0]}")/../debroot.sh"
vm_remove_tree() { debroot_remove_tree "$@"; }

vm_cleanup_build() {
	[ -n "$vm_building" ] && vm_remove_tree "$vm_building"
	vm_building=''
}

# vm_host_checks: exits 77 with the reason when this host cannot build or boot the VM; sets
# vm_mirror, vm_codename and exports http_proxy when apt has one (tests/debroot.sh)
vm_host_checks() {
	local c
	[ "$(id -u)" -eq 0 ] || vm_skip "needs root (debootstrap, chroot)"
	for c in qemu-system-x86_64:qemu-system-x86 debootstrap:debootstrap flock:util-linux \
		apt-get:apt dpkg-deb:dpkg xz:xz-utils gzip:gzip chroot:coreutils \
		unshare:util-linux; do
		command -v "${c%%:*}" >/dev/null ||
			vm_skip "needs ${c%%:*} (package ${c#*:}; scripts/install-deps.sh --tests)"
	done
	# shellcheck source=/dev/null
	. /etc/os-release
	[ "${ID:-}" = debian ] && [ -n "${VERSION_CODENAME:-}" ] || vm_skip "needs a Debian host"
	skip() { vm_skip "$@"; } # debroot_mirror's way out
	debroot_mirror LW_VM_MIRROR
	vm_codename=$VERSION_CODENAME vm_mirror=$DEBROOT_MIRROR
	return 0
}

# vm_kernel_package: the versioned kernel package linux-image-amd64 depends on, and its
# candidate version ("NAME VERSION")
vm_kernel_package() {
	local k v
	k=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }')
	[ -n "$k" ] || return 1
	v=$(apt-cache policy "$k" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
	[ -n "$v" ] && [ "$v" != "(none)" ] || return 1
	echo "$k $v"
}

# vm_vmlinux BZIMAGE OUT: the xz-compressed kernel inside a bzImage, decompressed (an ELF
# with a PVH entry note, which QEMU's -kernel boots directly)
vm_vmlinux() {
	local off
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$1" | head -n1 | cut -d: -f1)
	[ -n "$off" ] || return 1
	# (xz stops with an error at the data after the stream; the stream itself is whole)
	tail -c +$((off + 1)) "$1" | xz -dc >"$2" 2>/dev/null
	[ "$(head -c 4 "$2" | od -An -c | tr -d ' ')" = '177ELF' ]
}

# vm_initramfs ROOT KDIR KVER OUT: busybox from ROOT, the modules (KDIR/lib/modules/KVER) to
# mount the root, /init
vm_initramfs() {
	local root=$1 kdir=$2 kver=$3 out=$4 dir m ko
	dir=$(mktemp -d "$vm_building/initrd.XXXXXX")
	mkdir -p "$dir"/{bin,dev,proc,sys,lower,rw,newroot,modules}
	cp "$root/bin/busybox" "$dir/bin/busybox" || return 1
	# each module after those it needs, once ("insmod PATH" lines in load order)
	for m in "${VM_INITRD_MODULES[@]}"; do
		modprobe_in "$root" "$kdir" modprobe -S "$kver" --show-depends "$m" || return 1
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' >"$dir/modules.list"
	[ -s "$dir/modules.list" ] || return 1
	: >"$dir/modules/order"
	while read -r ko; do
		m=$(basename "$ko")
		case $m in
		*.ko.xz) xz -dc "$kdir$ko" >"$dir/modules/${m%.xz}" || return 1 ;;
		*.ko) cp "$kdir$ko" "$dir/modules/$m" || return 1 ;;
		*) return 1 ;;
		esac
		echo "${m%.xz}" >>"$dir/modules/order"
	done <"$dir/modules.list"
	rm "$dir/modules.list"
	cp "$(dirname "$vm_lib")/initramfs-init.sh" "$dir/init" && chmod 755 "$dir/init" || return 1
	(cd "$dir" && find . | "$root/bin/busybox" cpio -o -H newc 2>/dev/null) | gzip -1 >"$out" ||
		return 1
	rm -rf "$dir"
}

# modprobe_in ROOT KDIR CMD ARGS...: the root's modprobe or depmod (CMD) on the modules
# in KDIR/lib/modules, bound over ROOT/lib/modules for that time (the host may have no kmod)
# (the only change to the cached root: an empty /lib/modules, if it had none)
modprobe_in() {
	local root=$1 kdir=$2
	shift 2
	mkdir -p "$root/lib/modules"
	# a mount namespace of its own: the bind mount goes when the command ends, however it ends
	unshare --mount --propagation private sh -c '
		mount --bind "$2/lib/modules" "$1/lib/modules" && shift 2 && exec chroot "$@"' \
		sh "$root" "$kdir" "$root" "$@"
}

# vm_lock: fd 9 holds a shared lock on $VM_CACHE/lock
vm_lock() {
	mkdir -p "$VM_CACHE"
	exec 9>"$VM_CACHE/lock"
	flock -s -w 1200 9 || { echo "vm: waited 20 min for $VM_CACHE/lock" >&2; return 1; }
}

# vm_build_start: under an exclusive lock, remove what an interrupted build left and the parts
# of other keys of the kind ($1: root or kernel), start a new one in $vm_building
vm_build_start() {
	local d
	flock -x -w 1200 9 || { echo "vm: waited 20 min for $VM_CACHE/lock" >&2; return 1; }
	for d in "$VM_CACHE"/building.* "$VM_CACHE/$1"-*; do
		[ -d "$d" ] && vm_remove_tree "$d"
	done
	vm_building=$(mktemp -d "$VM_CACHE/building.XXXXXX")
}

# vm_build_done DIR: the build in $vm_building is complete: rename it DIR; back to a shared lock
vm_build_done() {
	date -u >"$vm_building/$VM_MARKER"
	mv -T "$vm_building" "$1" || return 1
	vm_building=''
	flock -s 9
}

# vm_image BUILD_DIR: the image for the programs of this build (each part built once, under
# the lock); sets vm_root (the guest root), vm_kernel (vmlinux, initrd.gz, lib/modules, kver).
# Leaves fd 9 holding a shared lock on $VM_CACHE/lock: the image stays while this process runs.
vm_image() {
	local build=$1 pkgs kpkg rkey kkey deb b kver
	[ -x "$build/daemon/leakwatchd" ] && [ -x "$build/cli/leakwatch" ] ||
		{ echo "vm: no leakwatchd and leakwatch in $build" >&2; return 1; }
	mapfile -t pkgs < <({
		printf '%s\n' "${VM_GUEST_PACKAGES[@]}"
		debroot_lib_packages "$build/daemon/leakwatchd" "$build/cli/leakwatch" || echo '!'
	} | sort -u)
	[[ " ${pkgs[*]} " == *" ! "* ]] && return 1
	kpkg=$(vm_kernel_package) ||
		vm_skip "apt knows no linux-image-amd64 candidate (run apt-get update)"
	rkey=$(printf '%s\n' "$vm_codename" "$vm_mirror" minbase "${pkgs[@]}" | sha256sum |
		cut -c1-16)
	kkey=$(printf '%s\n' "$kpkg" "$rkey" "${VM_INITRD_MODULES[@]}" |
		cat - "$vm_lib" "$(dirname "$vm_lib")/initramfs-init.sh" | sha256sum | cut -c1-16)
	vm_root=$VM_CACHE/root-$rkey vm_kernel=$VM_CACHE/kernel-$kkey
	vm_lock || return 1

	[ -f "$vm_root/$VM_MARKER" ] || vm_build_start root || return 1
	if [ ! -f "$vm_root/$VM_MARKER" ]; then
		b=$vm_building
		vm_say "debootstrap --variant=minbase $vm_codename from $vm_mirror into $vm_root" \
			"(once; then reused)"
		debootstrap --variant=minbase --include="$(
			IFS=,
			echo "${pkgs[*]}"
		)" "$vm_codename" "$b" "$vm_mirror" >"$VM_CACHE/debootstrap.log" 2>&1 || {
			tail -n 30 "$VM_CACHE/debootstrap.log" >&2
			echo "vm: debootstrap failed" >&2
			return 1
		}
		rm "$VM_CACHE/debootstrap.log"
		vm_build_done "$vm_root" || return 1
		vm_say "guest root ready: $(du -sh "$vm_root" | cut -f1)"
	fi

	[ -f "$vm_kernel/$VM_MARKER" ] || vm_build_start kernel || return 1
	if [ ! -f "$vm_kernel/$VM_MARKER" ]; then
		b=$vm_building
		vm_say "apt-get download ${kpkg% *} (${kpkg#* }) into $vm_kernel" \
			"(once; then reused)"
		mkdir "$b/dl" "$b/deb"
		(cd "$b/dl" && apt-get download -q "${kpkg% *}=${kpkg#* }") >"$b/download.log" \
			2>&1 || {
			cat "$b/download.log" >&2
			echo "vm: apt-get download ${kpkg% *} failed" >&2
			return 1
		}
		deb=$(echo "$b"/dl/*.deb)
		dpkg-deb -x "$deb" "$b/deb" || return 1
		kver=$(basename "$(echo "$b"/deb/lib/modules/*)")
		[ -f "$b/deb/boot/vmlinuz-$kver" ] ||
			{ echo "vm: no /boot/vmlinuz-$kver in $deb" >&2; return 1; }
		vm_vmlinux "$b/deb/boot/vmlinuz-$kver" "$b/vmlinux" ||
			{ echo "vm: cannot decompress vmlinuz-$kver" >&2; return 1; }
		mkdir -p "$b/lib/modules"
		mv "$b/deb/lib/modules/$kver" "$b/lib/modules/$kver" || return 1
		modprobe_in "$vm_root" "$b" depmod "$kver" ||
			{ echo "vm: depmod failed" >&2; return 1; }
		vm_initramfs "$vm_root" "$b" "$kver" "$b/initrd.gz" ||
			{ echo "vm: cannot make the initramfs" >&2; return 1; }
		echo "$kver" >"$b/kver"
		rm -rf "$b/dl" "$b/deb"
		vm_build_done "$vm_kernel" || return 1
		vm_say "kernel ready: $kver, $(du -sh "$vm_kernel" | cut -f1)"
	fi
	return 0
}
