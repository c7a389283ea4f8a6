/*
 * jio.c - the journal's I/O layer: the POSIX calls, the file-hygiene
 * helpers (O_NOFOLLOW, 0600, fd >= 3, directory fsync, OFD lock file,
 * temp + fsync + rename + fsync-dir) and the fault injector that tests
 * use to fail or crash at any call (jio.h has the contracts).
 *
 * The injector's crash model.  It keeps, for every file of the directory
 * it models, the content as of the last successful fsync/fdatasync of
 * that file (its "durable" content), and two views of the directory: the
 * names as they are now, and the names as of the last successful fsync of
 * the directory.  The real files always hold what the process wrote (the
 * page cache view: reads see every write).  A crash freezes the process;
 * a replay then rewrites the real directory into what a reboot would find:
 * the durable names, each with its durable content (plus, as asked, a
 * torn prefix or a zero-filled extension of what was written after it).
 * That is RocksDB's FaultInjectionTestFS (DropUnsyncedFileData,
 * DeleteFilesCreatedAfterLastDirSync) with SQLite test6.c's torn writes.
 * The model is deliberately the weakest POSIX allows: nothing reaches the
 * disk without its own sync, and a directory entry never comes for free
 * with its file's fsync (ext4 and XFS usually give that; POSIX does not).
 */
#define _GNU_SOURCE /* F_OFD_SETLK */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "jio.h"
#include "numseq_internal.h"

/* ------------------------------------------------------------- POSIX */

static int lock_mode; /* numseq__jio_posix_lock_mode; tests only */

static int neg_errno(void)
{
	return errno != 0 ? -errno : -EIO;
}

static int px_openat(numseq__jio_t *io, int dirfd, const char *name, int flags, mode_t mode)
{
	(void)io;
	int fd = openat(dirfd, name, flags, mode);
	if (fd < 0)
		return neg_errno();
	return fd; /* the caller owns it */
}

static ssize_t px_pwrite(numseq__jio_t *io, int fd, const void *buf, size_t n, off_t off)
{
	(void)io;
	ssize_t w = pwrite(fd, buf, n, off);
	return w >= 0 ? w : neg_errno();
}

static ssize_t px_write(numseq__jio_t *io, int fd, const void *buf, size_t n)
{
	(void)io;
	ssize_t w = write(fd, buf, n);
	return w >= 0 ? w : neg_errno();
}

static ssize_t px_pread(numseq__jio_t *io, int fd, void *buf, size_t n, off_t off)
{
	(void)io;
	ssize_t r = pread(fd, buf, n, off);
	return r >= 0 ? r : neg_errno();
}

static int px_fdatasync(numseq__jio_t *io, int fd)
{
	(void)io;
	return fdatasync(fd) == 0 ? 0 : neg_errno();
}

static int px_fsync(numseq__jio_t *io, int fd)
{
	(void)io;
	return fsync(fd) == 0 ? 0 : neg_errno();
}

static int px_renameat(numseq__jio_t *io, int olddirfd, const char *oldname, int newdirfd,
                       const char *newname)
{
	(void)io;
	return renameat(olddirfd, oldname, newdirfd, newname) == 0 ? 0 : neg_errno();
}

static int px_ftruncate(numseq__jio_t *io, int fd, off_t len)
{
	(void)io;
	return ftruncate(fd, len) == 0 ? 0 : neg_errno();
}

static int px_unlinkat(numseq__jio_t *io, int dirfd, const char *name, int flags)
{
	(void)io;
	return unlinkat(dirfd, name, flags) == 0 ? 0 : neg_errno();
}

static int px_close(numseq__jio_t *io, int fd)
{
	(void)io;
	if (close(fd) == 0 || errno == EINTR)
		return 0;
	return neg_errno();
}

static int px_fstat(numseq__jio_t *io, int fd, struct stat *st)
{
	(void)io;
	return fstat(fd, st) == 0 ? 0 : neg_errno();
}

/* flock(LOCK_EX | LOCK_NB): owned by the open file description, like an
 * OFD lock (the two do not see each other on Linux, so one journal must
 * always be locked the same way: every numseq on a machine picks OFD
 * unless the kernel lacks it). */
static int lock_flock(int fd)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	return errno == EWOULDBLOCK ? -EWOULDBLOCK : neg_errno();
}

static int px_lock(numseq__jio_t *io, int fd)
{
	(void)io;
	if (lock_mode == 1)
		return lock_flock(fd);
	struct flock fl;
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET; /* l_start = l_len = 0: the whole file */
	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		return -EWOULDBLOCK;
	if (errno == EINVAL) /* kernel before 3.15: no OFD locks */
		return lock_flock(fd);
	return neg_errno();
}

