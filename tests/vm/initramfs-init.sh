#!/bin/busybox sh
# /init of the stock-kernel VM lab's initramfs (tests/vm/vm-lib.sh builds it): loads the
# modules in /modules/order, mounts the guest root (9p share "root", read-only) under an
# overlay on a tmpfs, mounts the shares named on the kernel command line at their paths
# (lw.share=TAG,PATH,ro|rw), and hands over to lw.init (PID 1 in the guest root).
/bin/busybox --install -s /bin
export PATH=/bin

die() {
	echo "initramfs: $*"
	reboot -f
	sleep 100
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules/order); do
	insmod "/modules/$m" || die "insmod $m"
done
opts=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o "$opts,cache=loose,ro" root /lower || die "mount the root share"
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot ||
	die "mount the overlay"
init=''
for w in $(cat /proc/cmdline); do
	case $w in
	lw.share=*)
		IFS=, read -r tag path mode <<EOF
${w#lw.share=}
EOF
		mkdir -p "/newroot$path"
		mount -t 9p -o "$opts,$mode" "$tag" "/newroot$path" || die "mount $tag on $path"
		;;
	lw.init=*) init=${w#lw.init=} ;;
	esac
done
[ -n "$init" ] || die "no lw.init= on the command line"
for d in proc sys dev; do
	mount --move "/$d" "/newroot/$d"
done
exec switch_root /newroot "$init"
