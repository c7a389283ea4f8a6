/*
 * test_jio.c - the journal's I/O layer (src/jio.h): path and file hygiene
 * (O_NOFOLLOW, 0600, fd >= 3, regular files with one link, FIFOs that
 * must not hang), the write/read loops under short writes and EINTR, the
 * lock file (second open in this process, in a forked child, after the
 * holder is killed; OFD and flock), the fault injector's script semantics,
 * and its crash model: what a reboot finds after DROP / KEEP / TORN / ZERO,
 * un-synced creates, renames and unlinks, and fsyncgate.  Then the
 * journal's three durability protocols - create, append + fdatasync,
 * compaction (temp, fsync, rename, fsync dir) - crashed at every I/O call
 * with every fate: nothing acknowledged is lost and the journal is always
 * whole; a broken variant of the compaction protocol is caught.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "jformat.h"
#include "jio.h"
#include "numseq.h"

static char dir[256];
static int dfd = -1;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/test_jio.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dfd < 0 ? -1 : 0;
}

static void rm_tree(int at, const char *name)
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		struct dirent *e;
		while (d != NULL && (e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				rm_tree(dirfd(d), e->d_name);
		if (d != NULL)
			closedir(d);
		(void)unlinkat(at, name, AT_REMOVEDIR);
	} else {
		(void)unlinkat(at, name, 0);
	}
}

static int teardown(void **state)
{
	(void)state;
	close(dfd);
	rm_tree(AT_FDCWD, dir);
	return 0;
}

/* Whole content of dir/name (NULL if missing), malloc'ed; *n its size. */
static uint8_t *slurp(const char *name, size_t *n)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	uint8_t *b = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	assert_int_equal(numseq__jio_pread_all(numseq__jio_posix(), fd, b, (size_t)st.st_size, 0,
	                                       &got),
	                 0);
	close(fd);
	*n = got;
	return b;
}

