#!/bin/bash
# PID 1 of the stock-kernel VM lab (no systemd): mounts what the lab needs, runs the command
# that tests/vm/vm-run.sh left in /lw-vm-io (cmd, env, cwd: NUL-separated), its output on the
# console, writes its exit status to /lw-vm-io/rc, and powers the machine off.
io=/lw-vm-io
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts 2>/dev/null ||
	{ mkdir -p /dev/pts && mount -t devpts devpts /dev/pts; }
mkdir -p /dev/shm
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
# /tmp stays on the root's overlay (a tmpfs already): a tmpfs of its own would hide the shares
# mounted below it (a source tree checked out under /tmp, as CI may)
chmod 1777 /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
ln -sf /proc/self/fd /dev/fd
hostname leakwatch-vm
ip link set lo up

read -r up _ </proc/uptime
echo "vm: guest up in ${up}s (kernel $(uname -r)); running the command"
mapfile -d '' cmd <"$io/cmd"
mapfile -d '' env <"$io/env"
cd "$(cat "$io/cwd")" 2>/dev/null || cd /
env -i PATH="$PATH" HOME=/root LANG=C.UTF-8 TERM=dumb "${env[@]}" "${cmd[@]}" </dev/null
rc=$?
echo "$rc" >"$io/rc"
sync
echo 0 >/proc/sys/kernel/printk # (no "reboot: Restarting system" on the console)
/bin/busybox reboot -f
sleep 100
