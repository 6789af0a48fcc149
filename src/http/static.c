/*
 * Static files: GET and HEAD of the files under a site's root (RFC 9110).
 *
 * The URL path is checked and decoded (path.c), opened beneath the root
 * (resolve.c), and must be a regular file, or a directory with an
 * index.html. The answer carries the file's validators, honours the
 * preconditions (conditional.c) and a single byte range (range.c); the
 * body stays in the file: the reply hands the server a descriptor, an
 * offset and a length to stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/serve_int.h"

#define INDEX_NAME "index.html"

/* ---- finding the file --------------------------------------------------- */

/* The status for a failed open: 404 for whatever is not there or not
 * ours to show (never a hint of which), 503 when out of descriptors. */
static int open_error_status(int err, const char **why)
{
	switch (err) {
	case EMFILE:
	case ENFILE:
	case ENOMEM:
		*why = "open: out of file descriptors or memory";
		return 503;
	case EIO:
		*why = "open: I/O error";
		return 500;
	case EXDEV:
		*why = "open: a symbolic link leaves the root";
		return 404;
	case ELOOP:
		*why = "open: symbolic link loop, or a link that is never followed";
		return 404;
	case EACCES:
	case EPERM:
		*why = "open: permission denied";
		return 404;
	default:
		*why = "open: no such file";
		return 404;
	}
}

/* Where a request's file is looked up: the site, its root's descriptor,
 * and the cache it comes from (NULL: opened for this request). */
typedef struct {
	const pl_http_site_t *site;
	int root_fd;
	time_t now;
} lookup_t;

/* An open file with its stat; shared is the cache's file the descriptor
 * belongs to, or NULL when it is this request's own. */
typedef struct {
	int fd;
	struct stat st;
	pl_http_open_file_t *shared;
} found_t;

static void found_close(found_t *f)
{
	if (f->shared != NULL)
		pl_http_open_file_release(f->shared);
	else
		close(f->fd);
	f->fd = -1;
	f->shared = NULL;
}

/* Opens rel beneath the root and stats it, through the site's cache
 * when it has one. 0, or -errno. */
static int open_found(lookup_t *l, const char *rel, found_t *out)
{
	const pl_http_site_t *site = l->site;
	int ret;

	out->shared = NULL;
	if (site->files != NULL) {
		ret = pl_http_files_open(site->files, rel, site->follow_symlinks,
					 l->now, &out->shared);
		if (ret < 0)
			return ret;
		out->fd = out->shared->fd;
		out->st = out->shared->st;
		return 0;
	}
	out->fd = pl_http_open_beneath(l->root_fd, rel, site->follow_symlinks,
				       PL_HTTP_RESOLVE_AUTO);
	if (out->fd < 0)
		return out->fd;
	if (fstat(out->fd, &out->st) != 0) {
		ret = -errno;
		close(out->fd);
		return ret;
	}
	return 0;
}

static int root_status(int err, const char **why);

/* Opens rel beneath the root and stats it. 0, or an error status with
 * *why. */
static int open_stat(lookup_t *l, const char *rel, found_t *out,
		     const char **why)
{
	int ret = open_found(l, rel, out);
	bool reopened = false;
	int root_fd;

	if (ret == 0)
		return 0;
	/* a root kept open may be gone or replaced since this second began:
	 * before a 404 (or any error), it is checked again */
	if (l->site->files != NULL) {
		root_fd = pl_http_files_root(l->site->files, l->site->root,
					     l->now, &reopened);
		if (root_fd < 0)
			return root_status(-root_fd, why);
		if (reopened) {
			l->root_fd = root_fd;
			ret = open_found(l, rel, out);
			if (ret == 0)
				return 0;
		}
	}
	return open_error_status(-ret, why);
}

/* Appends "/index.html" to the relative path of a directory. */
static void add_index(char *rel)
{
	if (strcmp(rel, ".") == 0)
		strcpy(rel, INDEX_NAME);
	else
		strcat(rel, "/" INDEX_NAME);
}

/* ---- answering ---------------------------------------------------------- */