static numseq__jio_t posix_io = {
	.openat = px_openat,
	.pwrite = px_pwrite,
	.write = px_write,
	.pread = px_pread,
	.fdatasync = px_fdatasync,
	.fsync = px_fsync,
	.dirsync = px_fsync,
	.renameat = px_renameat,
	.ftruncate = px_ftruncate,
	.unlinkat = px_unlinkat,
	.close = px_close,
	.fstat = px_fstat,
	.lock = px_lock,
};

numseq__jio_t *numseq__jio_posix(void)
{
	return &posix_io;
}

void numseq__jio_posix_lock_mode(int mode)
{
	lock_mode = mode;
}

/* ----------------------------------------------------------- helpers */

int numseq__jio_errcode(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0: return NUMSEQ_OK;
	case ENOSPC:
	case EDQUOT:
	case EFBIG: return NUMSEQ_ENOSPC;
	case ELOOP: return NUMSEQ_ESYMLINK;
	case EWOULDBLOCK: return NUMSEQ_ELOCKED;
	case ENOMEM: return NUMSEQ_ENOMEM;
	case ENOENT:
	case EEXIST:
	case EACCES:
	case EPERM:
	case ENOTDIR:
	case EISDIR:
	case ENAMETOOLONG:
	case EROFS:
	case EMFILE:
	case ENFILE:
	case EINVAL: return err;
	default: return NUMSEQ_EIO;
	}
}

int numseq__jio_split_path(const char *path, char *dir, size_t dircap, char *name, size_t namecap)
{
	if (path == NULL || path[0] == '\0')
		return -EINVAL;
	size_t len = strlen(path);
	if (path[len - 1] == '/')
		return -EINVAL; /* a directory, not a file */
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	size_t blen = strlen(base);
	if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return -EINVAL;
	if (blen > NAME_MAX - 5 || blen + 1 > namecap)
		return -ENAMETOOLONG;
	size_t dlen = slash == NULL ? 1 : (slash == path ? 1 : (size_t)(slash - path));
	if (dlen + 1 > dircap)
		return -ENAMETOOLONG;
	if (slash == NULL)
		memcpy(dir, ".", 2);
	else if (slash == path)
		memcpy(dir, "/", 2);
	else {
		memcpy(dir, path, dlen);
		dir[dlen] = '\0';
	}
	memcpy(name, base, blen + 1);
	return 0;
}