static void put_file(const char *name, const void *p, size_t n)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static bool exists(const char *name)
{
	struct stat st;
	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void expect_content(const char *name, const void *p, size_t n)
{
	size_t got;
	uint8_t *b = slurp(name, &got);
	if (b == NULL)
		fail_msg("%s missing", name);
	if (got != n || (n > 0 && memcmp(b, p, n) != 0))
		fail_msg("%s: %zu bytes, want %zu", name, got, n);
	free(b);
}

/* ----------------------------------------------------------- helpers */

static void test_split_path(void **state)
{
	(void)state;
	char d[64], n[64];
	assert_int_equal(numseq__jio_split_path("a/b/c.j", d, sizeof d, n, sizeof n), 0);
	assert_string_equal(d, "a/b");
	assert_string_equal(n, "c.j");
	assert_int_equal(numseq__jio_split_path("c.j", d, sizeof d, n, sizeof n), 0);
	assert_string_equal(d, ".");
	assert_string_equal(n, "c.j");
	assert_int_equal(numseq__jio_split_path("/c.j", d, sizeof d, n, sizeof n), 0);
	assert_string_equal(d, "/");
	assert_string_equal(n, "c.j");
	assert_int_equal(numseq__jio_split_path("", d, sizeof d, n, sizeof n), -EINVAL);
	assert_int_equal(numseq__jio_split_path(NULL, d, sizeof d, n, sizeof n), -EINVAL);
	assert_int_equal(numseq__jio_split_path("a/", d, sizeof d, n, sizeof n), -EINVAL);
	assert_int_equal(numseq__jio_split_path("a/..", d, sizeof d, n, sizeof n), -EINVAL);
	assert_int_equal(numseq__jio_split_path(".", d, sizeof d, n, sizeof n), -EINVAL);
	assert_int_equal(numseq__jio_split_path("abcdef/x", d, 4, n, sizeof n), -ENAMETOOLONG);
	assert_int_equal(numseq__jio_split_path("x/abcdef", d, sizeof d, n, 4), -ENAMETOOLONG);
	char longname[NAME_MAX + 2];
	memset(longname, 'x', sizeof longname - 1);
	longname[NAME_MAX - 4] = '\0'; /* NAME_MAX - 4 > NAME_MAX - 5: too long for ".lock" */
	char big[NAME_MAX + 1];
	assert_int_equal(numseq__jio_split_path(longname, d, sizeof d, big, sizeof big),
	                 -ENAMETOOLONG);
	longname[NAME_MAX - 5] = '\0';
	assert_int_equal(numseq__jio_split_path(longname, d, sizeof d, big, sizeof big), 0);
}

static void test_errcode(void **state)
{
	(void)state;
	assert_int_equal(numseq__jio_errcode(0), NUMSEQ_OK);
	assert_int_equal(numseq__jio_errcode(-ENOSPC), NUMSEQ_ENOSPC);
	assert_int_equal(numseq__jio_errcode(EDQUOT), NUMSEQ_ENOSPC);
	assert_int_equal(numseq__jio_errcode(-EFBIG), NUMSEQ_ENOSPC);
	assert_int_equal(numseq__jio_errcode(-ELOOP), NUMSEQ_ESYMLINK);
	assert_int_equal(numseq__jio_errcode(-EWOULDBLOCK), NUMSEQ_ELOCKED);
	assert_int_equal(numseq__jio_errcode(-ENOMEM), NUMSEQ_ENOMEM);
	assert_int_equal(numseq__jio_errcode(-EIO), NUMSEQ_EIO);
	assert_int_equal(numseq__jio_errcode(-EBADF), NUMSEQ_EIO);
	const int setup_errs[] = {ENOENT,       EEXIST, EACCES, EPERM,  ENOTDIR, EISDIR,
	                          ENAMETOOLONG, EROFS,  EMFILE, ENFILE, EINVAL};
	for (size_t i = 0; i < sizeof setup_errs / sizeof setup_errs[0]; i++)
		assert_int_equal(numseq__jio_errcode(-setup_errs[i]), setup_errs[i]);
}

static void test_open_create(void **state)
{
	(void)state;
	numseq__jio_t *io = numseq__jio_posix();
	int fd = -1, fd2 = -1, d = -1;
	assert_int_equal(numseq__jio_open_dir(io, dir, &d), 0);
	assert_true(d >= 0);
	close(d);
	assert_int_equal(numseq__jio_open_dir(io, "/nonexistent/dir", &d), -ENOENT);

	/* Create: 0600 whatever the umask, fd >= 3 even with 0..2 free. */
	mode_t old = umask(0);
	int saved = dup(0);
	close(0);
	assert_int_equal(numseq__jio_create_file(io, dfd, "j", true, &fd), NUMSEQ_OK);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	umask(old);
	assert_true(fd >= 3);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	assert_int_equal(numseq__jio_create_file(io, dfd, "j", false, &fd), EEXIST);

	/* Open: read-write, read-only; fd >= 3; blocking again. */
	saved = dup(0);
	close(0);
	assert_int_equal(numseq__jio_open_file(io, dfd, "j", true, &fd), NUMSEQ_OK);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	assert_true(fd >= 3);
	assert_int_equal(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_ACCMODE), O_RDWR);
	assert_int_equal(numseq__jio_open_file(io, dfd, "j", false, &fd2), NUMSEQ_OK);
	assert_int_equal(fcntl(fd2, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(fd);
	close(fd2);
	assert_int_equal(numseq__jio_open_file(io, dfd, "missing", true, &fd), ENOENT);

	/* A symbolic link, even to a good journal. */
	assert_int_equal(symlinkat("j", dfd, "link"), 0);
	assert_int_equal(numseq__jio_open_file(io, dfd, "link", true, &fd), NUMSEQ_ESYMLINK);
	assert_int_equal(numseq__jio_create_file(io, dfd, "link", true, &fd), EEXIST);
	assert_int_equal(symlinkat("nowhere", dfd, "dangling"), 0);
	assert_int_equal(numseq__jio_create_file(io, dfd, "dangling", true, &fd), EEXIST);
	/* Not a regular file: a directory, a FIFO (must not hang). */
	assert_int_equal(mkdirat(dfd, "sub", 0700), 0);
	assert_int_equal(numseq__jio_open_file(io, dfd, "sub", false, &fd), NUMSEQ_EBADFILE);
	assert_int_equal(numseq__jio_open_file(io, dfd, "sub", true, &fd), EISDIR);
	assert_int_equal(mkfifoat(dfd, "fifo", 0600), 0);
	assert_int_equal(numseq__jio_open_file(io, dfd, "fifo", false, &fd), NUMSEQ_EBADFILE);
	/* Two names for one file. */
	assert_int_equal(linkat(dfd, "j", dfd, "j2", 0), 0);
	assert_int_equal(numseq__jio_open_file(io, dfd, "j", true, &fd), NUMSEQ_EBADFILE);
	assert_int_equal(unlinkat(dfd, "j2", 0), 0);
	assert_int_equal(numseq__jio_open_file(io, dfd, "j", true, &fd), NUMSEQ_OK);
	close(fd);
}

/* Failures inside the helpers, through the injector. */
static void test_helper_failures(void **state)
{
	(void)state;
	numseq__jfault_t *f;
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	numseq__jio_t *io = numseq__jfault_io(f);
	int fd = -1;
	/* create: the directory fsync fails -> the file is removed again. */
	numseq__jfault_rule_t r = {NUMSEQ__JIO_DIRSYNC, 1, NUMSEQ__FAULT_ERR, EIO, 0, false};
	assert_int_equal(numseq__jfault_add(f, &r), 0);
	assert_int_equal(numseq__jio_create_file(io, dfd, "c", true, &fd), NUMSEQ_EIO);
	assert_false(exists("c"));
	r = (numseq__jfault_rule_t){NUMSEQ__JIO_OPEN, 2, NUMSEQ__FAULT_ERR, ENOSPC, 0, false};
	assert_int_equal(numseq__jfault_add(f, &r), 0);
	assert_int_equal(numseq__jio_create_file(io, dfd, "c", true, &fd), NUMSEQ_ENOSPC);
	assert_int_equal(numseq__jio_create_file(io, dfd, "c", true, &fd), NUMSEQ_OK);
	close(fd);
	/* open_file: fstat fails. */
	r = (numseq__jfault_rule_t){NUMSEQ__JIO_FSTAT, 1, NUMSEQ__FAULT_ERR, EIO, 0, false};
	assert_int_equal(numseq__jfault_add(f, &r), 0);
	assert_int_equal(numseq__jio_open_file(io, dfd, "c", true, &fd), NUMSEQ_EIO);
	assert_int_equal(numseq__jio_open_file(io, dfd, "c", true, &fd), NUMSEQ_OK);
	close(fd);
	/* install: each step failing. */
	for (int step = 1; step <= 3; step++) {
		numseq__jfault_destroy(&f);
		assert_int_equal(numseq__jfault_create(&f, dfd), 0);
		io = numseq__jfault_io(f);
		assert_int_equal(numseq__jio_create_file(io, dfd, "c.tmp", false, &fd), NUMSEQ_OK);
		const int kinds[] = {0, NUMSEQ__JIO_FSYNC, NUMSEQ__JIO_RENAME, NUMSEQ__JIO_DIRSYNC};
		r = (numseq__jfault_rule_t){kinds[step], 1, NUMSEQ__FAULT_ERR, EIO, 0, false};
		assert_int_equal(numseq__jfault_add(f, &r), 0);
		int where = -1;
		assert_int_equal(numseq__jio_install(io, dfd, fd, "c.tmp", "c", &where), -EIO);
		assert_int_equal(where, step);
		assert_int_equal(exists("c.tmp"), step <= 2);
		if (step <= 2)
			assert_int_equal(unlinkat(dfd, "c.tmp", 0), 0);
		close(fd);
	}
	int where = -1;
	assert_int_equal(numseq__jio_create_file(io, dfd, "c.tmp", false, &fd), NUMSEQ_OK);
	assert_int_equal(numseq__jio_install(io, dfd, fd, "c.tmp", "c", &where), 0);
	assert_int_equal(where, 0);
	assert_int_equal(numseq__jio_install(io, dfd, fd, "c.tmp", "c", NULL), -ENOENT);
	close(fd);
	assert_true(exists("c"));
	assert_false(exists("c.tmp"));
	/* remove_tmp: none there (no directory fsync), one there, a failure. */
	uint64_t syncs = numseq__jfault_calls(f, NUMSEQ__JIO_DIRSYNC);
	assert_int_equal(numseq__jio_remove_tmp(io, dfd, "c.tmp"), 0);
	assert_int_equal(numseq__jfault_calls(f, NUMSEQ__JIO_DIRSYNC), syncs);
	put_file("c.tmp", "x", 1);
	assert_int_equal(numseq__jio_remove_tmp(io, dfd, "c.tmp"), 0);
	assert_int_equal(numseq__jfault_calls(f, NUMSEQ__JIO_DIRSYNC), syncs + 1);
	assert_false(exists("c.tmp"));
	put_file("c.tmp", "x", 1);
	r = (numseq__jfault_rule_t){NUMSEQ__JIO_UNLINK, 3, NUMSEQ__FAULT_ERR, EIO, 0, false};
	assert_int_equal(numseq__jfault_add(f, &r), 0);
	assert_int_equal(numseq__jio_remove_tmp(io, dfd, "c.tmp"), -EIO);
	assert_true(exists("c.tmp"));
	/* truncate_sync: shrinks and syncs; each step failing; a length that
	 * off_t cannot hold. */
	assert_int_equal(numseq__jio_open_file(io, dfd, "c.tmp", true, &fd), NUMSEQ_OK);
	assert_int_equal(numseq__jio_pwrite_all(io, fd, "abcdef", 6, 0, NULL), 0);
	syncs = numseq__jfault_calls(f, NUMSEQ__JIO_FSYNC);
	assert_int_equal(numseq__jio_truncate_sync(io, fd, 2), 0);
	assert_int_equal(numseq__jfault_calls(f, NUMSEQ__JIO_FSYNC), syncs + 1);
	expect_content("c.tmp", "ab", 2);
	assert_int_equal(numseq__jio_truncate_sync(io, fd, (uint64_t)INT64_MAX + 1), -EINVAL);
	r = (numseq__jfault_rule_t){NUMSEQ__JIO_FTRUNCATE, 2, NUMSEQ__FAULT_ERR, EIO, 0, false};
	assert_int_equal(numseq__jfault_add(f, &r), 0);
	assert_int_equal(numseq__jio_truncate_sync(io, fd, 1), -EIO);
	expect_content("c.tmp", "ab", 2);
	r = (numseq__jfault_rule_t){NUMSEQ__JIO_FSYNC, syncs + 2, NUMSEQ__FAULT_ERR, EIO, 0, false};
	assert_int_equal(numseq__jfault_add(f, &r), 0);
	assert_int_equal(numseq__jio_truncate_sync(io, fd, 1), -EIO);
	close(fd);
	numseq__jfault_destroy(&f);
}

/* pwrite_all / pread_all over short writes, EINTR, no progress, errors. */
static void test_rw_loops(void **state)
{
	(void)state;
	numseq__jfault_t *f;
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	numseq__jio_t *io = numseq__jfault_io(f);
	int fd;
	assert_int_equal(numseq__jio_create_file(io, dfd, "w", true, &fd), NUMSEQ_OK);
	uint8_t data[1000], back[1000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7 + 1);
	numseq__jfault_rule_t rules[] = {
		{NUMSEQ__JIO_PWRITE, 1, NUMSEQ__FAULT_SHORT, 0, 10, false},
		{NUMSEQ__JIO_PWRITE, 2, NUMSEQ__FAULT_ERR, EINTR, 0, false},
		{NUMSEQ__JIO_PWRITE, 3, NUMSEQ__FAULT_SHORT, 0, 5000, false}, /* clamped to n-1 */
		{NUMSEQ__JIO_PREAD, 1, NUMSEQ__FAULT_ERR, EINTR, 0, false},
	};
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(numseq__jfault_add(f, &rules[i]), 0);
	size_t done = 0, got = 0;
	assert_int_equal(numseq__jio_pwrite_all(io, fd, data, sizeof data, 100, &done), 0);
	assert_int_equal(done, sizeof data);
	assert_int_equal(numseq__jfault_calls(f, NUMSEQ__JIO_PWRITE), 4);
	assert_int_equal(numseq__jio_pread_all(io, fd, back, sizeof back, 100, &got), 0);
	assert_int_equal(got, sizeof back);
	assert_memory_equal(back, data, sizeof data);
	/* Reading past the end stops at the end. */
	assert_int_equal(numseq__jio_pread_all(io, fd, back, sizeof back, 600, &got), 0);
	assert_int_equal(got, 500);
	/* ENOSPC after a partial write: the count of what was written. */
	rules[0] =
		(numseq__jfault_rule_t){NUMSEQ__JIO_PWRITE, 5, NUMSEQ__FAULT_SHORT, 0, 300, false};
	rules[1] =
		(numseq__jfault_rule_t){NUMSEQ__JIO_PWRITE, 6, NUMSEQ__FAULT_ERR, ENOSPC, 0, true};
	assert_int_equal(numseq__jfault_add(f, &rules[0]), 0);
	assert_int_equal(numseq__jfault_add(f, &rules[1]), 0);
	assert_int_equal(numseq__jio_pwrite_all(io, fd, data, sizeof data, 2000, &done), -ENOSPC);
	assert_int_equal(done, 300);
	assert_int_equal(numseq__jio_pwrite_all(io, fd, data, 1, 0, NULL),
	                 -ENOSPC); /* persistent */
	numseq__jfault_destroy(&f);
	/* No progress: a write that returns 0. */
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	io = numseq__jfault_io(f);
	rules[0] = (numseq__jfault_rule_t){NUMSEQ__JIO_PWRITE, 1, NUMSEQ__FAULT_SHORT, 0, 0, false};
	assert_int_equal(numseq__jfault_add(f, &rules[0]), 0);
	assert_int_equal(numseq__jio_pwrite_all(io, fd, data, 10, 0, &done), -ENOSPC);
	assert_int_equal(done, 0);
	/* An offset past what off_t holds. */
	assert_int_equal(numseq__jio_pwrite_all(io, fd, data, 10, (uint64_t)INT64_MAX + 1, &done),
	                 -EFBIG);
	/* A read error. */
	rules[0] = (numseq__jfault_rule_t){NUMSEQ__JIO_PREAD, 1, NUMSEQ__FAULT_ERR, EIO, 0, false};
	assert_int_equal(numseq__jfault_add(f, &rules[0]), 0);
	assert_int_equal(numseq__jio_pread_all(io, fd, back, 10, 0, &got), -EIO);
	assert_int_equal(got, 0);
	/* write(2) through the table, and a short one. */
	rules[0] = (numseq__jfault_rule_t){NUMSEQ__JIO_WRITE, 1, NUMSEQ__FAULT_SHORT, 0, 3, false};
	assert_int_equal(numseq__jfault_add(f, &rules[0]), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(io->write(io, fd, "hello", 5), 3);
	assert_int_equal(io->write(io, fd, "lo", 2), 2);
	assert_int_equal(numseq__jfault_calls(f, NUMSEQ__JIO_ANY_WRITE), 3);
	assert_int_equal(numseq__jfault_calls(f, NUMSEQ__JIO_WRITE), 2);
	assert_int_equal(pread(fd, back, 5, 0), 5);
	assert_memory_equal(back, "hello", 5);
	close(fd);
	numseq__jfault_destroy(&f);
}

/* ------------------------------------------------------------- lock */

/* In a child: try the lock; exit status 0 = got it, 1 = ELOCKED, 2 other. */
static int child_try_lock(void)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int lfd;
		int rc = numseq__jio_lock_file(numseq__jio_posix(), dfd, "j", &lfd);
		_exit(rc == NUMSEQ_OK ? 0 : rc == NUMSEQ_ELOCKED ? 1 : 2);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void lock_suite(void)
{
	numseq__jio_t *io = numseq__jio_posix();
	int a = -1, b = -1;
	assert_int_equal(numseq__jio_lock_file(io, dfd, "j", &a), NUMSEQ_OK);
	assert_true(a >= 3);
	/* The same process, a second open: refused. */
	assert_int_equal(numseq__jio_lock_file(io, dfd, "j", &b), NUMSEQ_ELOCKED);
	/* A forked child (which shares the holder's fd) opening anew: refused. */
	assert_int_equal(child_try_lock(), 1);
	/* The lock file holds the owner's pid. */
	char want[32];
	snprintf(want, sizeof want, "%ld\n", (long)getpid());
	expect_content("j.lock", want, strlen(want));
	/* Compaction renames the journal, never the lock file: still held. */
	put_file("j.tmp", "new", 3);
	assert_int_equal(renameat(dfd, "j.tmp", dfd, "j"), 0);
	assert_int_equal(numseq__jio_lock_file(io, dfd, "j", &b), NUMSEQ_ELOCKED);
	assert_int_equal(child_try_lock(), 1);
	/* Closing releases it, for this process and others. */
	close(a);
	assert_int_equal(child_try_lock(), 0);
	assert_int_equal(numseq__jio_lock_file(io, dfd, "j", &b), NUMSEQ_OK);
	close(b);
	/* A holder killed by SIGKILL releases it. */
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int lfd;
		char c = numseq__jio_lock_file(io, dfd, "j", &lfd) == NUMSEQ_OK ? 'y' : 'n';
		(void)write(pfd[1], &c, 1);
		for (;;)
			pause();
	}
	char c = 0;
	assert_int_equal(read(pfd[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	assert_int_equal(numseq__jio_lock_file(io, dfd, "j", &b), NUMSEQ_ELOCKED);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(numseq__jio_lock_file(io, dfd, "j", &b), NUMSEQ_OK);
	close(b);
	close(pfd[0]);
	close(pfd[1]);
}

static void test_lock_ofd(void **state)
{
	(void)state;
	numseq__jio_posix_lock_mode(0);
	lock_suite();
}

static void test_lock_flock(void **state)
{
	(void)state;
	numseq__jio_posix_lock_mode(1);
	lock_suite();
	numseq__jio_posix_lock_mode(0);
}

static void test_lock_hygiene(void **state)
{
	(void)state;
	numseq__jio_t *io = numseq__jio_posix();
	int fd = -1;
	/* The lock file as a symbolic link: refused, never followed. */
	assert_int_equal(symlinkat("elsewhere", dfd, "s.lock"), 0);
	assert_int_equal(numseq__jio_lock_file(io, dfd, "s", &fd), NUMSEQ_ESYMLINK);
	assert_false(exists("elsewhere"));
	/* A directory, a file with two links. */
	assert_int_equal(mkdirat(dfd, "d.lock", 0700), 0);
	assert_int_equal(numseq__jio_lock_file(io, dfd, "d", &fd), EISDIR);
	put_file("h.lock", "", 0);
	assert_int_equal(linkat(dfd, "h.lock", dfd, "h2", 0), 0);
	assert_int_equal(numseq__jio_lock_file(io, dfd, "h", &fd), NUMSEQ_EBADFILE);
	/* A name too long for the suffix. */
	char name[NAME_MAX + 1];
	memset(name, 'n', NAME_MAX);
	name[NAME_MAX] = '\0';
	assert_int_equal(numseq__jio_lock_file(io, dfd, name, &fd), ENAMETOOLONG);
	/* 0600. */
	assert_int_equal(numseq__jio_lock_file(io, dfd, "m", &fd), NUMSEQ_OK);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	close(fd);
	/* The lock call failing, the pid write failing (still locked). */
	numseq__jfault_t *f;
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	numseq__jfault_rule_t r = {NUMSEQ__JIO_LOCK, 1, NUMSEQ__FAULT_ERR, EIO, 0, false};
	assert_int_equal(numseq__jfault_add(f, &r), 0);
	assert_int_equal(numseq__jio_lock_file(numseq__jfault_io(f), dfd, "m", &fd), NUMSEQ_EIO);
	r = (numseq__jfault_rule_t){NUMSEQ__JIO_FTRUNCATE, 1, NUMSEQ__FAULT_ERR, EIO, 0, false};
	assert_int_equal(numseq__jfault_add(f, &r), 0);
	assert_int_equal(numseq__jio_lock_file(numseq__jfault_io(f), dfd, "m", &fd), NUMSEQ_OK);
	int g;
	assert_int_equal(numseq__jio_lock_file(io, dfd, "m", &g), NUMSEQ_ELOCKED);
	close(fd);
	r = (numseq__jfault_rule_t){NUMSEQ__JIO_OPEN, 3, NUMSEQ__FAULT_ERR, EMFILE, 0, false};
	assert_int_equal(numseq__jfault_add(f, &r), 0);
	assert_int_equal(numseq__jio_lock_file(numseq__jfault_io(f), dfd, "m", &fd), EMFILE);
	numseq__jfault_destroy(&f);
}

/* ---------------------------------------------------- fault injector */

static void test_fault_rules(void **state)
{
	(void)state;
	numseq__jfault_t *f;
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	numseq__jio_t *io = numseq__jfault_io(f);
	numseq__jfault_rule_t r = {NUMSEQ__JIO_PWRITE, 0, NUMSEQ__FAULT_ERR, EIO, 0, false};
	assert_int_equal(numseq__jfault_add(f, &r), -EINVAL); /* nth 0 */
	r.nth = 1;
	r.kind = NUMSEQ__JIO_NKINDS;
	assert_int_equal(numseq__jfault_add(f, &r), -EINVAL);
	r.kind = -1;
	assert_int_equal(numseq__jfault_add(f, &r), -EINVAL);
	r.kind = NUMSEQ__JIO_PWRITE;
	r.action = 0;
	assert_int_equal(numseq__jfault_add(f, &r), -EINVAL);
	r.action = NUMSEQ__FAULT_CRASH + 1;
	assert_int_equal(numseq__jfault_add(f, &r), -EINVAL);
	r.action = NUMSEQ__FAULT_ERR;
	r.err = 0;
	assert_int_equal(numseq__jfault_add(f, &r), -EINVAL);
	assert_int_equal(numseq__jfault_calls(f, -1), 0);
	assert_int_equal(numseq__jfault_calls(f, NUMSEQ__JIO_NKINDS), 0);

	/* The 2nd pwrite fails with EIO and writes nothing; the 3rd is fine;
	 * a persistent EDQUOT from the 4th on; the first matching rule wins. */
	numseq__jfault_rule_t rs[] = {
		{NUMSEQ__JIO_PWRITE, 2, NUMSEQ__FAULT_ERR, EIO, 0, false},
		{NUMSEQ__JIO_PWRITE, 4, NUMSEQ__FAULT_ERR, EDQUOT, 0, true},
		{NUMSEQ__JIO_PWRITE, 5, NUMSEQ__FAULT_ERR, ENOSPC, 0, false}, /* shadowed */
		{NUMSEQ__JIO_ANY, 3, NUMSEQ__FAULT_ERR, ENXIO, 0, false},     /* the 3rd call */
	};
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(numseq__jfault_add(f, &rs[i]), 0);
	int fd;
	/* call 1: open; 2: dirsync */
	assert_int_equal(numseq__jio_create_file(io, dfd, "x", true, &fd), NUMSEQ_OK);
	assert_int_equal(io->pwrite(io, fd, "a", 1, 0), -ENXIO); /* ANY #3 */
	assert_int_equal(io->pwrite(io, fd, "b", 1, 0), -EIO);   /* PWRITE #2 */
	expect_content("x", "", 0);
	assert_int_equal(io->pwrite(io, fd, "c", 1, 0), 1);
	assert_int_equal(io->pwrite(io, fd, "d", 1, 0), -EDQUOT);
	assert_int_equal(io->pwrite(io, fd, "e", 1, 0), -EDQUOT);
	assert_int_equal(io->pwrite(io, fd, "f", 1, 0), -EDQUOT);
	expect_content("x", "c", 1);
	assert_int_equal(numseq__jfault_calls(f, NUMSEQ__JIO_PWRITE), 6);
	assert_int_equal(numseq__jfault_calls(f, NUMSEQ__JIO_OPEN), 1);
	assert_int_equal(numseq__jfault_calls(f, NUMSEQ__JIO_DIRSYNC), 1);
	assert_int_equal(numseq__jfault_calls(f, NUMSEQ__JIO_ANY_SYNC), 1);
	assert_int_equal(numseq__jfault_calls(f, NUMSEQ__JIO_ANY), 8);
	assert_false(numseq__jfault_crashed(f));
	/* Every kind can fail, and a failed call does nothing. */
	numseq__jfault_destroy(&f);
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	io = numseq__jfault_io(f);
	const int kinds[] = {NUMSEQ__JIO_OPEN,   NUMSEQ__JIO_PREAD,     NUMSEQ__JIO_FDATASYNC,
	                     NUMSEQ__JIO_FSYNC,  NUMSEQ__JIO_RENAME,    NUMSEQ__JIO_FTRUNCATE,
	                     NUMSEQ__JIO_UNLINK, NUMSEQ__JIO_FSTAT,     NUMSEQ__JIO_LOCK,
	                     NUMSEQ__JIO_CLOSE,  NUMSEQ__JIO_ANY_WRITE, NUMSEQ__JIO_ANY_SYNC};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		r = (numseq__jfault_rule_t){kinds[i], 1, NUMSEQ__FAULT_ERR, EIO, 0, false};
		assert_int_equal(numseq__jfault_add(f, &r), 0);
	}
	struct stat st;
	uint8_t b[4];
	assert_int_equal(io->openat(io, dfd, "x", O_RDWR | O_CLOEXEC, 0), -EIO);
	fd = io->openat(io, dfd, "x", O_RDWR | O_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(io->pread(io, fd, b, 1, 0), -EIO);
	assert_int_equal(io->pread(io, fd, b, 1, 0), 1);
	assert_int_equal(io->fdatasync(io, fd), -EIO); /* ANY_SYNC #1 and FDATASYNC #1 */
	assert_int_equal(io->fsync(io, fd), -EIO);
	assert_int_equal(io->renameat(io, dfd, "x", dfd, "y"), -EIO);
	assert_true(exists("x"));
	assert_int_equal(io->ftruncate(io, fd, 0), -EIO);
	expect_content("x", "c", 1);
	assert_int_equal(io->unlinkat(io, dfd, "x", 0), -EIO);
	assert_true(exists("x"));
	assert_int_equal(io->fstat(io, fd, &st), -EIO);
	assert_int_equal(io->fstat(io, fd, &st), 0);
	assert_int_equal(io->lock(io, fd), -EIO);
	assert_int_equal(io->pwrite(io, fd, "z", 1, 0), -EIO);
	assert_int_equal(io->pwrite(io, fd, "z", 1, 0), 1);
	assert_int_equal(io->close(io, fd), -EIO);
	assert_int_equal(fcntl(fd, F_GETFD), -1); /* closed anyway */
	numseq__jfault_destroy(&f);
	numseq__jfault_destroy(&f); /* NULL: nothing */
	numseq__jfault_destroy(NULL);
	/* At most 32 rules. */
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	r = (numseq__jfault_rule_t){NUMSEQ__JIO_PWRITE, 100, NUMSEQ__FAULT_ERR, EIO, 0, false};
	for (int i = 0; i < 32; i++)
		assert_int_equal(numseq__jfault_add(f, &r), 0);
	assert_int_equal(numseq__jfault_add(f, &r), -ENOSPC);
	numseq__jfault_destroy(&f);
	/* A bad directory fd. */
	assert_int_equal(numseq__jfault_create(&f, -1), -EBADF);
}

static numseq__jfault_fate_t fate(int data, size_t torn, bool keep_names)
{
	numseq__jfault_fate_t x = {data, torn, keep_names};
	return x;
}

/* Writes "synced" + fdatasync, then "+unsynced" without a sync. */
static numseq__jfault_t *two_phase(const char *name, bool dirsync)
{
	numseq__jfault_t *f;
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	numseq__jio_t *io = numseq__jfault_io(f);
	int fd;
	assert_int_equal(numseq__jio_create_file(io, dfd, name, dirsync, &fd), NUMSEQ_OK);
	assert_int_equal(numseq__jio_pwrite_all(io, fd, "synced", 6, 0, NULL), 0);
	assert_int_equal(io->fdatasync(io, fd), 0);
	assert_int_equal(numseq__jio_pwrite_all(io, fd, "+unsynced", 9, 6, NULL), 0);
	expect_content(name, "synced+unsynced", 15); /* what the process sees */
	assert_int_equal(io->close(io, fd), 0);
	return f;
}

static void test_crash_fates(void **state)
{
	(void)state;
	numseq__jfault_t *f;
	numseq__jfault_fate_t fates[] = {
		fate(NUMSEQ__FATE_DROP, 0, false), fate(NUMSEQ__FATE_KEEP, 0, false),
		fate(NUMSEQ__FATE_TORN, 4, false), fate(NUMSEQ__FATE_TORN, 100, false),
		fate(NUMSEQ__FATE_ZERO, 0, false),
	};
	const char *want[] = {"synced", "synced+unsynced", "synced+uns", "synced+unsynced", NULL};
	for (size_t i = 0; i < 5; i++) {
		f = two_phase("a", true);
		assert_int_equal(numseq__jfault_replay(f, &fates[i]), 0);
		size_t n;
		uint8_t *b = slurp("a", &n);
		assert_non_null(b);
		if (i == 4) {
			assert_int_equal(n, 15);
			assert_memory_equal(b, "synced", 6);
			for (size_t k = 6; k < 15; k++)
				assert_int_equal(b[k], 0);
		} else {
			assert_int_equal(n, strlen(want[i]));
			assert_memory_equal(b, want[i], n);
		}
		free(b);
		numseq__jfault_destroy(&f);
		assert_int_equal(unlinkat(dfd, "a", 0), 0);
	}
	/* A file whose creation was never made durable by a directory fsync
	 * is gone after a power loss, synced data or not; kept if names are. */
	f = two_phase("b", false);
	assert_int_equal(numseq__jfault_replay(f, &fates[0]), 0);
	assert_false(exists("b"));
	numseq__jfault_destroy(&f);
	f = two_phase("b", false);
	numseq__jfault_fate_t keep_names = fate(NUMSEQ__FATE_DROP, 0, true);
	assert_int_equal(numseq__jfault_replay(f, &keep_names), 0);
	expect_content("b", "synced", 6);
	numseq__jfault_destroy(&f);
}

static void test_crash_namespace(void **state)
{
	(void)state;
	numseq__jfault_t *f;
	numseq__jio_t *io;
	numseq__jfault_fate_t drop = fate(NUMSEQ__FATE_DROP, 0, false);
	int fd;
	/* Files there before the injector are durable. */
	put_file("old", "OLD", 3);
	put_file("gone", "G", 1);
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	io = numseq__jfault_io(f);
	/* A rename over "old" and an unlink, neither dirsynced: undone. */
	assert_int_equal(numseq__jio_create_file(io, dfd, "new", false, &fd), NUMSEQ_OK);
	assert_int_equal(numseq__jio_pwrite_all(io, fd, "NEW", 3, 0, NULL), 0);
	assert_int_equal(io->fsync(io, fd), 0);
	fd = io->openat(io, dfd, "gone", O_RDONLY | O_CLOEXEC, 0); /* learn about it */
	assert_true(fd >= 0);
	assert_int_equal(io->close(io, fd), 0);
	assert_int_equal(io->renameat(io, dfd, "new", dfd, "old"), 0);
	assert_int_equal(io->unlinkat(io, dfd, "gone", 0), 0);
	expect_content("old", "NEW", 3);
	assert_false(exists("gone"));
	assert_int_equal(numseq__jfault_replay(f, &drop), 0);
	expect_content("old", "OLD", 3);
	expect_content("gone", "G", 1);
	assert_false(exists("new"));
	/* The same, dirsynced: they stay. */
	assert_int_equal(numseq__jio_create_file(io, dfd, "new", false, &fd), NUMSEQ_OK);
	assert_int_equal(numseq__jio_pwrite_all(io, fd, "NEW", 3, 0, NULL), 0);
	assert_int_equal(numseq__jio_install(io, dfd, fd, "new", "old", NULL), 0);
	assert_int_equal(io->close(io, fd), 0);
	assert_int_equal(io->unlinkat(io, dfd, "gone", 0), 0);
	assert_int_equal(io->dirsync(io, dfd), 0);
	assert_int_equal(numseq__jfault_replay(f, &drop), 0);
	expect_content("old", "NEW", 3);
	assert_false(exists("gone"));
	assert_false(exists("new"));
	/* Renamed, dirsynced, but the data never synced: the name is there,
	 * its content is what was synced (nothing) - why install fsyncs first. */
	assert_int_equal(numseq__jio_create_file(io, dfd, "t", false, &fd), NUMSEQ_OK);
	assert_int_equal(numseq__jio_pwrite_all(io, fd, "DATA", 4, 0, NULL), 0);
	assert_int_equal(io->renameat(io, dfd, "t", dfd, "old"), 0);
	assert_int_equal(io->dirsync(io, dfd), 0);
	assert_int_equal(io->close(io, fd), 0);
	assert_int_equal(numseq__jfault_replay(f, &drop), 0);
	expect_content("old", "", 0);
	/* Untracked: names with a '/', files in other directories. */
	assert_int_equal(mkdirat(dfd, "sub", 0700), 0);
	fd = io->openat(io, dfd, "sub/f", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(io->pwrite(io, fd, "S", 1, 0), 1);
	assert_int_equal(io->fdatasync(io, fd), 0);
	assert_int_equal(io->renameat(io, dfd, "sub/f", dfd, "sub/g"), 0);
	assert_int_equal(io->close(io, fd), 0);
	int sub = openat(dfd, "sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = io->openat(io, sub, "h", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(io->dirsync(io, sub), 0);
	assert_int_equal(io->unlinkat(io, sub, "h", 0), 0);
	assert_int_equal(io->close(io, fd), 0);
	fd = io->openat(io, dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0); /* a directory */
	assert_true(fd >= 0);
	assert_int_equal(io->dirsync(io, fd), 0); /* the same directory by another fd */
	assert_int_equal(io->close(io, fd), 0);
	close(sub);
	assert_int_equal(numseq__jfault_replay(f, &drop), 0);
	assert_true(exists("sub/g"));
	expect_content("old", "", 0);
	numseq__jfault_destroy(&f);
}

/* fsyncgate: a failed fsync loses the data written before it, although the
 * process still reads it back, and a retried fsync "succeeds".  A writer
 * that retries and trusts is caught by the replay. */
static void test_crash_fsyncgate(void **state)
{
	(void)state;
	numseq__jfault_t *f;
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	numseq__jio_t *io = numseq__jfault_io(f);
	int fd;
	assert_int_equal(numseq__jio_create_file(io, dfd, "g", true, &fd), NUMSEQ_OK);
	assert_int_equal(numseq__jio_pwrite_all(io, fd, "AAAA", 4, 0, NULL), 0);
	assert_int_equal(io->fdatasync(io, fd), 0);
	numseq__jfault_rule_t r = {NUMSEQ__JIO_FDATASYNC, 2, NUMSEQ__FAULT_ERR, EIO, 0, false};
	assert_int_equal(numseq__jfault_add(f, &r), 0);
	assert_int_equal(numseq__jio_pwrite_all(io, fd, "BBBB", 4, 4, NULL), 0);
	assert_int_equal(io->fdatasync(io, fd), -EIO);
	assert_int_equal(io->fdatasync(io, fd), 0); /* the retry "works" */
	expect_content("g", "AAAABBBB", 8);         /* and reads look fine */
	assert_int_equal(numseq__jio_pwrite_all(io, fd, "CCCC", 4, 8, NULL), 0);
	r = (numseq__jfault_rule_t){NUMSEQ__JIO_FSYNC, 1, NUMSEQ__FAULT_ERR, EIO, 0, false};
	assert_int_equal(numseq__jfault_add(f, &r), 0);
	assert_int_equal(io->fsync(io, fd), -EIO); /* a second failure widens the lost range */
	assert_int_equal(numseq__jio_pwrite_all(io, fd, "DDDD", 4, 12, NULL), 0);
	assert_int_equal(io->fsync(io, fd), 0);
	assert_int_equal(io->close(io, fd), 0);
	numseq__jfault_fate_t drop = fate(NUMSEQ__FATE_DROP, 0, false);
	assert_int_equal(numseq__jfault_replay(f, &drop), 0);
	size_t n;
	uint8_t *b = slurp("g", &n);
	assert_int_equal(n, 16);
	assert_memory_equal(b, "AAAA\0\0\0\0\0\0\0\0DDDD", 16);
	free(b);
	/* With a torn fate, lost bytes past the synced length stay lost. */
	assert_int_equal(numseq__jio_open_file(io, dfd, "g", true, &fd), NUMSEQ_OK);
	r = (numseq__jfault_rule_t){NUMSEQ__JIO_FDATASYNC, 1, NUMSEQ__FAULT_ERR, EIO, 0, false};
	assert_int_equal(numseq__jfault_add(f, &r), 0);
	assert_int_equal(numseq__jio_pwrite_all(io, fd, "EEEE", 4, 16, NULL), 0);
	assert_int_equal(io->fdatasync(io, fd), -EIO);
	assert_int_equal(numseq__jio_pwrite_all(io, fd, "FF", 2, 20, NULL), 0);
	assert_int_equal(io->close(io, fd), 0);
	numseq__jfault_fate_t torn = fate(NUMSEQ__FATE_TORN, 100, false);
	assert_int_equal(numseq__jfault_replay(f, &torn), 0);
	b = slurp("g", &n);
	assert_int_equal(n, 22);
	assert_memory_equal(b + 16, "\0\0\0\0FF", 6);
	free(b);
	numseq__jfault_destroy(&f);
}

/* A CRASH rule: the call is not done (a write first writes its torn
 * prefix), everything after fails, close still closes. */
static void test_crash_rule(void **state)
{
	(void)state;
	numseq__jfault_t *f;
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	numseq__jio_t *io = numseq__jfault_io(f);
	int fd, lfd;
	assert_int_equal(numseq__jio_lock_file(io, dfd, "c", &lfd), NUMSEQ_OK);
	assert_int_equal(numseq__jio_create_file(io, dfd, "c", true, &fd), NUMSEQ_OK);
	numseq__jfault_rule_t r = {NUMSEQ__JIO_PWRITE, 3, NUMSEQ__FAULT_CRASH, 0, 2, false};
	assert_int_equal(numseq__jfault_add(f, &r), 0); /* the lock's pid write was pwrite 1 */
	assert_int_equal(io->pwrite(io, fd, "abc", 3, 0), 3);
	assert_int_equal(io->pwrite(io, fd, "def", 3, 3), -EIO);
	assert_true(numseq__jfault_crashed(f));
	expect_content("c", "abcde", 5); /* torn: 2 of 3 bytes */
	struct stat st;
	uint8_t x;
	assert_int_equal(io->pwrite(io, fd, "g", 1, 5), -EIO);
	assert_int_equal(io->write(io, fd, "g", 1), -EIO);
	assert_int_equal(io->pread(io, fd, &x, 1, 0), -EIO);
	assert_int_equal(io->fdatasync(io, fd), -EIO);
	assert_int_equal(io->fsync(io, fd), -EIO);
	assert_int_equal(io->dirsync(io, dfd), -EIO);
	assert_int_equal(io->fstat(io, fd, &st), -EIO);
	assert_int_equal(io->ftruncate(io, fd, 0), -EIO);
	assert_int_equal(io->renameat(io, dfd, "c", dfd, "d"), -EIO);
	assert_int_equal(io->unlinkat(io, dfd, "c", 0), -EIO);
	assert_int_equal(io->openat(io, dfd, "c", O_RDONLY, 0), -EIO);
	assert_int_equal(io->lock(io, fd), -EIO);
	expect_content("c", "abcde", 5);
	/* The dead process's lock goes with its fds. */
	assert_int_equal(io->close(io, lfd), 0);
	assert_int_equal(fcntl(lfd, F_GETFD), -1);
	assert_int_equal(numseq__jio_lock_file(numseq__jio_posix(), dfd, "c", &lfd), NUMSEQ_OK);
	close(lfd);
	assert_int_equal(io->close(io, fd), 0);
	/* Power loss: nothing of "c" was synced. */
	numseq__jfault_fate_t drop = fate(NUMSEQ__FATE_DROP, 0, false);
	assert_int_equal(numseq__jfault_replay(f, &drop), 0);
	expect_content("c", "", 0);
	assert_false(numseq__jfault_crashed(f));
	assert_int_equal(numseq__jfault_calls(f, NUMSEQ__JIO_ANY), 0);
	/* Crash on open, on a sync, and by hand. */
	r = (numseq__jfault_rule_t){NUMSEQ__JIO_OPEN, 1, NUMSEQ__FAULT_CRASH, 0, 0, false};
	assert_int_equal(numseq__jfault_add(f, &r), 0);
	assert_int_equal(numseq__jio_open_file(io, dfd, "c", true, &fd), NUMSEQ_EIO);
	assert_true(numseq__jfault_crashed(f));
	assert_int_equal(numseq__jfault_replay(f, &drop), 0);
	r = (numseq__jfault_rule_t){NUMSEQ__JIO_ANY_SYNC, 1, NUMSEQ__FAULT_CRASH, 0, 0, false};
	assert_int_equal(numseq__jfault_add(f, &r), 0);
	assert_int_equal(numseq__jio_open_file(io, dfd, "c", true, &fd), NUMSEQ_OK);
	assert_int_equal(io->write(io, fd, "zz", 2), 2);
	assert_int_equal(io->fsync(io, fd), -EIO);
	assert_true(numseq__jfault_crashed(f));
	assert_int_equal(io->close(io, fd), 0);
	numseq__jfault_fate_t keep = fate(NUMSEQ__FATE_KEEP, 0, false);
	assert_int_equal(numseq__jfault_replay(f, &keep), 0);
	expect_content("c", "zz", 2);
	numseq__jfault_crash(f);
	assert_true(numseq__jfault_crashed(f));
	assert_int_equal(numseq__jfault_replay(f, &drop), 0);
	expect_content("c", "zz", 2); /* the replay made "zz" durable */
	/* A torn write(2) at the crash. */
	r = (numseq__jfault_rule_t){NUMSEQ__JIO_WRITE, 1, NUMSEQ__FAULT_CRASH, 0, 1, false};
	assert_int_equal(numseq__jfault_add(f, &r), 0);
	assert_int_equal(numseq__jio_open_file(io, dfd, "c", true, &fd), NUMSEQ_OK);
	assert_int_equal(lseek(fd, 0, SEEK_END), 2);
	assert_int_equal(io->write(io, fd, "yy", 2), -EIO);
	assert_int_equal(io->close(io, fd), 0);
	assert_int_equal(numseq__jfault_replay(f, &keep), 0);
	expect_content("c", "zzy", 3);
	/* A file opened write-only is still read for the model on sync. */
	fd = io->openat(io, dfd, "c", O_WRONLY | O_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(io->pwrite(io, fd, "Q", 1, 0), 1);
	assert_int_equal(io->fdatasync(io, fd), 0);
	assert_int_equal(io->close(io, fd), 0);
	assert_int_equal(numseq__jfault_replay(f, &drop), 0);
	expect_content("c", "Qzy", 3);
	numseq__jfault_destroy(&f);
}

/* ------------------------------------------- the journal's protocols */

#define FID1 UINT64_C(0xabc1)
#define FID2 UINT64_C(0xabc2)

static numseq__jopts_t opts(void)
{
	numseq__jopts_t o;
	memset(&o, 0, sizeof o);
	o.type = NUMSEQ_BIGINT;
	o.start = 1;
	o.increment = 1;
	o.minvalue = 1;
	o.maxvalue = 1000000;
	o.cache = 1;
	o.claims = NUMSEQ_CLAIMS_SEQUENCE;
	o.name_len = 1;
	o.name[0] = 'j';
	return o;
}

/* Header + base (OPTIONS, or a SNAPSHOT claiming 1..claimed) into b. */
static size_t base_bytes(uint8_t *b, uint64_t fid, uint64_t base_lsn, uint64_t claimed)
{
	numseq__jopts_t o = opts();
	numseq__jhdr_t h = {NUMSEQ__JF_VERSION, 0, numseq__jf_fingerprint(&o), fid, base_lsn, 0, 0};
	assert_int_equal(numseq__jf_header_encode(&h, b), NUMSEQ_OK);
	size_t n = NUMSEQ__JF_HDR_LEN, len;
	numseq__jrec_t r = {.type = NUMSEQ__JF_OPTIONS,
	                    .lsn = base_lsn,
	                    .durable_lsn = base_lsn - 1,
	                    .opts = o};
	if (claimed > 0) {
		r.type = NUMSEQ__JF_SNAPSHOT;
		r.state = (numseq__jstate_t){100, 0, true, 0};
		r.window = 16;
		r.snap.claimed = claimed;
		r.snap.run_chunks = 1;
	}
	assert_int_equal(numseq__jf_encode(&r, fid, b + n, 4096, &len), NUMSEQ_OK);
	n += len;
	if (claimed > 0) {
		numseq__jrun_t run = {1, claimed};
		numseq__jrec_t c = {.type = NUMSEQ__JF_SNAPSHOT_RUNS,
		                    .lsn = base_lsn + 1,
		                    .durable_lsn = base_lsn - 1};
		c.runs.nruns = 1;
		c.runs.runs = &run;
		assert_int_equal(numseq__jf_encode(&c, fid, b + n, 4096, &len), NUMSEQ_OK);
		n += len;
	}
	return n;
}

struct verdict {
	int rc;
	numseq__jscan_t s;
	bool present;
};

static struct verdict scan_name(const char *name)
{
	struct verdict v;
	memset(&v, 0, sizeof v);
	int fd;
	if (numseq__jio_open_file(numseq__jio_posix(), dfd, name, false, &fd) != NUMSEQ_OK)
		return v;
	v.present = true;
	v.rc = numseq__jf_scan_fd(numseq__jio_posix(), fd, NULL, NULL, NULL, &v.s);
	close(fd);
	return v;
}

static void reset_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			rm_tree(dirfd(d), e->d_name);
	if (d != NULL)
		closedir(d);
}

static const numseq__jfault_fate_t all_fates[] = {
	{NUMSEQ__FATE_DROP, 0, false}, {NUMSEQ__FATE_DROP, 0, true},  {NUMSEQ__FATE_KEEP, 0, true},
	{NUMSEQ__FATE_TORN, 5, false}, {NUMSEQ__FATE_TORN, 40, true}, {NUMSEQ__FATE_ZERO, 0, false},
};
#define NFATES (sizeof all_fates / sizeof all_fates[0])

static uint64_t crash_states; /* reported at the end */

/* Creation: write header + base to "j.tmp", install it as "j".  Returns
 * whether the creation was acknowledged (install returned 0). */
static bool create_workload(numseq__jio_t *io)
{
	uint8_t b[4096];
	size_t n = base_bytes(b, FID1, 1, 0);
	int fd;
	if (numseq__jio_remove_tmp(io, dfd, "j.tmp") != 0)
		return false;
	if (numseq__jio_create_file(io, dfd, "j.tmp", false, &fd) != NUMSEQ_OK)
		return false;
	bool ok = numseq__jio_pwrite_all(io, fd, b, n, 0, NULL) == 0 &&
	          numseq__jio_install(io, dfd, fd, "j.tmp", "j", NULL) == 0;
	(void)io->close(io, fd);
	return ok;
}

static void test_protocol_create(void **state)
{
	(void)state;
	uint64_t calls;
	numseq__jfault_t *f;
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	assert_true(create_workload(numseq__jfault_io(f)));
	calls = numseq__jfault_calls(f, NUMSEQ__JIO_ANY);
	numseq__jfault_destroy(&f);
	for (size_t fi = 0; fi < NFATES; fi++)
		for (uint64_t k = 1; k <= calls + 1; k++) {
			reset_dir();
			assert_int_equal(numseq__jfault_create(&f, dfd), 0);
			numseq__jfault_rule_t r =
				{NUMSEQ__JIO_ANY, k, NUMSEQ__FAULT_CRASH, 0, 17, false};
			assert_int_equal(numseq__jfault_add(f, &r), 0);
			bool acked = create_workload(numseq__jfault_io(f));
			assert_int_equal(numseq__jfault_replay(f, &all_fates[fi]), 0);
			numseq__jfault_destroy(&f);
			crash_states++;
			struct verdict v = scan_name("j");
			/* Either no journal (never acknowledged) or a whole one. */
			if (acked && !v.present)
				fail_msg("create acknowledged, journal gone (crash at call %" PRIu64
				         ", fate %zu)",
				         k, fi);
			if (v.present && (v.rc != NUMSEQ_OK || v.s.verdict != NUMSEQ__JV_CLEAN))
				fail_msg("crash at call %" PRIu64 " fate %zu: journal %d (%s)", k,
				         fi, v.rc, numseq__jf_reason_str(v.s.reason));
		}
}

/* Appends batches of two CLAIM records, each with one pwrite and one
 * fdatasync; acknowledges a batch once its fdatasync returned.  Stops at
 * the first failure (fail-stop).  Returns the number of acknowledged
 * records. */
static uint64_t append_workload(numseq__jio_t *io, int batches)
{
	int fd;
	uint64_t acked = 0;
	if (numseq__jio_open_file(io, dfd, "j", true, &fd) != NUMSEQ_OK)
		return 0;
	numseq__jscan_t s;
	if (numseq__jf_scan_fd(io, fd, NULL, NULL, NULL, &s) != NUMSEQ_OK) {
		(void)io->close(io, fd);
		return 0;
	}
	uint64_t end = s.end, lsn = s.next_lsn, durable = s.last_lsn;
	if (s.torn && numseq__jio_truncate_sync(io, fd, end) != 0) {
		(void)io->close(io, fd);
		return 0;
	}
	for (int i = 0; i < batches; i++) {
		uint8_t b[256];
		size_t n = 0, len;
		for (int k = 0; k < 2; k++) {
			numseq__jrec_t r = {.type = NUMSEQ__JF_CLAIM,
			                    .lsn = lsn,
			                    .durable_lsn = durable,
			                    .value = (int64_t)lsn};
			lsn++;
			assert_int_equal(numseq__jf_encode(&r, FID1, b + n, sizeof b - n, &len),
			                 NUMSEQ_OK);
			n += len;
		}
		if (numseq__jio_pwrite_all(io, fd, b, n, end, NULL) != 0 ||
		    io->fdatasync(io, fd) != 0)
			break;
		end += n;
		durable = lsn - 1;
		acked += 2;
	}
	(void)io->close(io, fd);
	return acked;
}

static void test_protocol_append(void **state)
{
	(void)state;
	uint8_t b[4096];
	size_t n = base_bytes(b, FID1, 1, 0);
	numseq__jfault_t *f;
	reset_dir();
	put_file("j", b, n);
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	assert_int_equal(append_workload(numseq__jfault_io(f), 6), 12);
	uint64_t calls = numseq__jfault_calls(f, NUMSEQ__JIO_ANY);
	numseq__jfault_destroy(&f);
	for (size_t fi = 0; fi < NFATES; fi++)
		for (uint64_t k = 1; k <= calls + 1; k++) {
			reset_dir();
			put_file("j", b, n);
			assert_int_equal(numseq__jfault_create(&f, dfd), 0);
			numseq__jfault_rule_t r =
				{NUMSEQ__JIO_ANY, k, NUMSEQ__FAULT_CRASH, 0, 30, false};
			assert_int_equal(numseq__jfault_add(f, &r), 0);
			uint64_t acked = append_workload(numseq__jfault_io(f), 6);
			assert_int_equal(numseq__jfault_replay(f, &all_fates[fi]), 0);
			crash_states++;
			struct verdict v = scan_name("j");
			assert_true(v.present);
			if (v.rc != NUMSEQ_OK)
				fail_msg("crash at call %" PRIu64 " fate %zu: %d (%s)", k, fi, v.rc,
				         numseq__jf_reason_str(v.s.reason));
			if (v.s.records - 1 < acked)
				fail_msg("crash at call %" PRIu64 " fate %zu: %" PRIu64
				         " acknowledged, %" PRIu64 " recovered",
				         k, fi, acked, v.s.records - 1);
			/* And a second life: recovery truncates, appends go on. */
			uint64_t more = append_workload(numseq__jfault_io(f), 2);
			assert_int_equal(more, 4);
			struct verdict w = scan_name("j");
			assert_int_equal(w.rc, NUMSEQ_OK);
			assert_int_equal(w.s.verdict, NUMSEQ__JV_CLEAN);
			assert_int_equal(w.s.records, v.s.records + 4);
			numseq__jfault_destroy(&f);
		}
}

/* Compaction of "j" (file FID1) into a snapshot file (FID2), correctly or
 * (broken) without the fsync before the rename. */
static bool compact_workload(numseq__jio_t *io, bool broken)
{
	uint8_t b[4096];
	size_t n = base_bytes(b, FID2, 50, 40);
	int fd;
	if (numseq__jio_remove_tmp(io, dfd, "j.tmp") != 0)
		return false;
	if (numseq__jio_create_file(io, dfd, "j.tmp", false, &fd) != NUMSEQ_OK)
		return false;
	bool ok = numseq__jio_pwrite_all(io, fd, b, n, 0, NULL) == 0;
	if (ok && broken)
		ok = io->renameat(io, dfd, "j.tmp", dfd, "j") == 0 && io->dirsync(io, dfd) == 0;
	else if (ok)
		ok = numseq__jio_install(io, dfd, fd, "j.tmp", "j", NULL) == 0;
	(void)io->close(io, fd);
	return ok;
}

/* Crashes the compaction at every call with every fate; returns how many
 * crash states left "j" other than whole-old or whole-new (or old after an
 * acknowledged compaction). */
static int compaction_violations(bool broken)
{
	uint8_t old[4096];
	size_t on = base_bytes(old, FID1, 1, 0);
	numseq__jfault_t *f;
	reset_dir();
	put_file("j", old, on);
	assert_int_equal(numseq__jfault_create(&f, dfd), 0);
	assert_true(compact_workload(numseq__jfault_io(f), broken));
	uint64_t calls = numseq__jfault_calls(f, NUMSEQ__JIO_ANY);
	numseq__jfault_destroy(&f);
	int bad = 0;
	for (size_t fi = 0; fi < NFATES; fi++)
		for (uint64_t k = 1; k <= calls + 1; k++) {
			reset_dir();
			put_file("j", old, on);
			assert_int_equal(numseq__jfault_create(&f, dfd), 0);
			numseq__jfault_rule_t r =
				{NUMSEQ__JIO_ANY, k, NUMSEQ__FAULT_CRASH, 0, 50, false};
			assert_int_equal(numseq__jfault_add(f, &r), 0);
			bool acked = compact_workload(numseq__jfault_io(f), broken);
			assert_int_equal(numseq__jfault_replay(f, &all_fates[fi]), 0);
			numseq__jfault_destroy(&f);
			crash_states++;
			struct verdict v = scan_name("j");
			bool whole = v.present && v.rc == NUMSEQ_OK &&
			             v.s.verdict == NUMSEQ__JV_CLEAN;
			bool is_new = whole && v.s.hdr.file_id == FID2;
			if (!whole || (acked && !is_new))
				bad++;
			/* A leftover temporary file is removed by the next open. */
			if (exists("j.tmp")) {
				assert_int_equal(numseq__jio_remove_tmp(numseq__jio_posix(), dfd,
				                                        "j.tmp"),
				                 0);
				assert_false(exists("j.tmp"));
			}
		}
	return bad;
}

static void test_protocol_compaction(void **state)
{
	(void)state;
	assert_int_equal(compaction_violations(false), 0);
	/* The same check catches the classic bug (ALICE's): rename before the
	 * data is durable. */
	int bad = compaction_violations(true);
	printf("broken compaction (no fsync before rename): %d bad crash states (must be > 0)\n",
	       bad);
	assert_true(bad > 0);
	printf("crash states checked: %" PRIu64 "\n", crash_states);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_path),
		cmocka_unit_test(test_errcode),
		cmocka_unit_test_setup_teardown(test_open_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_helper_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rw_loops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_ofd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_flock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_hygiene, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_fates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_namespace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_fsyncgate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protocol_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protocol_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protocol_compaction, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