/* "/dir" -> 301 "/dir/" with the query kept (the raw target after the
 * path, so the URL is exactly the one asked for, plus the slash). */
static int redirect_to_directory(pl_http_answer_t *a, pl_http_str_t path)
{
	const pl_http_str_t *t = &a->req->target;
	size_t rest = t->len - (size_t)(path.ptr + path.len - t->ptr);
	char *location = malloc(path.len + 1 + rest + 1);
	int ret;

	if (location == NULL)
		return PL_ERR_NOMEM;
	memcpy(location, path.ptr, path.len);
	location[path.len] = '/';
	memcpy(location + path.len + 1, path.ptr + path.len, rest);
	location[path.len + 1 + rest] = '\0';
	ret = pl_http_answer_redirect(a, 301, location);
	free(location);
	return ret;
}

/* Which part of the file to send: RFC 9110 13.2.2 step 5 and 14.2. */
static pl_http_range_t choose_range(const pl_http_answer_t *a,
				    const pl_http_validators_t *v,
				    uint64_t size, uint64_t *first,
				    uint64_t *last)
{
	const pl_http_request_t *req = a->req;
	size_t pos = 0;
	const pl_http_field_t *f;

	/* 14.2: GET is the only method with ranges */
	if (!pl_http_method_is(req, "GET"))
		return PL_HTTP_RANGE_IGNORE;
	f = pl_http_fields_find(req->fields, req->field_count, "Range", &pos);
	if (f == NULL)
		return PL_HTTP_RANGE_IGNORE;
	/* two Range lines make a set of ranges: ignored like any other */
	if (pl_http_fields_find(req->fields, req->field_count, "Range", &pos))
		return PL_HTTP_RANGE_IGNORE;
	if (!pl_http_if_range_holds(req, v, a->now))
		return PL_HTTP_RANGE_IGNORE;
	return pl_http_range_parse(f->value.ptr, f->value.len, size, first, last);
}

static void add_validators(pl_http_answer_t *a, const pl_http_validators_t *v)
{
	if (v->last_modified[0] != '\0')
		pl_http_answer_field(a, "Last-Modified", v->last_modified);
	pl_http_answer_field(a, "ETag", v->etag);
}

/* Answers with the open regular file f (taken: attached to the reply or
 * closed). name gives the MIME type. */
static int send_file(pl_http_answer_t *a, found_t *f, const char *name)
{
	const struct stat *st = &f->st;
	pl_http_reply_t *r = a->reply;
	pl_http_validators_t v;
	uint64_t size = (uint64_t)st->st_size, first = 0, last = 0, len;
	char content_range[sizeof "bytes -/" + 3 * 20];
	pl_http_range_t range;
	int ret;

	pl_http_validators_make(st, a->now, &v);
	switch (pl_http_preconditions(a->req, &v, a->now)) {
	case PL_HTTP_PRECOND_FAILED:
		found_close(f);
		return pl_http_answer_error(a, 412, "precondition failed");
	case PL_HTTP_PRECOND_NOT_MODIFIED:
		found_close(f);
		/* 15.4.5: what a 200 would have said to update a cache */
		add_validators(a, &v);
		return pl_http_answer_send(a, 304, 0, NULL, 0);
	case PL_HTTP_PRECOND_PASS:
		break;
	}

	range = choose_range(a, &v, size, &first, &last);
	if (range == PL_HTTP_RANGE_UNSATISFIABLE) {
		found_close(f);
		/* 15.5.17: the current length, for the next try */
		snprintf(content_range, sizeof content_range, "bytes */%" PRIu64,
			 size);
		pl_http_answer_field(a, "Content-Range", content_range);
		return pl_http_answer_error(a, 416, "range not satisfiable");
	}
	pl_http_answer_field(a, "Content-Type", pl_http_mime_type(name));
	add_validators(a, &v);
	pl_http_answer_field(a, "Accept-Ranges", "bytes");
	pl_http_answer_field(a, "X-Content-Type-Options", "nosniff");
	len = size;
	if (range == PL_HTTP_RANGE_PARTIAL) {
		snprintf(content_range, sizeof content_range,
			 "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first, last,
			 size);
		pl_http_answer_field(a, "Content-Range", content_range);
		len = last - first + 1;
	}
	ret = pl_http_answer_send(a, range == PL_HTTP_RANGE_PARTIAL ? 206 : 200,
				  len, NULL, 0);
	if (ret != PL_OK || a->head || len == 0) {
		found_close(f);
		return ret;
	}
	r->file_fd = f->fd;
	r->file_ref = f->shared;
	r->file_offset = first;
	r->file_len = len;
	r->body_bytes = len;
	return PL_OK;
}