int numseq__jio_open_dir(numseq__jio_t *io, const char *dir, int *dirfd)
{
	int fd = io->openat(io, AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	*dirfd = fd;
	return 0;
}

/* Moves fd to 3 or above (F_DUPFD_CLOEXEC), closing the low one. */
static int fd_high(numseq__jio_t *io, int fd)
{
	if (fd >= 3)
		return fd;
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	int err = hi < 0 ? neg_errno() : 0;
	(void)io->close(io, fd);
	return hi >= 0 ? hi : err;
}

/* What fd is: a regular file with one link, or a NUMSEQ_E* code. */
static int check_regular(numseq__jio_t *io, int fd)
{
	struct stat st;
	int rc = io->fstat(io, fd, &st);
	if (rc != 0)
		return numseq__jio_errcode(rc);
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
		return NUMSEQ_EBADFILE;
	return NUMSEQ_OK;
}

int numseq__jio_open_file(numseq__jio_t *io, int dirfd, const char *name, bool writable, int *fd)
{
	/* O_NONBLOCK: opening a FIFO planted under the journal's name must
	 * not hang; it is cleared once the file is known to be regular. */
	int flags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
	int f = io->openat(io, dirfd, name, flags, 0);
	if (f < 0)
		return numseq__jio_errcode(f);
	int rc = check_regular(io, f);
	if (rc == NUMSEQ_OK && fcntl(f, F_SETFL, 0) != 0) /* clears O_NONBLOCK */
		rc = numseq__jio_errcode(neg_errno());
	if (rc != NUMSEQ_OK) {
		(void)io->close(io, f);
		return rc;
	}
	f = fd_high(io, f);
	if (f < 0)
		return numseq__jio_errcode(f);
	*fd = f;
	return NUMSEQ_OK;
}

int numseq__jio_create_file(numseq__jio_t *io, int dirfd, const char *name, bool sync_dir, int *fd)
{
	int f = io->openat(io, dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	                   0600);
	if (f < 0)
		return numseq__jio_errcode(f);
	f = fd_high(io, f);
	int rc = f < 0 ? f : 0;
	if (rc == 0 && sync_dir)
		rc = io->dirsync(io, dirfd);
	if (rc != 0) {
		if (f >= 0)
			(void)io->close(io, f);
		(void)io->unlinkat(io, dirfd, name, 0);
		return numseq__jio_errcode(rc);
	}
	*fd = f;
	return NUMSEQ_OK;
}

int numseq__jio_pwrite_all(numseq__jio_t *io, int fd, const void *buf, size_t n, uint64_t off,
                           size_t *done)
{
	const uint8_t *p = buf;
	size_t w = 0;
	int rc = 0;
	while (w < n) {
		if (off + w > (uint64_t)INT64_MAX) {
			rc = -EFBIG;
			break;
		}
		ssize_t k = io->pwrite(io, fd, p + w, n - w, (off_t)(off + w));
		if (k == -EINTR)
			continue;
		if (k < 0) {
			rc = (int)k;
			break;
		}
		if (k == 0) {
			rc = -ENOSPC; /* no progress: treat as the disk being full */
			break;
		}
		w += (size_t)k;
	}
	if (done != NULL)
		*done = w;
	return rc;
}

int numseq__jio_pread_all(numseq__jio_t *io, int fd, void *buf, size_t n, uint64_t off, size_t *got)
{
	uint8_t *p = buf;
	size_t r = 0;
	int rc = 0;
	while (r < n) {
		ssize_t k = io->pread(io, fd, p + r, n - r, (off_t)(off + r));
		if (k == -EINTR)
			continue;
		if (k < 0) {
			rc = (int)k;
			break;
		}
		if (k == 0)
			break; /* end of file */
		r += (size_t)k;
	}
	*got = r;
	return rc;
}

int numseq__jio_install(numseq__jio_t *io, int dirfd, int tmpfd, const char *tmpname,
                        const char *name, int *step)
{
	int s = 1;
	int rc = io->fsync(io, tmpfd);
	if (rc == 0) {
		s = 2;
		rc = io->renameat(io, dirfd, tmpname, dirfd, name);
	}
	if (rc == 0) {
		s = 3;
		rc = io->dirsync(io, dirfd);
	}
	if (step != NULL)
		*step = rc == 0 ? 0 : s;
	return rc;
}

int numseq__jio_remove_tmp(numseq__jio_t *io, int dirfd, const char *tmpname)
{
	int rc = io->unlinkat(io, dirfd, tmpname, 0);
	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	return io->dirsync(io, dirfd);
}

int numseq__jio_truncate_sync(numseq__jio_t *io, int fd, uint64_t len)
{
	if (len > (uint64_t)INT64_MAX)
		return -EINVAL;
	int rc = io->ftruncate(io, fd, (off_t)len);
	return rc != 0 ? rc : io->fsync(io, fd);
}

int numseq__jio_lock_file(numseq__jio_t *io, int dirfd, const char *name, int *lockfd)
{
	char lname[NAME_MAX + 1];
	int n = snprintf(lname, sizeof lname, "%s.lock", name);
	if (n < 0 || (size_t)n >= sizeof lname)
		return ENAMETOOLONG;
	int f = io->openat(io, dirfd, lname, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
	                   0600);
	if (f < 0)
		return numseq__jio_errcode(f);
	int rc = check_regular(io, f);
	if (rc == NUMSEQ_OK) {
		int lk = io->lock(io, f);
		rc = lk == -EWOULDBLOCK ? NUMSEQ_ELOCKED : numseq__jio_errcode(lk);
	}
	if (rc == NUMSEQ_OK) {
		f = fd_high(io, f); /* the duplicate shares the description: still locked */
		if (f < 0)
			return numseq__jio_errcode(f);
		/* The owner's pid, for people looking at a stuck lock; failing to
		 * write it changes nothing. */
		char pid[24];
		int pn = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
		if (pn > 0 && io->ftruncate(io, f, 0) == 0)
			(void)numseq__jio_pwrite_all(io, f, pid, (size_t)pn, 0, NULL);
		*lockfd = f;
		return NUMSEQ_OK;
	}
	(void)io->close(io, f);
	return rc;
}

/* ---------------------------------------------------- fault injector */

#define MAX_RULES 32
#define MAX_FILE (UINT64_C(256) << 20) /* the injector keeps contents in memory */

struct fnode {
	dev_t dev;
	ino_t ino;
	uint8_t *dur; /* content as of the last good sync */
	size_t dur_len;
	bool lost; /* a sync failed: [lost_lo, lost_hi) never becomes durable */
	size_t lost_lo, lost_hi;
};

struct fname {
	char name[NAME_MAX + 1];
	size_t node;
};

struct names {
	struct fname *v;
	size_t n, cap;
};

struct numseq__jfault {
	numseq__jio_t io; /* first: the table handed out is the injector */
	numseq__jio_t *base;
	int rootfd;
	dev_t rdev;
	ino_t rino;
	numseq__jfault_rule_t rules[MAX_RULES];
	size_t nrules;
	uint64_t calls[NUMSEQ__JIO_NKINDS];
	bool crashed;
	struct fnode *nodes;
	size_t nnodes, capnodes;
	struct names cur, dur; /* names now; names as of the last directory fsync */
};

static numseq__jfault_t *F(numseq__jio_t *io)
{
	return (numseq__jfault_t *)(void *)io;
}

static bool is_write(int kind)
{
	return kind == NUMSEQ__JIO_PWRITE || kind == NUMSEQ__JIO_WRITE;
}

static bool is_sync(int kind)
{
	return kind == NUMSEQ__JIO_FDATASYNC || kind == NUMSEQ__JIO_FSYNC ||
	       kind == NUMSEQ__JIO_DIRSYNC;
}

/* Counts a call and returns the rule that fires for it, or NULL. */
static const numseq__jfault_rule_t *hit(numseq__jfault_t *f, int kind)
{
	f->calls[NUMSEQ__JIO_ANY]++;
	f->calls[kind]++;
	if (is_write(kind))
		f->calls[NUMSEQ__JIO_ANY_WRITE]++;
	if (is_sync(kind))
		f->calls[NUMSEQ__JIO_ANY_SYNC]++;
	for (size_t i = 0; i < f->nrules; i++) {
		const numseq__jfault_rule_t *r = &f->rules[i];
		bool match = r->kind == kind || r->kind == NUMSEQ__JIO_ANY ||
		             (r->kind == NUMSEQ__JIO_ANY_WRITE && is_write(kind)) ||
		             (r->kind == NUMSEQ__JIO_ANY_SYNC && is_sync(kind));
		uint64_t c = f->calls[r->kind];
		if (match && (c == r->nth || (r->persistent && c > r->nth)))
			return r;
	}
	return NULL;
}

/* Whether (dirfd, name) is in the modelled directory. */
static bool tracked(numseq__jfault_t *f, int dirfd, const char *name)
{
	struct stat st;
	if (strchr(name, '/') != NULL || strlen(name) > NAME_MAX)
		return false;
	if (dirfd == f->rootfd)
		return true;
	return fstat(dirfd, &st) == 0 && st.st_dev == f->rdev && st.st_ino == f->rino;
}

static struct fname *name_find(struct names *ns, const char *name)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i].name, name) == 0)
			return &ns->v[i];
	return NULL;
}

