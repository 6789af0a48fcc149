/*
 * Opening a file beneath the site's root, so that no symbolic link takes a
 * request outside it (unless the site owner asked for links to be
 * followed). Linux 5.6+ does it in one call: openat2() with
 * RESOLVE_BENEATH. Without it (older kernels, or a seccomp filter that
 * refuses the call) a walk does the same, one component at a time, each
 * opened with O_NOFOLLOW, links read and resolved by hand against a stack
 * of directories that never goes above the root.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "http/serve_int.h"

#if defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#endif
#endif
/* headers older than Linux 5.6: the walk alone */
#if defined(RESOLVE_BENEATH) && defined(SYS_openat2)
#define HAVE_OPENAT2 1
#endif

/* Read-only; O_NONBLOCK so that opening a FIFO does not wait for a writer
 * (it is refused after fstat, like any file that is not regular);
 * O_NOCTTY so that a terminal never becomes ours. */
#define OPEN_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
#define MAX_LINKS 40  /* as the kernel's own limit (ELOOP) */
#define MAX_DEPTH 64  /* directories deep beneath the root */

/* 0: not tried yet, 1: works, -1: the kernel has no openat2 */
static atomic_int openat2_state;

static int open_openat2(int root_fd, const char *rel, bool follow)
{
#ifdef HAVE_OPENAT2
	struct open_how how = {0};
	long fd;

	how.flags = OPEN_FLAGS;
	how.resolve = RESOLVE_NO_MAGICLINKS | (follow ? 0 : RESOLVE_BENEATH);
	fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof how);
	return fd >= 0 ? (int)fd : -errno;
#else
	return -ENOSYS;
#endif
}

/* ---- the walk ----------------------------------------------------------- */

/* The walk: the components still to resolve in buf[0..len), separated by
 * '/' (a link's target goes in front of what followed the link), and
 * the directories entered so far. */
typedef struct {
	char buf[PATH_MAX];
	size_t len;
	int dirs[MAX_DEPTH + 1]; /* dirs[0] is the root (not ours to close) */
	size_t depth;
	unsigned links;
} walk_t;

static void walk_release(walk_t *w)
{
	while (w->depth > 0)
		close(w->dirs[w->depth--]);
}

/* Takes the next component out of buf into name (NUL-terminated);
 * *more says whether anything, if only a '/', follows it. false when
 * nothing is left. */
static bool next_component(walk_t *w, char name[NAME_MAX + 1], bool *more)
{
	size_t i = 0, n;

	while (i < w->len && w->buf[i] == '/')
		i++;
	if (i == w->len)
		return false;
	n = 0;
	while (i + n < w->len && w->buf[i + n] != '/')
		n++;
	/* too long a name comes out empty, which the caller refuses */
	if (n > NAME_MAX) {
		name[0] = '\0';
	} else {
		memcpy(name, w->buf + i, n);
		name[n] = '\0';
	}
	i += n;
	*more = i < w->len;
	memmove(w->buf, w->buf + i, w->len - i);
	w->len -= i;
	return true;
}

/* Puts the target of the link name (in the current directory) in front
 * of the components still to come. */
static int expand_link(walk_t *w, const char *name)
{
	char target[PATH_MAX];
	ssize_t n;

	if (++w->links > MAX_LINKS)
		return -ELOOP;
	n = readlinkat(w->dirs[w->depth], name, target, sizeof target);
	if (n < 0)
		return -errno;
	if (n == 0 || (size_t)n >= sizeof target)
		return -ENAMETOOLONG;
	/* RESOLVE_BENEATH: an absolute link is never beneath */
	if (target[0] == '/')
		return -EXDEV;
	/* what follows the link still begins with its '/', if anything
	 * does: "link/x" becomes "target/x", "link" becomes "target" */
	if ((size_t)n + w->len > sizeof w->buf)
		return -ENAMETOOLONG;
	memmove(w->buf + n, w->buf, w->len);
	memcpy(w->buf, target, (size_t)n);
	w->len += (size_t)n;
	return 0;
}

