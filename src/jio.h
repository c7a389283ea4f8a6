/*
 * jio.h - the journal's I/O indirection layer (internal; not installed).
 *
 * Every file operation of the persistence journal goes through a small
 * table of functions, numseq__jio_t, so that tests can put a fault
 * injector between the journal and the kernel.  Two implementations:
 *
 *  - numseq__jio_posix(): the real system calls;
 *  - numseq__jfault_*: a fault injector over the POSIX one that fails the
 *    k-th call of a kind with an errno (EIO, ENOSPC, EDQUOT, EINTR, ...),
 *    makes it a short write, or "crashes" there, and that can then replay
 *    the crash onto the real directory: everything not yet made durable by
 *    fsync/fdatasync (file data) or by a directory fsync (creates, renames,
 *    unlinks) is dropped, optionally keeping a torn prefix of the unsynced
 *    bytes or a zero-filled extension.  This is the model of SQLite's
 *    crash-test VFS (src/test6.c) and RocksDB's FaultInjectionTestFS
 *    (DropUnsyncedFileData, DeleteFilesCreatedAfterLastDirSync); see
 *    ../shared/reference/durability-anchors.md sections 7 and 9.2.
 *
 * Conventions.  Every table function returns a non-negative result on
 * success and -errno on failure (never relies on the global errno).  Names
 * are always relative to a directory fd (openat style): the journal opens
 * its directory once and does everything relative to it, which is also
 * what lets the fault injector model one directory's namespace.
 * The helpers below return NUMSEQ_OK or a negative errno as well, except
 * where they say they return a NUMSEQ_E* code; numseq__jio_errcode() maps
 * an errno to the library's code.
 *
 * Thread-safety: numseq__jio_posix() is stateless and may be used from any
 * thread.  A fault injector is not thread-safe: one thread at a time (the
 * journal's writer is single-flight, and tests drive it from one thread).
 */
#ifndef NUMSEQ_JIO_H
#define NUMSEQ_JIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

typedef struct numseq__jio numseq__jio_t;

struct numseq__jio {
	/* openat(2); returns the fd. */
	int (*openat)(numseq__jio_t *io, int dirfd, const char *name, int flags, mode_t mode);
	/* pwrite(2) / write(2) / pread(2); return the byte count (may be short). */
	ssize_t (*pwrite)(numseq__jio_t *io, int fd, const void *buf, size_t n, off_t off);
	ssize_t (*write)(numseq__jio_t *io, int fd, const void *buf, size_t n);
	ssize_t (*pread)(numseq__jio_t *io, int fd, void *buf, size_t n, off_t off);
	int (*fdatasync)(numseq__jio_t *io, int fd);
	int (*fsync)(numseq__jio_t *io, int fd);
	/* fsync(2) of a directory fd: makes creates, renames and unlinks in it
	 * durable. */
	int (*dirsync)(numseq__jio_t *io, int dirfd);
	int (*renameat)(numseq__jio_t *io, int olddirfd, const char *oldname, int newdirfd,
	                const char *newname);
	int (*ftruncate)(numseq__jio_t *io, int fd, off_t len);
	int (*unlinkat)(numseq__jio_t *io, int dirfd, const char *name, int flags);
	/* close(2); EINTR counts as closed (Linux releases the fd anyway). */
	int (*close)(numseq__jio_t *io, int fd);
	int (*fstat)(numseq__jio_t *io, int fd, struct stat *st);
	/* Exclusive, non-blocking lock of the whole file, owned by the open
	 * file description (not the process): F_OFD_SETLK, or flock(LOCK_EX |
	 * LOCK_NB) where OFD locks are missing.  -EWOULDBLOCK when another
	 * open file description holds it, in this process or another.  Never
	 * a classic F_SETLK lock, which the same process is granted twice and
	 * which any close() of the file in the process drops. */
	int (*lock)(numseq__jio_t *io, int fd);
};