static int name_set(struct names *ns, const char *name, size_t node)
{
	struct fname *e = name_find(ns, name);
	if (e == NULL) {
		if (ns->n == ns->cap) {
			size_t cap = ns->cap ? 2 * ns->cap : 8;
			struct fname *v = realloc(ns->v, cap * sizeof *v);
			if (v == NULL)
				return -ENOMEM;
			ns->v = v;
			ns->cap = cap;
		}
		e = &ns->v[ns->n++];
		memcpy(e->name, name, strlen(name) + 1);
	}
	e->node = node;
	return 0;
}

static void name_del(struct names *ns, const char *name)
{
	struct fname *e = name_find(ns, name);
	if (e != NULL)
		*e = ns->v[--ns->n];
}

static int names_copy(struct names *dst, const struct names *src)
{
	if (dst->cap < src->n) {
		struct fname *v = realloc(dst->v, src->n * sizeof *v);
		if (v == NULL)
			return -ENOMEM;
		dst->v = v;
		dst->cap = src->n;
	}
	if (src->n > 0)
		memcpy(dst->v, src->v, src->n * sizeof *src->v);
	dst->n = src->n;
	return 0;
}

static struct fnode *node_by_id(numseq__jfault_t *f, dev_t dev, ino_t ino, size_t *idx)
{
	for (size_t i = 0; i < f->nnodes; i++)
		if (f->nodes[i].dev == dev && f->nodes[i].ino == ino) {
			*idx = i;
			return &f->nodes[i];
		}
	return NULL;
}

static int node_add(numseq__jfault_t *f, dev_t dev, ino_t ino, size_t *idx)
{
	if (f->nnodes == f->capnodes) {
		size_t cap = f->capnodes ? 2 * f->capnodes : 8;
		struct fnode *v = realloc(f->nodes, cap * sizeof *v);
		if (v == NULL)
			return -ENOMEM;
		f->nodes = v;
		f->capnodes = cap;
	}
	struct fnode *n = &f->nodes[f->nnodes];
	memset(n, 0, sizeof *n);
	n->dev = dev;
	n->ino = ino;
	*idx = f->nnodes++;
	return 0;
}

