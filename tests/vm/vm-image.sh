#!/usr/bin/env bash
# Builds (once; then reused) the stock-kernel VM lab's image for a build directory's programs
# and prints the directories of its two parts (see vm-lib.sh).  Exits 77 with the reason when
# it cannot.
#   vm-image.sh [BUILD_DIR]      (default: the source tree's build/)
set -uo pipefail
vm_t0=$SECONDS
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=vm-lib.sh
. "$here/vm-lib.sh"
trap vm_cleanup_build EXIT
trap 'exit 130' INT TERM HUP
vm_host_checks
vm_image "$(realpath "${1:-$here/../../build}")" || exit 1
echo "$vm_root"
echo "$vm_kernel"
