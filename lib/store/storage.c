/* SPDX-License-Identifier: MIT */
/*
 * storage: what a path is stored on (see storage.h).  The probe gathers three facts (the
 * filesystem's statfs type, an overlay's upper layer's type, the block device's name and
 * whether it rotates) and lw_storage_classify() turns them into advice, so that the tests can
 * cover every kind without those filesystems.
 */
#include "storage.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char *const kind_names[] = {
	[LW_STORAGE_DISK] = "disk",   [LW_STORAGE_FLASH_CARD] = "sdcard",
	[LW_STORAGE_RAM] = "tmpfs",   [LW_STORAGE_JFFS2] = "jffs2",
	[LW_STORAGE_UBIFS] = "ubifs", [LW_STORAGE_UNKNOWN] = "unknown",
};

const char *lw_storage_kind_name(enum lw_storage_kind kind)
{
	if ((unsigned)kind >= LW_ARRAY_SIZE(kind_names))
		return "unknown";
	return kind_names[kind];
}

static const struct {
	long type;
	const char *name;
} fs_names[] = {
	{LW_FS_TMPFS, "tmpfs"}, {LW_FS_RAMFS, "ramfs"},	    {LW_FS_JFFS2, "jffs2"},
	{LW_FS_UBIFS, "ubifs"}, {LW_FS_OVERLAY, "overlay"}, {LW_FS_SQUASHFS, "squashfs"},
	{LW_FS_EXT4, "ext4"},	{LW_FS_BTRFS, "btrfs"},	    {LW_FS_XFS, "xfs"},
	{LW_FS_F2FS, "f2fs"},	{LW_FS_VFAT, "vfat"},	    {LW_FS_EXFAT, "exfat"},
	{LW_FS_NFS, "nfs"},
};

static const char *fs_name(long type)
{
	for (size_t i = 0; i < LW_ARRAY_SIZE(fs_names); i++)
		if (fs_names[i].type == type)
			return fs_names[i].name;
	return NULL;
}

static void set_kind(struct lw_storage *out, enum lw_storage_kind kind)
{
	out->kind = kind;
	out->journal = kind == LW_STORAGE_JFFS2 ? LW_STORE_JOURNAL_TRUNCATE : LW_STORE_JOURNAL_WAL;
	switch (kind) {
	case LW_STORAGE_FLASH_CARD:
	case LW_STORAGE_JFFS2:
	case LW_STORAGE_UBIFS:
		out->commit_interval = LW_STORAGE_COMMIT_FLASH_US;
		break;
	default:
		out->commit_interval = LW_STORAGE_COMMIT_DISK_US;
	}
}

void lw_storage_classify(long f_type, long upper_type, const char *device, int rotational,
			 struct lw_storage *out)
{
	const char *name = fs_name(f_type), *upper = fs_name(upper_type);
	long eff = f_type;
	unsigned flash_s = LW_STORAGE_COMMIT_FLASH_US / LW_USEC_PER_SEC;

	memset(out, 0, sizeof(*out));
	if (!device)
		device = "";
	snprintf(out->device, sizeof(out->device), "%s", device);
	if (f_type == LW_FS_OVERLAY) {
		/* OpenWrt: / is an overlay whose upper layer (/overlay) is where writes go */
		if (upper)
			snprintf(out->fstype, sizeof(out->fstype), "overlay (upper: %s)", upper);
		else
			snprintf(out->fstype, sizeof(out->fstype), "overlay");
		eff = upper_type;
	} else if (name) {
		snprintf(out->fstype, sizeof(out->fstype), "%s", name);
	} else {
		snprintf(out->fstype, sizeof(out->fstype), "0x%lx", (unsigned long)f_type);
	}