/* The whole content of the file open as fd (real calls), malloc'ed. */
static int read_fd(int fd, uint8_t **out, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return neg_errno();
	if (st.st_size < 0 || (uint64_t)st.st_size > MAX_FILE)
		return -EFBIG;
	size_t n = (size_t)st.st_size;
	uint8_t *b = malloc(n > 0 ? n : 1);
	if (b == NULL)
		return -ENOMEM;
	size_t got = 0;
	int rc = numseq__jio_pread_all(&posix_io, fd, b, n, 0, &got);
	if (rc == -EBADF) { /* opened write-only: read it through /proc */
		char path[64];
		(void)snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		int rfd = open(path, O_RDONLY | O_CLOEXEC);
		rc = rfd < 0 ? neg_errno() : numseq__jio_pread_all(&posix_io, rfd, b, n, 0, &got);
		if (rfd >= 0)
			(void)close(rfd);
	}
	if (rc != 0) {
		free(b);
		return rc;
	}
	*out = b;
	*len = got;
	return 0;
}

/* The node of an open fd, or NULL when the file is not modelled. */
static struct fnode *node_of_fd(numseq__jfault_t *f, int fd)
{
	struct stat st;
	size_t idx;
	if (fstat(fd, &st) != 0)
		return NULL;
	return node_by_id(f, st.st_dev, st.st_ino, &idx);
}

/* Makes sure an existing file of the modelled directory is in the model:
 * one the injector has not seen yet was there before it (or was made
 * behind its back) and counts as durable, name and content.  Called before
 * any call that can change or replace the file. */
static int learn(numseq__jfault_t *f, int dirfd, const char *name)
{
	struct stat st;
	size_t idx;
	if (!tracked(f, dirfd, name) || name_find(&f->cur, name) != NULL ||
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
		return 0;
	if (node_by_id(f, st.st_dev, st.st_ino, &idx) == NULL) {
		int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0)
			return 0; /* unreadable: leave it unmodelled */
		int rc = node_add(f, st.st_dev, st.st_ino, &idx);
		if (rc == 0)
			rc = read_fd(fd, &f->nodes[idx].dur, &f->nodes[idx].dur_len);
		(void)close(fd);
		if (rc != 0)
			return rc;
	}
	int rc = name_set(&f->cur, name, idx);
	return rc != 0 ? rc : name_set(&f->dur, name, idx);
}

static int fi_dead(numseq__jfault_t *f, int kind)
{
	(void)hit(f, kind);
	return -EIO;
}