/* The real system calls (a process-wide, stateless instance). */
numseq__jio_t *numseq__jio_posix(void);

/* Test hook: the locking primitive numseq__jio_posix()'s lock uses.
 * 0 = OFD lock, falling back to flock when the kernel lacks it (default);
 * 1 = flock only.  Process-wide; set it only while no journal is opening. */
void numseq__jio_posix_lock_mode(int mode);

/* ------------------------------------------------------------- helpers */

/* errno (positive or negative) -> what the library returns:
 *   0                               -> NUMSEQ_OK
 *   ENOSPC, EDQUOT, EFBIG           -> NUMSEQ_ENOSPC
 *   ELOOP                           -> NUMSEQ_ESYMLINK (O_NOFOLLOW met a link)
 *   EWOULDBLOCK (lock)              -> NUMSEQ_ELOCKED
 *   ENOMEM                          -> NUMSEQ_ENOMEM
 *   ENOENT, EEXIST, EACCES, EPERM, ENOTDIR, EISDIR, ENAMETOOLONG, EROFS,
 *   EMFILE, ENFILE, EINVAL          -> the errno itself, positive (a setup
 *                                      problem the caller can name, not an
 *                                      I/O failure)
 *   anything else (EIO, ...)        -> NUMSEQ_EIO (keep the errno for the
 *                                      message: fail-stop, P6) */
int numseq__jio_errcode(int err);

/* Splits path into its directory ("." when there is none) and its last
 * component.  The name must be non-empty, not "." or "..", and short enough
 * for the ".lock" and ".tmp" suffixes (NAME_MAX - 5).  Returns 0 or
 * -EINVAL / -ENAMETOOLONG. */
int numseq__jio_split_path(const char *path, char *dir, size_t dircap, char *name, size_t namecap);

/* Opens the directory (O_RDONLY | O_DIRECTORY | O_CLOEXEC) into *dirfd.
 * Symbolic links in the directory part are followed (only the journal's
 * own name must not be a link).  Returns 0 or -errno. */
int numseq__jio_open_dir(numseq__jio_t *io, const char *dir, int *dirfd);

/* Opens an existing journal file: O_RDWR (or O_RDONLY when !writable) |
 * O_CLOEXEC | O_NOFOLLOW, and checks what it opened.  Returns a NUMSEQ_E*
 * code: NUMSEQ_OK; NUMSEQ_ESYMLINK (the name is a symbolic link);
 * NUMSEQ_EBADFILE (not a regular file, or more than one hard link: two
 * names for one journal defeat the lock file, SQLite's "alias" hazard);
 * numseq__jio_errcode() of the open error otherwise (ENOENT positive).
 * The fd is moved to 3 or above (SQLite's lesson: a journal on fd 0-2
 * gets written by stray printf()s). */
int numseq__jio_open_file(numseq__jio_t *io, int dirfd, const char *name, bool writable, int *fd);

/* Creates a new file (O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
 * mode 0600), fd >= 3.  With sync_dir the directory is fsynced after the
 * create, so the name survives a crash (the file's data still needs its
 * own fsync).  Returns a NUMSEQ_E* code as numseq__jio_open_file (EEXIST
 * positive).  On failure after the create the file is removed again. */
int numseq__jio_create_file(numseq__jio_t *io, int dirfd, const char *name, bool sync_dir, int *fd);

/* pwrite of all n bytes at off, continuing after short writes and EINTR.
 * *done (may be NULL) gets the bytes written, also on failure.  A call that
 * writes nothing for a non-empty request counts as -ENOSPC.  Returns 0 or
 * -errno. */
int numseq__jio_pwrite_all(numseq__jio_t *io, int fd, const void *buf, size_t n, uint64_t off,
                           size_t *done);

/* pread of up to n bytes at off, continuing after short reads and EINTR,
 * stopping at end of file.  *got gets the bytes read.  Returns 0 or
 * -errno. */
