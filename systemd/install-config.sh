#!/bin/sh
# meson install: put the example configuration in place as the real one, mode 0600, unless
# the owner already has one (it is never overwritten).
#   install-config.sh EXAMPLE (relative to the prefix, or absolute) TARGET
set -eu
example=$1 target=$2
case "$example" in
/*) example=${DESTDIR:-}$example ;;
*) example=$MESON_INSTALL_DESTDIR_PREFIX/$example ;;
esac
target=${DESTDIR:-}$target
if [ -e "$target" ]; then
	echo "leakwatch: keeping the existing $target"
	exit 0
fi
umask 077
mkdir -p "$(dirname "$target")"
chmod 0755 "$(dirname "$target")" # the file itself is 0600
cp "$example" "$target"
chmod 0600 "$target"
echo "leakwatch: installed $target (mode 0600)"
