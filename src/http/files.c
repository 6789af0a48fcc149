/*
 * A worker's open files for one site (pl_http_files_t): the root directory
 * kept open, and the files asked for most recently kept open with their
 * stat, so that a busy site costs one pread() per request instead of
 * opening the root and the file, a stat and two closes.
 *
 * Nothing is trusted for more than a second of the caller's clock (the
 * now of the request): then the root's path is stat()ed again (a root
 * swapped by a deploy, or gone, is seen), and a file is opened again
 * beneath the root with the same rules as an uncached one (resolve.c)
 * and compared with what is kept. A file replaced, changed, chmod'ed or
 * deleted is therefore served as it was for at most the rest of that
 * second, as nginx's open_file_cache_valid does.
 *
 * A reply that sends a cached file holds a reference to it: the cache can
 * drop or replace the file meanwhile, the descriptor stays open until the
 * last reply lets it go.
 *
 * A small file's bytes are kept too (up to FILE_BYTES_MAX each, at most
 * CACHE_BYTES_MAX for the site), read once when the cache takes the file:
 * a request for it then costs no system call at all. They are the bytes
 * of the file that the stat describes, so what was said about a changed
 * file holds for them: the new bytes are served from the next second.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/serve_int.h"

#define FILE_BYTES_MAX 16384
#define CACHE_BYTES_MAX (256 * 1024)

typedef struct {
	char *rel;                 /* the key: the path beneath the root */
	uint64_t hash;             /* of rel */
	pl_http_open_file_t *file;
	time_t checked;            /* the second it was last found current */
	uint64_t used;             /* for least-recently-used eviction */
} entry_t;

struct pl_http_files {
	int root_fd;               /* -1: not open */
	dev_t root_dev;
	ino_t root_ino;
	time_t root_checked;
	size_t max, count;
	size_t bytes;              /* of the files' data kept */
	uint64_t tick;
	entry_t entries[];
};

pl_http_files_t *pl_http_files_new(size_t max_files)
{
	pl_http_files_t *f;

	if (max_files == 0)
		max_files = 1;
	f = calloc(1, sizeof *f + max_files * sizeof f->entries[0]);
	if (f == NULL)
		return NULL;
	f->root_fd = -1;
	f->max = max_files;
	return f;
}

void pl_http_open_file_release(pl_http_open_file_t *file)
{
	if (file == NULL || --file->refs > 0)
		return;
	close(file->fd);
	free(file->data);
	free(file);
}

static size_t data_len(const pl_http_open_file_t *file)
{
	return file->data ? (size_t)file->st.st_size : 0;
}

/* Reads a small regular file's bytes into the file, within the site's
 * budget; nothing is kept when it is larger or the read comes out short
 * (the file changes under us: it is read at each send instead). */
static void keep_bytes(pl_http_files_t *f, pl_http_open_file_t *file)
{
	size_t len = (size_t)file->st.st_size;

	if (!S_ISREG(file->st.st_mode) || file->data != NULL || len == 0 ||
	    len > FILE_BYTES_MAX || f->bytes + len > CACHE_BYTES_MAX)
		return;
	file->data = malloc(len);
	if (file->data == NULL)
		return;
	if (pread(file->fd, file->data, len, 0) != (ssize_t)len) {
		free(file->data);
		file->data = NULL;
		return;
	}
	f->bytes += len;
}

static void entry_drop(pl_http_files_t *f, size_t i)
{
	f->bytes -= data_len(f->entries[i].file);
	free(f->entries[i].rel);
	pl_http_open_file_release(f->entries[i].file);
	f->entries[i] = f->entries[--f->count];
}

static void drop_all(pl_http_files_t *f)
{
	while (f->count > 0)
		entry_drop(f, f->count - 1);
}

static void root_close(pl_http_files_t *f)
{
	drop_all(f);
	if (f->root_fd >= 0)
		close(f->root_fd);
	f->root_fd = -1;
}

void pl_http_files_free(pl_http_files_t *files)
{
	if (files == NULL)
		return;
	root_close(files);
	free(files);
}

static int root_open(pl_http_files_t *f, const char *root, time_t now)
{
	struct stat st;

	f->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f->root_fd < 0)
		return -errno;
	if (fstat(f->root_fd, &st) != 0) {
		int err = errno;
		root_close(f);
		return -err;
	}
	f->root_dev = st.st_dev;
	f->root_ino = st.st_ino;
	f->root_checked = now;
	return f->root_fd;
}