int numseq__jio_pread_all(numseq__jio_t *io, int fd, void *buf, size_t n, uint64_t off,
                          size_t *got);

/* Atomically installs a fully written temporary file under its final name
 * (compaction, creation): fsync(tmpfd), renameat(tmpname -> name),
 * fsync(directory).  The order is the one ALICE requires: the data is
 * durable before the rename can be, and the rename is durable before this
 * returns.  *step (may be NULL) tells where it failed: 1 fsync, 2 rename,
 * 3 directory fsync.  Returns 0 or -errno; tmpfd stays open either way. */
int numseq__jio_install(numseq__jio_t *io, int dirfd, int tmpfd, const char *tmpname,
                        const char *name, int *step);

/* Removes a leftover temporary file (a compaction that crashed before its
 * rename), then fsyncs the directory if there was one.  Returns 0 (also
 * when there was none) or -errno. */
int numseq__jio_remove_tmp(numseq__jio_t *io, int dirfd, const char *tmpname);

/* Shrinks a file to len (a torn tail, a short write's remains) and makes
 * the new size durable (fsync).  Returns 0 or -errno. */
int numseq__jio_truncate_sync(numseq__jio_t *io, int fd, uint64_t len);

/* Takes the journal's lock: "<name>.lock" in dirfd, created if needed
 * (0600, O_NOFOLLOW, never removed: removing a lock file races with its
 * next user), locked exclusively with io->lock.  The lock belongs to the
 * returned fd's open file description: a second numseq__jio_lock_file on
 * the same journal fails, from this process or another, and closing the
 * fd (or the death of the process) releases it.  A forked child shares
 * its parent's description (and so the lock) until it closes the fd.
 * The lock file holds the owner's pid, for diagnostics only.  Being a
 * separate file, the lock survives compaction's rename of the journal.
 * Returns a NUMSEQ_E* code: NUMSEQ_OK, NUMSEQ_ELOCKED, NUMSEQ_ESYMLINK,
 * NUMSEQ_EBADFILE, or an errcode of the failing call. */
int numseq__jio_lock_file(numseq__jio_t *io, int dirfd, const char *name, int *lockfd);

/* ------------------------------------------------------ fault injector */

/* Kinds of calls, for fault rules and call counts.  ANY matches every call;
 * ANY_WRITE pwrite and write; ANY_SYNC fdatasync, fsync and dirsync. */
enum numseq__jio_kind {
	NUMSEQ__JIO_ANY = 0,
	NUMSEQ__JIO_OPEN,
	NUMSEQ__JIO_PWRITE,
	NUMSEQ__JIO_WRITE,
	NUMSEQ__JIO_PREAD,
	NUMSEQ__JIO_FDATASYNC,
	NUMSEQ__JIO_FSYNC,
	NUMSEQ__JIO_DIRSYNC,
	NUMSEQ__JIO_RENAME,
	NUMSEQ__JIO_FTRUNCATE,
	NUMSEQ__JIO_UNLINK,
	NUMSEQ__JIO_CLOSE,
	NUMSEQ__JIO_FSTAT,
	NUMSEQ__JIO_LOCK,
	NUMSEQ__JIO_ANY_WRITE,
	NUMSEQ__JIO_ANY_SYNC,
	NUMSEQ__JIO_NKINDS
};

enum numseq__fault_action {
	/* Fail the call with rule.err, doing nothing.  A failed fdatasync /
	 * fsync also models Linux after a writeback error ("fsyncgate"): the
	 * bytes written since the last good sync are marked lost; a later
	 * sync of that file succeeds but never makes them durable, though
	 * reads still return them. */
	NUMSEQ__FAULT_ERR = 1,
	/* pwrite / write: write only rule.bytes bytes (at most n - 1) and
	 * return that count; bytes = 0 writes nothing and returns 0.  Other
	 * kinds: no effect. */
	NUMSEQ__FAULT_SHORT,
	/* Crash: the call is not done (a pwrite / write first writes
	 * rule.bytes bytes of its buffer, a torn write), the injector is
	 * "crashed": every later call fails with EIO except close, which
	 * closes the real fd (so the dead process's locks are released).
	 * numseq__jfault_replay then produces the disk as a reboot finds it. */
	NUMSEQ__FAULT_CRASH
};

