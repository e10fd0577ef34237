# shellcheck shell=bash
# A minimal Debian root of the host's release, built once with debootstrap and cached under
# /var/tmp, and per-run directories over it (an overlay) that are released on every way out,
# also when a run was killed before its teardown.
#
#   debroot_host_checks            skip (77) unless: root, a Debian host, debootstrap, flock,
#                                  git, a mount namespace
#   debroot_mirror VAR             DEBROOT_MIRROR from $VAR or the host's apt source for
#                                  $VERSION_CODENAME/main; apt's http proxy exported for wget
#   debroot_run_dir CACHE          DEBROOT_RUN: a new run directory, owned by this shell;
#                                  run directories of killed runs are released
#   debroot_pristine CACHE PKG...  DEBROOT_ROOTFS: the cached root (minbase plus PKG...),
#                                  built under an exclusive lock when missing; a shared lock
#                                  on fd 9 is held while this shell uses it
#   debroot_overlay ROOT DIR       DIR/root: ROOT under an overlay (upper and work in DIR)
#   debroot_lib_packages PROG...   the Debian packages of the libraries the programs load
#   debroot_release DIR            unmount and remove a run directory (and a root it was
#                                  building); a caller's debroot_release_hook DIR runs first
# Callers define skip and die (both exit).  Used by tests/fresh/fresh.sh, tests/vm/vm-lib.sh,
# systemd/test-boot.sh and tests/package/package.sh (those two through tests/nspawn-lib.sh),
# each with a cache directory of its own (the last two share one).

debroot_marker=.leakwatch-debroot-complete

debroot_starttime() { awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null; }

debroot_remove_tree() { # DIR: unmount what is mounted below DIR, then remove it
	awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r |
		xargs -r -n1 umount -l
	rm -rf --one-file-system "$1"
}

debroot_host_checks() {
	local c
	[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, mounts, chroot)"
	for c in debootstrap:debootstrap flock:util-linux unshare:util-linux chroot:coreutils \
		git:git; do
		command -v "${c%%:*}" >/dev/null ||
			skip "needs ${c%%:*} (package ${c#*:}; scripts/install-deps.sh --tests)"
	done
	# shellcheck source=/dev/null
	. /etc/os-release
	[ "${ID:-}" = debian ] && [ -n "${VERSION_CODENAME:-}" ] ||
		skip "needs a Debian host: the root it builds is Debian of the host's release"
	unshare --mount true 2>/dev/null || skip "cannot create a mount namespace here"
}

debroot_mirror() {
	local override=${!1:-}
	DEBROOT_MIRROR=${override:-$(apt-cache policy 2>/dev/null |
		awk -v s="$VERSION_CODENAME/main" '$3 == s && $2 ~ /^https?:\/\// { print $2; exit }')}
	[ -n "$DEBROOT_MIRROR" ] || skip "no apt source for $VERSION_CODENAME/main (set $1)"
	# debootstrap fetches with wget: give it apt's proxy, if apt has one
	eval "$(apt-config shell http_proxy Acquire::http::Proxy)"
	[ -n "${http_proxy:-}" ] && export http_proxy
	return 0
}

debroot_release() {
	local dir=$1 i
	# what the caller keeps in its run directory (processes, cgroups) goes first
	declare -F debroot_release_hook >/dev/null && debroot_release_hook "$dir"
	# a debootstrap this run was interrupted in
	[ -f "$dir/building" ] && debroot_remove_tree "$(cat "$dir/building")"
	for ((i = 0; i < 20; i++)); do
		mountpoint -q "$dir/root" || break
		umount -R "$dir/root" 2>/dev/null || sleep 0.2
	done
	debroot_remove_tree "$dir"
}