int pl_http_files_root(pl_http_files_t *f, const char *root, time_t now,
		       bool *reopened)
{
	struct stat st;

	if (f->root_fd >= 0 && f->root_checked == now && reopened == NULL)
		return f->root_fd;
	if (reopened != NULL)
		*reopened = true;
	if (f->root_fd >= 0) {
		/* the path may name another directory now (a symlink
		 * swapped by a deploy), or nothing */
		if (stat(root, &st) == 0 && S_ISDIR(st.st_mode) &&
		    st.st_dev == f->root_dev && st.st_ino == f->root_ino) {
			f->root_checked = now;
			if (reopened != NULL)
				*reopened = false;
			return f->root_fd;
		}
		root_close(f);
	}
	return root_open(f, root, now);
}

/* FNV-1a: the keys are paths from our own requests, and the table is
 * small and scanned, so a hash only spares most string compares. */
static uint64_t hash_of(const char *s)
{
	uint64_t h = 1469598103934665603u;

	while (*s != '\0')
		h = (h ^ (uint8_t)*s++) * 1099511628211u;
	return h;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size && a->st_mode == b->st_mode &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Opens rel beneath the root and stats it: a new file with one reference,
 * or -errno. */
static int open_new(pl_http_files_t *f, const char *rel, bool follow,
		    pl_http_open_file_t **out)
{
	pl_http_open_file_t *file;
	int fd, err;

	fd = pl_http_open_beneath(f->root_fd, rel, follow, PL_HTTP_RESOLVE_AUTO);
	if (fd < 0)
		return fd;
	file = malloc(sizeof *file);
	if (file == NULL) {
		close(fd);
		return -ENOMEM;
	}
	file->fd = fd;
	file->refs = 1;
	file->data = NULL;
	if (fstat(fd, &file->st) != 0) {
		err = errno;
		close(fd);
		free(file);
		return -err;
	}
	*out = file;
	return 0;
}

static size_t find(const pl_http_files_t *f, const char *rel, uint64_t hash)
{
	for (size_t i = 0; i < f->count; i++)
		if (f->entries[i].hash == hash &&
		    strcmp(f->entries[i].rel, rel) == 0)
			return i;
	return f->count;
}

static void insert(pl_http_files_t *f, const char *rel, uint64_t hash,
		   pl_http_open_file_t *file, time_t now)
{
	entry_t *e;
	char *key;

	/* only what a request can be answered from: a FIFO or device is
	 * refused by the caller, and never kept */
	if (!S_ISREG(file->st.st_mode) && !S_ISDIR(file->st.st_mode))
		return;
	key = strdup(rel);
	if (key == NULL)
		return;
	if (f->count == f->max) {
		size_t oldest = 0;
		for (size_t i = 1; i < f->count; i++)
			if (f->entries[i].used < f->entries[oldest].used)
				oldest = i;
		entry_drop(f, oldest);
	}
	e = &f->entries[f->count++];
	e->rel = key;
	e->hash = hash;
	e->file = file;
	file->refs++;
	keep_bytes(f, file);
	e->checked = now;
	e->used = ++f->tick;
}

/* An entry not checked this second: opened again and compared. The same
 * file keeps its descriptor; another (replaced, changed) takes the
 * entry's place; a failure drops the entry. */
static int revalidate(pl_http_files_t *f, size_t i, bool follow, time_t now)
{
	entry_t *e = &f->entries[i];
	pl_http_open_file_t *fresh = NULL;
	int ret = open_new(f, e->rel, follow, &fresh);

	if (ret < 0) {
		entry_drop(f, i);
		return ret;
	}
	if (same_file(&fresh->st, &e->file->st)) {
		pl_http_open_file_release(fresh);
	} else {
		f->bytes -= data_len(e->file);
		pl_http_open_file_release(e->file);
		e->file = fresh;
		keep_bytes(f, fresh);
	}
	e->checked = now;
	return 0;
}

int pl_http_files_open(pl_http_files_t *f, const char *rel, bool follow,
		       time_t now, pl_http_open_file_t **out)
{
	uint64_t hash = hash_of(rel);
	size_t i = find(f, rel, hash);
	int ret;

	if (i < f->count) {
		if (f->entries[i].checked != now &&
		    (ret = revalidate(f, i, follow, now)) < 0)
			return ret;
		f->entries[i].used = ++f->tick;
		*out = f->entries[i].file;
		(*out)->refs++;
		return 0;
	}
	ret = open_new(f, rel, follow, out);
	if (ret == -EMFILE || ret == -ENFILE) {
		/* descriptors run short: the cache gives its own back first */
		drop_all(f);
		ret = open_new(f, rel, follow, out);
	}
	if (ret < 0)
		return ret;
	insert(f, rel, hash, *out, now);
	return 0;
}