static int fi_openat(numseq__jio_t *io, int dirfd, const char *name, int flags, mode_t mode)
{
	numseq__jfault_t *f = F(io);
	if (f->crashed)
		return fi_dead(f, NUMSEQ__JIO_OPEN);
	const numseq__jfault_rule_t *r = hit(f, NUMSEQ__JIO_OPEN);
	if (r != NULL && r->action == NUMSEQ__FAULT_ERR)
		return -r->err;
	if (r != NULL && r->action == NUMSEQ__FAULT_CRASH) {
		f->crashed = true;
		return -EIO;
	}
	int rc = learn(f, dirfd, name);
	if (rc != 0)
		return rc;
	int fd = f->base->openat(f->base, dirfd, name, flags, mode);
	struct stat st;
	size_t idx;
	if (fd < 0 || !tracked(f, dirfd, name) || name_find(&f->cur, name) != NULL ||
	    fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return fd; /* known, untracked, or not a regular file */
	/* Created by this open: nothing of it is durable yet. */
	rc = node_add(f, st.st_dev, st.st_ino, &idx);
	if (rc == 0)
		rc = name_set(&f->cur, name, idx);
	if (rc != 0) {
		(void)close(fd);
		return rc;
	}
	return fd;
}

static ssize_t fi_write_common(numseq__jfault_t *f, int kind, int fd, const void *buf, size_t n,
                               off_t off)
{
	if (f->crashed)
		return fi_dead(f, kind);
	const numseq__jfault_rule_t *r = hit(f, kind);
	size_t todo = n;
	if (r != NULL) {
		switch (r->action) {
		case NUMSEQ__FAULT_ERR: return -r->err;
		case NUMSEQ__FAULT_SHORT:
			if (r->bytes == 0)
				return 0; /* no progress at all */
			if (n > 1)
				todo = r->bytes < n ? r->bytes : n - 1;
			break;
		default: /* CRASH: a torn write, then nothing */
			todo = r->bytes < n ? r->bytes : n;
			if (todo > 0) {
				if (kind == NUMSEQ__JIO_PWRITE)
					(void)f->base->pwrite(f->base, fd, buf, todo, off);
				else
					(void)f->base->write(f->base, fd, buf, todo);
			}
			f->crashed = true;
			return -EIO;
		}
	}
	if (kind == NUMSEQ__JIO_PWRITE)
		return f->base->pwrite(f->base, fd, buf, todo, off);
	return f->base->write(f->base, fd, buf, todo);
}

static ssize_t fi_pwrite(numseq__jio_t *io, int fd, const void *buf, size_t n, off_t off)
{
	return fi_write_common(F(io), NUMSEQ__JIO_PWRITE, fd, buf, n, off);
}

static ssize_t fi_write(numseq__jio_t *io, int fd, const void *buf, size_t n)
{
	return fi_write_common(F(io), NUMSEQ__JIO_WRITE, fd, buf, n, 0);
}

/* Injects for the simple kinds: 0 = go on, or the result to return. */
static int inject(numseq__jfault_t *f, int kind)
{
	if (f->crashed)
		return fi_dead(f, kind);
	const numseq__jfault_rule_t *r = hit(f, kind);
	if (r == NULL || r->action == NUMSEQ__FAULT_SHORT)
		return 0;
	if (r->action == NUMSEQ__FAULT_CRASH) {
		f->crashed = true;
		return -EIO;
	}
	return -r->err;
}

static ssize_t fi_pread(numseq__jio_t *io, int fd, void *buf, size_t n, off_t off)
{
	numseq__jfault_t *f = F(io);
	int rc = inject(f, NUMSEQ__JIO_PREAD);
	return rc != 0 ? rc : f->base->pread(f->base, fd, buf, n, off);
}

/* A file sync: on success the file's current content becomes durable,
 * except a range whose writeback failed before ("fsyncgate": the kernel
 * marked those pages clean, the disk never got them). */
static int fi_filesync(numseq__jfault_t *f, int kind, int fd)
{
	int rc = inject(f, kind);
	struct fnode *n = node_of_fd(f, fd);
	if (rc != 0) {
		if (n != NULL && !f->crashed) {
			struct stat st;
			size_t end = fstat(fd, &st) == 0 && st.st_size > 0 ? (size_t)st.st_size : 0;
			size_t lo = n->dur_len < end ? n->dur_len : end;
			if (!n->lost) {
				n->lost = true;
				n->lost_lo = lo;
				n->lost_hi = end;
			} else {
				n->lost_lo = lo < n->lost_lo ? lo : n->lost_lo;
				n->lost_hi = end > n->lost_hi ? end : n->lost_hi;
			}
		}
		return rc;
	}
	rc = kind == NUMSEQ__JIO_FSYNC ? f->base->fsync(f->base, fd)
	                               : f->base->fdatasync(f->base, fd);
	if (rc != 0 || n == NULL)
		return rc;
	uint8_t *now;
	size_t len;
	rc = read_fd(fd, &now, &len);
	if (rc != 0)
		return rc;
	if (n->lost) {
		for (size_t i = n->lost_lo; i < n->lost_hi && i < len; i++)
			now[i] = i < n->dur_len ? n->dur[i] : 0;
	}
	free(n->dur);
	n->dur = now;
	n->dur_len = len;
	return 0;
}

static int fi_fdatasync(numseq__jio_t *io, int fd)
{
	return fi_filesync(F(io), NUMSEQ__JIO_FDATASYNC, fd);
}

static int fi_fsync(numseq__jio_t *io, int fd)
{
	return fi_filesync(F(io), NUMSEQ__JIO_FSYNC, fd);
}

static int fi_dirsync(numseq__jio_t *io, int dirfd)
{
	numseq__jfault_t *f = F(io);
	int rc = inject(f, NUMSEQ__JIO_DIRSYNC);
	if (rc == 0)
		rc = f->base->dirsync(f->base, dirfd);
	if (rc != 0)
		return rc;
	struct stat st;
	if (fstat(dirfd, &st) == 0 && st.st_dev == f->rdev && st.st_ino == f->rino)
		return names_copy(&f->dur, &f->cur);
	return 0;
}

static int fi_renameat(numseq__jio_t *io, int olddirfd, const char *oldname, int newdirfd,
                       const char *newname)
{
	numseq__jfault_t *f = F(io);
	int rc = inject(f, NUMSEQ__JIO_RENAME);
	if (rc == 0)
		rc = learn(f, olddirfd, oldname);
	if (rc == 0)
		rc = learn(f, newdirfd, newname);
	if (rc == 0)
		rc = f->base->renameat(f->base, olddirfd, oldname, newdirfd, newname);
	if (rc != 0)
		return rc;
	bool t_old = tracked(f, olddirfd, oldname), t_new = tracked(f, newdirfd, newname);
	struct fname *e = t_old ? name_find(&f->cur, oldname) : NULL;
	if (t_new)
		name_del(&f->cur, newname);
	if (e != NULL) {
		size_t node = e->node;
		name_del(&f->cur, oldname);
		if (t_new)
			return name_set(&f->cur, newname, node);
	}
	return 0;
}

static int fi_ftruncate(numseq__jio_t *io, int fd, off_t len)
{
	numseq__jfault_t *f = F(io);
	int rc = inject(f, NUMSEQ__JIO_FTRUNCATE);
	return rc != 0 ? rc : f->base->ftruncate(f->base, fd, len);
}

static int fi_unlinkat(numseq__jio_t *io, int dirfd, const char *name, int flags)
{
	numseq__jfault_t *f = F(io);
	int rc = inject(f, NUMSEQ__JIO_UNLINK);
	if (rc == 0)
		rc = learn(f, dirfd, name);
	if (rc == 0)
		rc = f->base->unlinkat(f->base, dirfd, name, flags);
	if (rc == 0 && tracked(f, dirfd, name))
		name_del(&f->cur, name);
	return rc;
}

static int fi_close(numseq__jio_t *io, int fd)
{
	numseq__jfault_t *f = F(io);
	if (f->crashed) { /* the dead process's files close, its locks go */
		(void)hit(f, NUMSEQ__JIO_CLOSE);
		return f->base->close(f->base, fd);
	}
	int rc = inject(f, NUMSEQ__JIO_CLOSE);
	int crc = f->base->close(f->base, fd); /* an fd is released whatever close says */
	return rc != 0 ? rc : crc;
}

static int fi_fstat(numseq__jio_t *io, int fd, struct stat *st)
{
	numseq__jfault_t *f = F(io);
	int rc = inject(f, NUMSEQ__JIO_FSTAT);
	return rc != 0 ? rc : f->base->fstat(f->base, fd, st);
}

static int fi_lock(numseq__jio_t *io, int fd)
{
	numseq__jfault_t *f = F(io);
	int rc = inject(f, NUMSEQ__JIO_LOCK);
	return rc != 0 ? rc : f->base->lock(f->base, fd);
}

int numseq__jfault_create(numseq__jfault_t **out, int dirfd)
{
	numseq__jfault_t *f = calloc(1, sizeof *f);
	if (f == NULL)
		return -ENOMEM;
	f->io = (numseq__jio_t){
		.openat = fi_openat,
		.pwrite = fi_pwrite,
		.write = fi_write,
		.pread = fi_pread,
		.fdatasync = fi_fdatasync,
		.fsync = fi_fsync,
		.dirsync = fi_dirsync,
		.renameat = fi_renameat,
		.ftruncate = fi_ftruncate,
		.unlinkat = fi_unlinkat,
		.close = fi_close,
		.fstat = fi_fstat,
		.lock = fi_lock,
	};
	f->base = &posix_io;
	struct stat st;
	f->rootfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (f->rootfd < 0 || fstat(f->rootfd, &st) != 0) {
		int rc = neg_errno();
		if (f->rootfd >= 0)
			(void)close(f->rootfd);
		free(f);
		return rc;
	}
	f->rdev = st.st_dev;
	f->rino = st.st_ino;
	*out = f;
	return 0;
}

static void drop_model(numseq__jfault_t *f)
{
	for (size_t i = 0; i < f->nnodes; i++)
		free(f->nodes[i].dur);
	f->nnodes = 0;
	f->cur.n = 0;
	f->dur.n = 0;
}

void numseq__jfault_destroy(numseq__jfault_t **fp)
{
	if (fp == NULL || *fp == NULL)
		return;
	numseq__jfault_t *f = *fp;
	drop_model(f);
	free(f->nodes);
	free(f->cur.v);
	free(f->dur.v);
	(void)close(f->rootfd);
	free(f);
	*fp = NULL;
}

numseq__jio_t *numseq__jfault_io(numseq__jfault_t *f)
{
	return &f->io;
}

int numseq__jfault_add(numseq__jfault_t *f, const numseq__jfault_rule_t *rule)
{
	if (rule->kind < 0 || rule->kind >= NUMSEQ__JIO_NKINDS || rule->nth == 0 ||
	    rule->action < NUMSEQ__FAULT_ERR || rule->action > NUMSEQ__FAULT_CRASH ||
	    (rule->action == NUMSEQ__FAULT_ERR && rule->err <= 0))
		return -EINVAL;
	if (f->nrules == MAX_RULES)
		return -ENOSPC;
	f->rules[f->nrules++] = *rule;
	return 0;
}

uint64_t numseq__jfault_calls(const numseq__jfault_t *f, int kind)
{
	return kind >= 0 && kind < NUMSEQ__JIO_NKINDS ? f->calls[kind] : 0;
}

bool numseq__jfault_crashed(const numseq__jfault_t *f)
{
	return f->crashed;
}

void numseq__jfault_crash(numseq__jfault_t *f)
{
	f->crashed = true;
}

/* What a file of the reboot holds. */
struct outfile {
	char name[NAME_MAX + 1];
	uint8_t *data;
	size_t len;
};

/* The content node `idx` has after the crash, given its current content
 * now[0..nlen) (NULL when it has no name any more). */
static int fate_content(const struct fnode *n, const uint8_t *now, size_t nlen,
                        const numseq__jfault_fate_t *fate, uint8_t **out, size_t *len)
{
	size_t keep = 0; /* bytes past the durable length that survive */
	if (now != NULL && nlen > n->dur_len) {
		if (fate->data == NUMSEQ__FATE_TORN)
			keep = nlen - n->dur_len < fate->torn ? nlen - n->dur_len : fate->torn;
		else if (fate->data == NUMSEQ__FATE_ZERO)
			keep = nlen - n->dur_len;
	}
	bool all_now = fate->data == NUMSEQ__FATE_KEEP && now != NULL;
	size_t total = all_now ? nlen : n->dur_len + keep;
	uint8_t *b = malloc(total > 0 ? total : 1);
	if (b == NULL)
		return -ENOMEM;
	if (all_now) {
		if (nlen > 0)
			memcpy(b, now, nlen);
	} else {
		if (n->dur_len > 0)
			memcpy(b, n->dur, n->dur_len);
		if (fate->data == NUMSEQ__FATE_ZERO)
			memset(b + n->dur_len, 0, keep);
		else if (keep > 0)
			memcpy(b + n->dur_len, now + n->dur_len, keep);
		/* A range whose writeback failed never reached the disk. */
		for (size_t i = n->dur_len; n->lost && i < total; i++)
			if (i >= n->lost_lo && i < n->lost_hi)
				b[i] = 0;
	}
	*out = b;
	*len = total;
	return 0;
}

static int write_file(int rootfd, const struct outfile *o)
{
	int fd = openat(rootfd, o->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	                0600);
	if (fd < 0)
		return neg_errno();
	size_t done;
	int rc = numseq__jio_pwrite_all(&posix_io, fd, o->data, o->len, 0, &done);
	if (rc == 0 && fsync(fd) != 0)
		rc = neg_errno();
	(void)close(fd);
	return rc;
}

int numseq__jfault_replay(numseq__jfault_t *f, const numseq__jfault_fate_t *fate)
{
	f->crashed = true;
	bool keep_names = fate->keep_names || fate->data == NUMSEQ__FATE_KEEP;
	const struct names *final = keep_names ? &f->cur : &f->dur;
	struct outfile *outs = calloc(final->n > 0 ? final->n : 1, sizeof *outs);
	if (outs == NULL)
		return -ENOMEM;
	size_t nout = 0;
	int rc = 0;

	/* 1. Work out every surviving file's content from the model and the
	 *    real files, before anything on disk changes. */
	for (size_t i = 0; i < final->n && rc == 0; i++) {
		const struct fname *e = &final->v[i];
		const struct fnode *n = &f->nodes[e->node];
		uint8_t *now = NULL;
		size_t nlen = 0;
		const struct fname *c = name_find(&f->cur, e->name);
		if (c != NULL && c->node == e->node) { /* still has this name: read it */
			int fd = openat(f->rootfd, e->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			rc = fd < 0 ? neg_errno() : read_fd(fd, &now, &nlen);
			if (fd >= 0)
				(void)close(fd);
		}
		if (rc == 0) {
			memcpy(outs[nout].name, e->name, strlen(e->name) + 1);
			rc = fate_content(n, now, nlen, fate, &outs[nout].data, &outs[nout].len);
			if (rc == 0)
				nout++;
		}
		free(now);
	}
	/* 2. Remove every modelled name, then write the survivors. */
	for (size_t i = 0; i < f->cur.n && rc == 0; i++)
		if (unlinkat(f->rootfd, f->cur.v[i].name, 0) != 0 && errno != ENOENT)
			rc = neg_errno();
	for (size_t i = 0; i < nout && rc == 0; i++) {
		(void)unlinkat(f->rootfd, outs[i].name, 0); /* a name only dur had */
		rc = write_file(f->rootfd, &outs[i]);
	}
	if (rc == 0 && fsync(f->rootfd) != 0)
		rc = neg_errno();
	/* 3. Model the rebooted directory afresh. */
	drop_model(f);
	for (size_t i = 0; i < nout && rc == 0; i++) {
		struct stat st;
		size_t idx;
		if (fstatat(f->rootfd, outs[i].name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = neg_errno();
			break;
		}
		rc = node_add(f, st.st_dev, st.st_ino, &idx);
		if (rc == 0) {
			f->nodes[idx].dur = outs[i].data;
			f->nodes[idx].dur_len = outs[i].len;
			outs[i].data = NULL;
			rc = name_set(&f->cur, outs[i].name, idx);
		}
		if (rc == 0)
			rc = name_set(&f->dur, outs[i].name, idx);
	}
	for (size_t i = 0; i < nout; i++)
		free(outs[i].data);
	free(outs);
	f->nrules = 0;
	memset(f->calls, 0, sizeof f->calls);
	f->crashed = false;
	return rc;
}