typedef struct numseq__jfault_rule {
	int kind;        /* enum numseq__jio_kind */
	uint64_t nth;    /* 1-based: the nth call of that kind counted by this injector */
	int action;      /* enum numseq__fault_action */
	int err;         /* NUMSEQ__FAULT_ERR: the errno (EIO, ENOSPC, EDQUOT, ...) */
	size_t bytes;    /* SHORT: bytes written; CRASH on a write: bytes written first */
	bool persistent; /* ERR: every later call of that kind fails too */
} numseq__jfault_rule_t;

/* What a crash leaves of the data not yet synced (numseq__jfault_replay). */
enum numseq__fault_fate {
	NUMSEQ__FATE_DROP = 1, /* power loss: files as of their last good sync */
	NUMSEQ__FATE_KEEP,     /* process crash (kill -9): everything written stays */
	NUMSEQ__FATE_TORN,     /* power loss, but the first `torn` bytes past each
	                        * file's synced length survive (a torn append) */
	NUMSEQ__FATE_ZERO      /* power loss after the size reached the disk but
	                        * not the data: the unsynced extension reads as
	                        * zeros (seen on ext4, reference section 0) */
};

typedef struct numseq__jfault numseq__jfault_t;

/* A fault injector over numseq__jio_posix() that models the directory
 * dirfd (it keeps its own dup of it).  Files in other directories, and
 * names containing '/', pass through untracked (their syncs still count).
 * Files that exist when the injector first touches them (open, rename,
 * unlink) are taken as durable, name and content.
 * Returns 0, -ENOMEM, or -errno of the dup / fstat. */
int numseq__jfault_create(numseq__jfault_t **out, int dirfd);

/* Frees the injector (does not touch the files); sets *f to NULL. */
void numseq__jfault_destroy(numseq__jfault_t **f);

/* The injector's table, to hand to the code under test. */
numseq__jio_t *numseq__jfault_io(numseq__jfault_t *f);

/* Adds a rule (at most 32; the first matching rule of a call wins).
 * Returns 0, or -EINVAL for a bad kind / action / nth, -ENOSPC when full. */
int numseq__jfault_add(numseq__jfault_t *f, const numseq__jfault_rule_t *rule);

/* Calls of a kind seen so far (including failed and injected ones). */
uint64_t numseq__jfault_calls(const numseq__jfault_t *f, int kind);

/* Whether a CRASH rule fired (or numseq__jfault_crash was called). */
bool numseq__jfault_crashed(const numseq__jfault_t *f);

/* Crashes now, between two calls. */
void numseq__jfault_crash(numseq__jfault_t *f);

typedef struct numseq__jfault_fate {
	int data;        /* enum numseq__fault_fate */
	size_t torn;     /* NUMSEQ__FATE_TORN: unsynced bytes that survive, per file */
	bool keep_names; /* creates, renames, unlinks not yet dirsynced survive
	                  * (always with NUMSEQ__FATE_KEEP) */
} numseq__jfault_fate_t;

/* "Reboots": rewrites the modelled directory into the state the crash left
 * (crashing first if it has not crashed yet), makes that state really
 * durable, and resets the injector to model it afresh: every file durable,
 * no rules, all counts zero.  Files with no durable name are removed,
 * renames not dirsynced are undone (the replaced file comes back with its
 * synced content).  Returns 0 or -errno. */
int numseq__jfault_replay(numseq__jfault_t *f, const numseq__jfault_fate_t *fate);

#endif
