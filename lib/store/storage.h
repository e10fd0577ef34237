/* SPDX-License-Identifier: MIT */
/*
 * storage: what kind of storage a path is on, and what that means for the database.
 *
 * A router's database may sit on tmpfs (lost at reboot, and in RAM), on jffs2 (no shared
 * writable mmap: SQLite's WAL does not work), on ubifs or an SD card (flash that wears with
 * every small commit) or on a disk.  lw_storage_probe() tells which, from statfs() and the
 * mount's block device (/proc/self/mountinfo, /sys/dev/block), and recommends a journal mode
 * and a commit interval.
 *
 * LEAKWATCH_STORAGE=disk|sdcard|tmpfs|jffs2|ubifs in the environment forces the answer (for
 * tests, and for a filesystem the probe cannot tell).
 */
#ifndef LW_STORE_STORAGE_H
#define LW_STORE_STORAGE_H

#include "core/types.h"
#include "store/store.h"

enum lw_storage_kind {
	LW_STORAGE_DISK, /* a disk or SSD, or a filesystem on one (ext4, btrfs, xfs, ...) */
	LW_STORAGE_FLASH_CARD, /* SD card or eMMC (mmcblk*), or a non-rotational USB stick */
	LW_STORAGE_RAM, /* tmpfs, ramfs: gone at reboot */
	LW_STORAGE_JFFS2, /* raw NOR/NAND flash, no shared mmap: rollback journal */
	LW_STORAGE_UBIFS, /* raw NAND flash through UBI */
	LW_STORAGE_UNKNOWN,
};

struct lw_storage {
	enum lw_storage_kind kind;
	char fstype[32]; /* "ext4", "tmpfs", "overlay (upper: jffs2)", ... */
	char device[64]; /* "mmcblk0p2", "sda1", "" when none or unknown */
	char advice[256]; /* one line: what it means for the database */
	enum lw_store_journal journal; /* recommended */
	lw_time_us commit_interval; /* recommended */
	bool forced; /* by LEAKWATCH_STORAGE */
};

/* Recommended commit intervals: flash is spared by fewer, bigger commits. */
#define LW_STORAGE_COMMIT_DISK_US (500 * 1000)
#define LW_STORAGE_COMMIT_FLASH_US (5 * 1000 * 1000)

/* statfs f_type values (linux/magic.h), spelled out for the pure classifier */
#define LW_FS_TMPFS 0x01021994
#define LW_FS_RAMFS 0x858458f6
#define LW_FS_JFFS2 0x72b6
#define LW_FS_UBIFS 0x24051905
#define LW_FS_OVERLAY 0x794c7630
#define LW_FS_SQUASHFS 0x73717368
#define LW_FS_EXT4 0xef53 /* also ext2 and ext3 */
#define LW_FS_BTRFS 0x9123683e
#define LW_FS_XFS 0x58465342
#define LW_FS_F2FS 0xf2f52010
#define LW_FS_VFAT 0x4d44
#define LW_FS_EXFAT 0x2011bab0
#define LW_FS_NFS 0x6969

/*
 * Classifies without looking at the system: f_type is statfs()'s, upper_type the f_type of an
 * overlay's upper layer (0 unknown), device the block device's name ("" none), rotational
 * 1 / 0 / -1 unknown.  Fills every field of out but forced.
 */
void lw_storage_classify(long f_type, long upper_type, const char *device, int rotational,
			 struct lw_storage *out);

/*
 * Probes the filesystem holding path (the file, or its directory when the file does not exist
 * yet).  0, or -errno when statfs fails (out then says LW_STORAGE_UNKNOWN with WAL and the disk
 * interval).  Honours LEAKWATCH_STORAGE.
 */
int lw_storage_probe(const char *path, struct lw_storage *out);

/* "disk", "sdcard", "tmpfs", "jffs2", "ubifs", "unknown" */
const char *lw_storage_kind_name(enum lw_storage_kind kind);

#endif