	switch (eff) {
	case LW_FS_TMPFS:
	case LW_FS_RAMFS:
		set_kind(out, LW_STORAGE_RAM);
		snprintf(out->advice, sizeof(out->advice),
			 "%s: the database is in RAM and lost at reboot; put [database] path on "
			 "persistent storage to keep it",
			 out->fstype);
		return;
	case LW_FS_JFFS2:
		set_kind(out, LW_STORAGE_JFFS2);
		snprintf(out->advice, sizeof(out->advice),
			 "%s: rollback journal instead of WAL (no shared mmap), commits batched "
			 "every %u s to spare the flash",
			 out->fstype, flash_s);
		return;
	case LW_FS_UBIFS:
		set_kind(out, LW_STORAGE_UBIFS);
		snprintf(out->advice, sizeof(out->advice),
			 "%s: raw flash, commits batched every %u s to spare it", out->fstype,
			 flash_s);
		return;
	case LW_FS_SQUASHFS:
		set_kind(out, LW_STORAGE_UNKNOWN);
		snprintf(out->advice, sizeof(out->advice),
			 "%s: read-only, the database cannot be written here", out->fstype);
		return;
	case LW_FS_NFS:
		set_kind(out, LW_STORAGE_UNKNOWN);
		snprintf(out->advice, sizeof(out->advice),
			 "%s: a network filesystem, SQLite's locks may not hold there",
			 out->fstype);
		return;
	case 0:
		set_kind(out, LW_STORAGE_UNKNOWN);
		snprintf(out->advice, sizeof(out->advice),
			 "%s: storage not recognised, WAL and %u ms commits", out->fstype,
			 (unsigned)(LW_STORAGE_COMMIT_DISK_US / 1000));
		return;
	}
	if (strncmp(device, "mmcblk", 6) == 0) {
		set_kind(out, LW_STORAGE_FLASH_CARD);
		snprintf(out->advice, sizeof(out->advice),
			 "SD card / eMMC (%s, %s): commits batched every %u s to spare it", device,
			 out->fstype, flash_s);
		return;
	}
	if (!fs_name(eff)) {
		set_kind(out, LW_STORAGE_UNKNOWN);
		snprintf(out->advice, sizeof(out->advice),
			 "%s: storage not recognised, WAL and %u ms commits", out->fstype,
			 (unsigned)(LW_STORAGE_COMMIT_DISK_US / 1000));
		return;
	}
	set_kind(out, LW_STORAGE_DISK);
	snprintf(out->advice, sizeof(out->advice), "%s on %s%s: a disk, WAL and %u ms commits",
		 out->fstype, device[0] ? device : "a disk",
		 rotational == 1   ? " (rotational)"
		 : rotational == 0 ? " (SSD)"
				   : "",
		 (unsigned)(LW_STORAGE_COMMIT_DISK_US / 1000));
}

/* The block device major:minor's name and whether it rotates (sysfs); false if none. */
static bool block_device(unsigned maj, unsigned min, char *name, size_t len, int *rotational)
{
	char link[PATH_MAX], path[PATH_MAX + 64];
	char *real, *base;
	FILE *f;
	int c;

	*rotational = -1;
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", maj, min);
	real = realpath(link, NULL);
	if (!real)
		return false;
	base = strrchr(real, '/');
	snprintf(name, len, "%s", base ? base + 1 : real);
	/* a partition's queue/ is its disk's, one directory up */
	snprintf(path, sizeof(path), "%s/queue/rotational", real);
	f = fopen(path, "re");
	if (!f) {
		snprintf(path, sizeof(path), "%s/../queue/rotational", real);
		f = fopen(path, "re");
	}
	if (f) {
		c = fgetc(f);
		*rotational = c == '1' ? 1 : c == '0' ? 0 : -1;
		fclose(f);
	}
	free(real);
	return true;
}

/*
 * The mountinfo line of the mount whose device is maj:min: its source and super options
 * (for an overlay's upperdir=).  false if not found.
 */
static bool find_mount(unsigned maj, unsigned min, char *source, size_t slen, char *opts,
		       size_t olen)
{
	char line[4096], want[32];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	snprintf(want, sizeof(want), "%u:%u", maj, min);
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok, *sep;
		int field = 0;

		/* id parent maj:min root mountpoint opts [optional...] - fstype source super */
		for (tok = strtok_r(line, " \n", &save); tok && field < 2;
		     tok = strtok_r(NULL, " \n", &save))
			field++;
		if (!tok || strcmp(tok, want) != 0)
			continue;
		sep = strstr(save ? save : "", " - ");
		if (!sep)
			continue;
		tok = strtok_r(sep + 3, " \n", &save); /* fstype */
		tok = tok ? strtok_r(NULL, " \n", &save) : NULL;
		snprintf(source, slen, "%s", tok ? tok : "");
		tok = tok ? strtok_r(NULL, " \n", &save) : NULL;
		snprintf(opts, olen, "%s", tok ? tok : "");
		found = true; /* the last one wins: a later mount on top hides earlier ones */
	}
	fclose(f);
	return found;
}

