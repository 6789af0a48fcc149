/*
 * Files of the local CA and of the certificates it issues: written whole
 * or not at all, keys never readable by others, not even for an instant.
 *
 * Each file is written to a temporary name in its own directory (so the
 * final rename is atomic), created by mkostemp with mode 0600 before a
 * byte is written, and given its final mode only once complete. A set of
 * files (a certificate and its key) is put in place together: when the
 * second rename fails, the first is undone.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>

#include "x509/ca_internal.h"

/* Where one file of a set is on its way into place. */
typedef struct {
	char tmp[PATH_MAX];    /* the new content, until renamed */
	char backup[PATH_MAX]; /* a hard link to the file it replaces */
	bool has_tmp, has_backup, placed;
} staging_t;

static const char *errno_text(int e, char *buf, size_t cap)
{
	return strerror_r(e, buf, cap);
}

/* dir/.base.WHAT-XXXXXX for path = dir/base (path's directory, so that
 * renaming into place never crosses a file system). */
static int sibling_name(const char *path, const char *what, char *out,
			size_t cap)
{
	char copy_dir[PATH_MAX], copy_base[PATH_MAX];
	int n;

	if (strlen(path) >= sizeof(copy_dir))
		return PL_ERR_ARG;
	strcpy(copy_dir, path);
	strcpy(copy_base, path);
	n = snprintf(out, cap, "%s/.%s.%s-XXXXXX", dirname(copy_dir),
		     basename(copy_base), what);
	return n > 0 && (size_t)n < cap ? PL_OK : PL_ERR_ARG;
}

/* Writes f's content into a new temporary file, flushed to disk. */
static int write_temp(const pl_ca_file_t *f, staging_t *s, char *err,
		      size_t err_len)
{
	char ebuf[128];
	BIO *bio = NULL;
	int fd, rc, e;

	if (sibling_name(f->path, "tmp", s->tmp, sizeof(s->tmp)) != PL_OK) {
		pl_x509_set_err(err, err_len, "%s: the path is too long",
				f->path);
		return PL_ERR_ARG;
	}
	/* mkostemp creates with mode 0600 and O_EXCL: nobody else can open
	 * the file, and it cannot be a link planted in advance. */
	fd = mkostemp(s->tmp, O_CLOEXEC);
	if (fd < 0) {
		pl_x509_set_err(err, err_len, "%s: cannot create a file in its "
				"directory: %s", f->path,
				errno_text(errno, ebuf, sizeof(ebuf)));
		return PL_ERR_IO;
	}
	s->has_tmp = true;
	bio = BIO_new_fd(fd, BIO_NOCLOSE);
	rc = bio == NULL ? PL_ERR_NOMEM : f->write(bio, f->arg);
	if (rc == PL_OK && BIO_flush(bio) != 1)
		rc = PL_ERR_IO;
	e = errno;
	BIO_free(bio);
	ERR_clear_error();
	if (rc == PL_OK && (fchmod(fd, f->mode) != 0 || fsync(fd) != 0)) {
		rc = PL_ERR_IO;
		e = errno;
	}
	if (close(fd) != 0 && rc == PL_OK) {
		rc = PL_ERR_IO;
		e = errno;
	}
	if (rc != PL_OK)
		pl_x509_set_err(err, err_len, "%s: cannot write: %s", f->path,
				rc == PL_ERR_IO ? errno_text(e, ebuf, sizeof(ebuf))
						: pl_strerror(rc));
	return rc;
}

/* Keeps the file that f will replace under a second name (a hard link,
 * so the original never leaves its place) to restore it on failure. */
static void keep_backup(const pl_ca_file_t *f, staging_t *s)
{
	for (int attempt = 0; attempt < 100; attempt++) {
		int fd;

		if (sibling_name(f->path, "old", s->backup,
				 sizeof(s->backup)) != PL_OK)
			return;
		/* A unique name from mkostemp, then the link over it. */
		fd = mkostemp(s->backup, O_CLOEXEC);
		if (fd < 0)
			return;
		close(fd);
		unlink(s->backup);
		if (link(f->path, s->backup) == 0) {
			s->has_backup = true;
			return;
		}
		/* A file system without hard links cannot keep a backup;
		 * the renames below then cannot be undone, only reported. */
		if (errno != EEXIST)
			return;
	}
}

/* Undoes the renames already made and removes every temporary file. */
static void roll_back(const pl_ca_file_t *files, staging_t *st,
		      size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (st[i].placed) {
			if (st[i].has_backup) {
				if (rename(st[i].backup, files[i].path) == 0)
					st[i].has_backup = false;
			} else {
				unlink(files[i].path);
			}
		}
		if (st[i].has_tmp)
			unlink(st[i].tmp);
		if (st[i].has_backup)
			unlink(st[i].backup);
	}
}