/* Opens the last component, found to be a file that is not a directory,
 * for reading, and checks it is still what the walk saw. */
static int open_final(walk_t *w, const char *name, const struct stat *seen)
{
	struct stat st;
	int fd = openat(w->dirs[w->depth], name, OPEN_FLAGS | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || st.st_dev != seen->st_dev ||
	    st.st_ino != seen->st_ino) {
		/* replaced between the two opens: refuse, do not retry */
		close(fd);
		return -ENOENT;
	}
	return fd;
}

/* One component: a directory is entered, a link expanded, anything else
 * is the end of the walk (*fd_out set). */
static int walk_step(walk_t *w, const char *name, bool more, int *fd_out)
{
	struct stat st;
	int fd;

	if (name[0] == '\0')
		return -ENAMETOOLONG;
	if (strcmp(name, ".") == 0)
		return 0;
	if (strcmp(name, "..") == 0) {
		/* RESOLVE_BENEATH: climbing above the root is an escape */
		if (w->depth == 0)
			return -EXDEV;
		close(w->dirs[w->depth--]);
		return 0;
	}
	fd = openat(w->dirs[w->depth], name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	if (S_ISLNK(st.st_mode)) {
		close(fd);
		return expand_link(w, name);
	}
	if (S_ISDIR(st.st_mode)) {
		if (w->depth == MAX_DEPTH) {
			close(fd);
			return -ENAMETOOLONG;
		}
		w->dirs[++w->depth] = fd;
		return 0;
	}
	close(fd);
	/* "file/..." or "file/": a file is not a directory */
	if (more)
		return -ENOTDIR;
	*fd_out = open_final(w, name, &st);
	return *fd_out < 0 ? *fd_out : 1;
}

static int open_walk(int root_fd, const char *rel)
{
	walk_t w;
	char name[NAME_MAX + 1];
	bool more;
	int fd = -1, ret = 0;

	w.len = strlen(rel);
	if (w.len >= sizeof w.buf)
		return -ENAMETOOLONG;
	memcpy(w.buf, rel, w.len);
	w.dirs[0] = root_fd;
	w.depth = 0;
	w.links = 0;
	while (ret == 0 && next_component(&w, name, &more))
		ret = walk_step(&w, name, more, &fd);
	if (ret == 0) {
		/* the walk ended on a directory: open it for reading */
		fd = openat(w.dirs[w.depth], ".", OPEN_FLAGS | O_DIRECTORY);
		ret = fd >= 0 ? 1 : -errno;
	}
	walk_release(&w);
	return ret < 0 ? ret : fd;
}

int pl_http_open_beneath(int root_fd, const char *rel, bool follow_symlinks,
			 pl_http_resolve_mode_t mode)
{
	int fd;

	if (mode == PL_HTTP_RESOLVE_AUTO &&
	    atomic_load_explicit(&openat2_state, memory_order_relaxed) >= 0) {
		fd = open_openat2(root_fd, rel, follow_symlinks);
		if (fd != -ENOSYS && fd != -EPERM) {
			atomic_store_explicit(&openat2_state, 1,
					      memory_order_relaxed);
			return fd;
		}
		/* ENOSYS: an old kernel, for good; EPERM: a seccomp filter
		 * that may be lifted, or a real EPERM the walk meets too */
		if (fd == -ENOSYS)
			atomic_store_explicit(&openat2_state, -1,
					      memory_order_relaxed);
	}
	if (follow_symlinks) {
		/* the site owner trusts their links; ".." never comes from
		 * a URL (pl_http_path_to_relative refuses it) */
		fd = openat(root_fd, rel, OPEN_FLAGS);
		return fd >= 0 ? fd : -errno;
	}
	return open_walk(root_fd, rel);
}