/* Device name and rotational for the filesystem whose st_dev is dev. */
static void device_of(dev_t dev, char *name, size_t len, int *rotational, char *opts, size_t olen)
{
	char source[1024] = "";
	struct stat st;

	name[0] = '\0';
	opts[0] = '\0';
	*rotational = -1;
	find_mount(major(dev), minor(dev), source, sizeof(source), opts, olen);
	if (major(dev) != 0 && block_device(major(dev), minor(dev), name, len, rotational))
		return;
	/* btrfs and others give an anonymous st_dev: the mount source names the device */
	if (strncmp(source, "/dev/", 5) == 0 && stat(source, &st) == 0 && S_ISBLK(st.st_mode) &&
	    block_device(major(st.st_rdev), minor(st.st_rdev), name, len, rotational))
		return;
	/* ubifs: "ubi0:rootfs_data" */
	if (source[0] && strcmp(source, "none") != 0 && strchr(source, '/') == NULL)
		snprintf(name, len, "%s", source);
}

static const struct {
	const char *name;
	long type;
	const char *device;
} forced[] = {
	{"disk", LW_FS_EXT4, "sda"},
	{"sdcard", LW_FS_EXT4, "mmcblk0"},
	{"tmpfs", LW_FS_TMPFS, ""},
	{"jffs2", LW_FS_JFFS2, "mtdblock5"},
	{"ubifs", LW_FS_UBIFS, "ubi0:rootfs_data"},
};

int lw_storage_probe(const char *path, struct lw_storage *out)
{
	const char *env = getenv("LEAKWATCH_STORAGE");
	char dir[PATH_MAX], device[64], opts[1024];
	struct statfs sf, usf;
	struct stat st;
	long upper = 0;
	int rotational;
	char *up, *end;

	if (env && env[0]) {
		for (size_t i = 0; i < LW_ARRAY_SIZE(forced); i++) {
			if (strcmp(env, forced[i].name) != 0)
				continue;
			lw_storage_classify(forced[i].type, 0, forced[i].device, -1, out);
			out->forced = true;
			return 0;
		}
	}
	if (!path || !path[0])
		path = ".";
	/* the file may not exist yet: its directory's filesystem is where it will be */
	if (stat(path, &st) < 0 || statfs(path, &sf) < 0) {
		snprintf(dir, sizeof(dir), "%s", path);
		end = strrchr(dir, '/');
		if (end && end != dir)
			*end = '\0';
		else
			snprintf(dir, sizeof(dir), "%s", end ? "/" : ".");
		if (stat(dir, &st) < 0 || statfs(dir, &sf) < 0) {
			int e = errno;

			lw_storage_classify(0, 0, "", -1, out);
			snprintf(out->advice, sizeof(out->advice),
				 "cannot tell the storage of %s: %s", path, strerror(e));
			return -e;
		}
	}
	device_of(st.st_dev, device, sizeof(device), &rotational, opts, sizeof(opts));
	if ((long)sf.f_type == LW_FS_OVERLAY && (up = strstr(opts, "upperdir=")) != NULL) {
		char updir[PATH_MAX];

		up += strlen("upperdir=");
		snprintf(updir, sizeof(updir), "%.*s", (int)strcspn(up, ","), up);
		if (statfs(updir, &usf) == 0 && stat(updir, &st) == 0) {
			upper = (long)usf.f_type;
			device_of(st.st_dev, device, sizeof(device), &rotational, opts,
				  sizeof(opts));
		}
	}
	lw_storage_classify((long)sf.f_type, upper, device, rotational, out);
	return 0;
}