/* Finds the file for rel (a directory's index.html) and answers it, or
 * answers why not. */
static int serve_relative(lookup_t *l, pl_http_answer_t *a, pl_http_str_t path,
			  char *rel, bool dir_slash)
{
	const char *why = NULL;
	found_t f;
	int status;

	status = open_stat(l, rel, &f, &why);
	if (status != 0)
		return pl_http_answer_error(a, status, why);
	if (S_ISDIR(f.st.st_mode)) {
		found_close(&f);
		/* relative links in dir/index.html need the slash; 13.2.1:
		 * a redirect comes before any precondition */
		if (!dir_slash)
			return redirect_to_directory(a, path);
		add_index(rel);
		status = open_stat(l, rel, &f, &why);
		if (status != 0)
			return pl_http_answer_error(
				a, status,
				status == 404 ? "directory without index.html" : why);
	} else if (dir_slash) {
		found_close(&f);
		return pl_http_answer_error(a, 404, "path: a file named as a directory");
	}
	/* no devices, FIFOs or sockets; no directory listings */
	if (!S_ISREG(f.st.st_mode)) {
		found_close(&f);
		return pl_http_answer_error(a, 404, "not a regular file");
	}
	return send_file(a, &f, rel);
}

/* The root itself cannot be opened. Gone (deleted, renamed, unmounted)
 * or out of descriptors: 503, the site is unavailable until an operator
 * puts it back, and nothing a client or cache should keep. Otherwise
 * (permissions, I/O): 500. */
static int root_status(int err, const char **why)
{
	if (err == ENOENT || err == ENOTDIR) {
		*why = "the root directory is missing";
		return 503;
	}
	if (err == EMFILE || err == ENFILE || err == ENOMEM) {
		*why = "open root: out of file descriptors or memory";
		return 503;
	}
	if (err == EACCES) {
		*why = "the root directory is not readable by the workers' user";
		return 500;
	}
	*why = "the root directory cannot be opened";
	return 500;
}

static int root_error(pl_http_answer_t *a, int err)
{
	const char *why = NULL;
	int status = root_status(err, &why);

	return pl_http_answer_error(a, status, why);
}

int pl_http_serve_file(const pl_http_site_t *site, pl_http_answer_t *a)
{
	char rel[PATH_MAX + sizeof "/" INDEX_NAME];
	pl_http_str_t path, query;
	const char *why = NULL;
	lookup_t l = {site, -1, a->now};
	bool dir_slash;
	int ret;

	pl_http_target_split(a->req->target, a->req->target_form, &path, &query,
			     NULL);
	/* absolute-form "http://host" has an empty path: "/" (which never
	 * needs redirect_to_directory, the one user of path's place in the
	 * target) */
	if (path.len == 0)
		path = (pl_http_str_t){"/", 1};
	if (pl_http_path_to_relative(path.ptr, path.len, rel, PATH_MAX,
				     &dir_slash, &why) != PL_OK)
		return pl_http_answer_error(a, 404, why);

	if (site->files != NULL) {
		/* kept open, re-checked once a second (files.c) */
		l.root_fd = pl_http_files_root(site->files, site->root, a->now,
					       NULL);
		if (l.root_fd < 0)
			return root_error(a, -l.root_fd);
		return serve_relative(&l, a, path, rel, dir_slash);
	}
	/* opened for each request: a root swapped for a new one (a deploy
	 * that renames a symlink) is seen at once */
	l.root_fd = open(site->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (l.root_fd < 0)
		return root_error(a, errno);
	ret = serve_relative(&l, a, path, rel, dir_slash);
	close(l.root_fd);
	return ret;
}
