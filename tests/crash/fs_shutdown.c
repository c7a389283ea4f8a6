/*
 * fs_shutdown.c - simulate a power loss on a mounted filesystem: the
 * filesystem shutdown ioctl (EXT4_IOC_SHUTDOWN / FS_IOC_SHUTDOWN / XFS's
 * GOINGDOWN, all _IOR('X', 125, __u32)), by default with NOLOGFLUSH: the
 * filesystem stops at once, without flushing its journal, and every later
 * I/O on it fails with EIO; after umount and mount, only what was durable
 * is there (xfstests' "godown").  Root only.  For power_loss.sh.
 *
 *   fs_shutdown MOUNTPOINT [nologflush|logflush|default]
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifndef EXT4_IOC_SHUTDOWN
#define EXT4_IOC_SHUTDOWN _IOR('X', 125, uint32_t)
#endif
#define GOING_FLAGS_DEFAULT 0u    /* flush the data, then stop */
#define GOING_FLAGS_LOGFLUSH 1u   /* flush the log, not the data */
#define GOING_FLAGS_NOLOGFLUSH 2u /* flush nothing: power loss */

int main(int argc, char **argv)
{
	uint32_t flags = GOING_FLAGS_NOLOGFLUSH;
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: fs_shutdown MOUNTPOINT [nologflush|logflush|default]\n");
		return 2;
	}
	if (argc == 3) {
		if (!strcmp(argv[2], "nologflush"))
			flags = GOING_FLAGS_NOLOGFLUSH;
		else if (!strcmp(argv[2], "logflush"))
			flags = GOING_FLAGS_LOGFLUSH;
		else if (!strcmp(argv[2], "default"))
			flags = GOING_FLAGS_DEFAULT;
		else {
			fprintf(stderr, "fs_shutdown: unknown mode '%s'\n", argv[2]);
			return 2;
		}
	}
	int fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "fs_shutdown: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (ioctl(fd, EXT4_IOC_SHUTDOWN, &flags) != 0) {
		fprintf(stderr, "fs_shutdown: %s: shutdown ioctl: %s\n", argv[1], strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}