debroot_run_dir() {
	local cache=$1 d opid ostart
	mkdir -p "$cache"
	DEBROOT_RUN=$(mktemp -d "$cache/run.XXXXXX")
	echo "$$ $(debroot_starttime $$)" >"$DEBROOT_RUN/owner"
	# Runs that were killed before their teardown (SIGKILL; meson sends one 0.5 s after the
	# SIGTERM of a timeout) are released here.
	for d in "$cache"/run.*; do
		[ "$d" != "$DEBROOT_RUN" ] && [ -f "$d/owner" ] || continue
		read -r opid ostart <"$d/owner"
		[ -n "$opid" ] && [ "$(debroot_starttime "$opid")" = "$ostart" ] && continue
		echo "releasing $d, left by a run that was killed"
		debroot_release "$d"
	done
}

# A shared lock while a root is in use; an exclusive one to build a root or remove one.
debroot_pristine() {
	local cache=$1 key building t d
	shift
	key=$(printf '%s\n' "$VERSION_CODENAME" "$DEBROOT_MIRROR" minbase "$@" | sha256sum | cut -c1-16)
	DEBROOT_ROOTFS=$cache/rootfs-$key
	DEBROOT_BUILT=0
	exec 9>"$cache/lock"
	flock -s -w 1200 9 || die "waited 20 min for $cache/lock"
	[ -f "$DEBROOT_ROOTFS/$debroot_marker" ] && return 0
	flock -x -w 1200 9 || die "waited 20 min for $cache/lock"
	if [ ! -f "$DEBROOT_ROOTFS/$debroot_marker" ]; then
		# Nothing else holds the lock: what is left of an interrupted build, and roots of
		# other keys, go (after unmounting what debootstrap may have left mounted in them).
		for d in "$cache"/building.* "$cache"/rootfs-*; do
			[ -d "$d" ] && debroot_remove_tree "$d"
		done
		building=$(mktemp -d "$cache/building.XXXXXX")
		echo "$building" >"$DEBROOT_RUN/building"
		t=$SECONDS
		debootstrap --variant=minbase ${1:+--include="$(
			IFS=,
			echo "$*"
		)"} "$VERSION_CODENAME" "$building" "$DEBROOT_MIRROR" >"$DEBROOT_RUN/debootstrap.log" 2>&1 || {
			tail -n 40 "$DEBROOT_RUN/debootstrap.log"
			debroot_remove_tree "$building"
			die "debootstrap"
		}
		# written under another name and renamed when complete: an interrupted run leaves no
		# root that looks usable
		echo "built $(date -u '+%F %T') UTC in $((SECONDS - t)) s from $DEBROOT_MIRROR" \
			>"$building/$debroot_marker"
		mv -T "$building" "$DEBROOT_ROOTFS" || die "mv $building $DEBROOT_ROOTFS"
		rm -f "$DEBROOT_RUN/building"
		DEBROOT_BUILT=1
	fi
	flock -s 9
}

debroot_overlay() {
	local rootfs=$1 dir=$2
	mkdir "$dir/upper" "$dir/work" "$dir/root"
	mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$dir/upper,workdir=$dir/work" \
		"$dir/root" 2>/dev/null && return 0
	echo "no overlayfs here: copying the root"
	cp -a "$rootfs/." "$dir/root/" || die "copying $rootfs"
}

# debroot_lib_packages PROGRAM...: the Debian packages of the libraries the programs load, each
# found by its path, its real path or its path under /usr (one dpkg -S for all of them);
# fails naming a library no package has
debroot_lib_packages() {
	local lib map
	map=$(ldd "$@" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u |
		while read -r lib; do
			printf '%s %s\n' "$lib" "$lib" "$(readlink -f "$lib")" "$lib" \
				"/usr$lib" "$lib"
		done)
	[ -n "$map" ] || return 1
	# (dpkg -S fails for the paths no package has: the awk below decides)
	awk '{ print $1 }' <<<"$map" | sort -u | { xargs dpkg -S 2>/dev/null; true; } |
		awk 'NR == FNR { lib[$1] = $2; want[$2] = 1; next }
			{ p = $1; sub(/:.*/, "", p); if ($2 in lib) { print p; got[lib[$2]] = 1 } }
			END {
				for (l in want) if (!(l in got)) {
					print l " is not from a Debian package" >"/dev/stderr"
					bad = 1
				}
				exit bad
			}' <(echo "$map") -
}