/* Makes the renames durable: they live in the directory's entries. */
static void sync_dir(const char *path)
{
	char copy[PATH_MAX];
	int fd;

	if (strlen(path) >= sizeof(copy))
		return;
	strcpy(copy, path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	/* The files are complete and in place whatever this returns. */
	(void)fsync(fd);
	close(fd);
}

int pl_ca_files_commit(pl_ca_file_t *files, size_t count, char *err,
		       size_t err_len)
{
	staging_t st[4];
	char ebuf[128];
	struct stat sb;
	size_t i;
	int rc = PL_OK;

	if (count > sizeof(st) / sizeof(st[0]))
		return PL_ERR_ARG;
	memset(st, 0, sizeof(st));
	for (i = 0; i < count && rc == PL_OK; i++)
		rc = write_temp(&files[i], &st[i], err, err_len);
	for (i = 0; i < count && rc == PL_OK; i++) {
		files[i].replaced = lstat(files[i].path, &sb) == 0;
		if (files[i].replaced && S_ISDIR(sb.st_mode)) {
			pl_x509_set_err(err, err_len, "%s: is a directory",
					files[i].path);
			rc = PL_ERR_IO;
		} else if (files[i].replaced) {
			keep_backup(&files[i], &st[i]);
		}
	}
	for (i = 0; i < count && rc == PL_OK; i++) {
		if (rename(st[i].tmp, files[i].path) != 0) {
			pl_x509_set_err(err, err_len, "%s: cannot put the new "
					"file in place: %s", files[i].path,
					errno_text(errno, ebuf, sizeof(ebuf)));
			rc = PL_ERR_IO;
			break;
		}
		st[i].has_tmp = false;
		st[i].placed = true;
	}
	if (rc != PL_OK) {
		roll_back(files, st, count);
		return rc;
	}
	for (i = 0; i < count; i++) {
		if (st[i].has_backup)
			unlink(st[i].backup);
		sync_dir(files[i].path);
	}
	return PL_OK;
}

/* Makes one directory; an existing directory is fine. */
static int make_one(const char *path, pl_ca_dirs_t *made, char *err,
		    size_t err_len)
{
	char ebuf[128];
	struct stat sb;

	if (mkdir(path, 0700) == 0) {
		if (made->first_len == 0)
			made->first_len = strlen(path);
		return PL_OK;
	}
	if (errno == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return PL_OK;
	if (errno == EEXIST)
		pl_x509_set_err(err, err_len, "%s: exists and is not a "
				"directory", path);
	else
		pl_x509_set_err(err, err_len, "%s: cannot create the "
				"directory: %s", path,
				errno_text(errno, ebuf, sizeof(ebuf)));
	return PL_ERR_IO;
}

int pl_ca_mkdirs(const char *path, pl_ca_dirs_t *made, char *err,
		 size_t err_len)
{
	char prefix[PATH_MAX];
	size_t len = strlen(path);
	int rc;

	made->first_len = 0;
	if (len == 0 || len >= sizeof(made->path)) {
		pl_x509_set_err(err, err_len, "'%s': not a usable directory "
				"name", path);
		return PL_ERR_ARG;
	}
	strcpy(made->path, path);
	while (len > 1 && made->path[len - 1] == '/')
		made->path[--len] = '\0';
	for (size_t i = 1; i <= len; i++) {
		/* Each prefix that ends a component: "/a", "/a/b", ... */
		if ((made->path[i] != '/' && made->path[i] != '\0') ||
		    made->path[i - 1] == '/')
			continue;
		memcpy(prefix, made->path, i);
		prefix[i] = '\0';
		rc = make_one(prefix, made, err, err_len);
		if (rc != PL_OK) {
			pl_ca_dirs_undo(made);
			return rc;
		}
	}
	return PL_OK;
}

void pl_ca_dirs_undo(const pl_ca_dirs_t *made)
{
	char path[PATH_MAX];
	size_t len = strlen(made->path);

	if (made->first_len == 0)
		return;
	memcpy(path, made->path, len + 1);
	while (len >= made->first_len) {
		char *slash;

		if (rmdir(path) != 0)
			return;
		slash = strrchr(path, '/');
		if (slash == NULL || slash == path)
			return;
		/* "a//b": every slash before the parent's name goes too. */
		while (slash > path && slash[-1] == '/')
			slash--;
		*slash = '\0';
		len = (size_t)(slash - path);
	}
}
