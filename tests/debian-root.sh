# shellcheck shell=bash
# What the tests that debootstrap a Debian root share (systemd/test-boot.sh, tests/vm/vm-lib.sh):
# the host's mirror and proxy, the packages of the libraries a program loads, removing a tree
# with what is mounted in it.  Source this file.

# deb_mirror [OVERRIDE]: sets deb_codename and deb_mirror (OVERRIDE, else the host's apt source
# for CODENAME/main) and exports http_proxy when apt has one (debootstrap fetches with wget);
# returns 1 with the reason in deb_why when the host is not Debian or has no such source
deb_mirror() {
	# shellcheck source=/dev/null
	. /etc/os-release
	if [ "${ID:-}" != debian ] || [ -z "${VERSION_CODENAME:-}" ]; then
		deb_why="needs a Debian host"
		return 1
	fi
	deb_codename=$VERSION_CODENAME
	deb_mirror=${1:-$(apt-cache policy 2>/dev/null |
		awk -v s="$deb_codename/main" '$3 == s && $2 ~ /^https?:\/\// { print $2; exit }')}
	if [ -z "$deb_mirror" ]; then
		deb_why="no apt source for $deb_codename/main"
		return 1
	fi
	eval "$(apt-config shell http_proxy Acquire::http::Proxy)"
	[ -n "${http_proxy:-}" ] && export http_proxy
	return 0
}

# deb_lib_packages PROGRAM...: the Debian packages of the libraries the programs load, each
# found by its path, its real path or its path under /usr (one dpkg -S for all of them);
# fails naming a library no package has
deb_lib_packages() {
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

# deb_remove_tree DIR: unmount what is mounted below DIR, then remove it
deb_remove_tree() {
	awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r |
		xargs -r -n1 umount -l
	rm -rf --one-file-system "$1"
}
