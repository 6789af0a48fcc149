/*
 * What the serving files of the http layer share: the answer being built
 * (reply.c), HTML escaping (html.c), MIME types (mime.c), the URL path
 * check (path.c), opening beneath the root (resolve.c), HTTP-dates
 * (httpdate.c), validators and preconditions (conditional.c) and byte
 * ranges (range.c). Not a public header; the tests include it.
 */
#ifndef PL_HTTP_SERVE_INT_H
#define PL_HTTP_SERVE_INT_H

#include <sys/stat.h>

#include "http/http_int.h"

/* html.c: s[0..len) as HTML text or attribute value: & < > " ' become
 * character references, control bytes other than TAB and LF become '?'. */
void pl_http_out_html(pl_http_out_t *o, const char *s, size_t len);
/* The same for a C string; NULL appends nothing. */
void pl_http_out_html_str(pl_http_out_t *o, const char *s);

/* ---- reading field values --------------------------------------------------
 * A cursor (pointer + end) that every read checks: no parser here indexes
 * a raw buffer. */

typedef struct {
	const char *p;
	const char *end;
} pl_http_rd_t;

static inline pl_http_rd_t pl_http_rd(const char *s, size_t len)
{
	pl_http_rd_t r = {s, s + len};
	return r;
}

static inline bool pl_http_rd_done(const pl_http_rd_t *r)
{
	return r->p == r->end;
}

/* Whether the next byte is c (without taking it). */
static inline bool pl_http_rd_peek(const pl_http_rd_t *r, char c)
{
	return r->p < r->end && *r->p == c;
}

/* Takes lit if the input goes on with it (case-sensitive). */
static inline bool pl_http_rd_lit(pl_http_rd_t *r, const char *lit)
{
	size_t n = 0;

	while (lit[n] != '\0') {
		if (r->p + n == r->end || r->p[n] != lit[n])
			return false;
		n++;
	}
	r->p += n;
	return true;
}

/* Skips OWS (RFC 9110 5.6.3). */
static inline void pl_http_rd_ows(pl_http_rd_t *r)
{
	while (r->p < r->end && pl_http_is_ws((uint8_t)*r->p))
		r->p++;
}

/* ---- the answer being built --------------------------------------------- */

#define PL_HTTP_ANSWER_MAX_FIELDS 16
#define PL_HTTP_HSTS_MAX sizeof "max-age=18446744073709551615"

/* One response in the making: the request it answers, the fields added so
 * far (their strings must live until pl_http_answer_send) and the reply it
 * fills. */
typedef struct {
	const pl_http_request_t *req;
	time_t now;
	const char *server;
	bool head;        /* HEAD: the same head, no body */
	bool keep_alive;
	pl_http_reply_t *reply;
	pl_http_field_t fields[PL_HTTP_ANSWER_MAX_FIELDS];
	size_t field_count;
	char hsts[PL_HTTP_HSTS_MAX]; /* "" when none */
} pl_http_answer_t;

/* Empties reply (closing any file it holds) and starts an answer to req
 * (NULL: an answer to no parsed request, as HTTP/1.1).
 * hsts_max_age < 0: no Strict-Transport-Security (plain HTTP, or turned
 * off). */
void pl_http_answer_start(pl_http_answer_t *a, const pl_http_request_t *req,
			  time_t now, const char *server, long hsts_max_age,
			  bool keep_alive, pl_http_reply_t *reply);

/* Adds a header field; name and value are C strings that must outlive the
 * answer. Beyond PL_HTTP_ANSWER_MAX_FIELDS fields, the send fails with
 * PL_ERR_ARG (a programming error, never input-driven). */
void pl_http_answer_field(pl_http_answer_t *a, const char *name,
			  const char *value);

/* Writes the head (status, the fields added, HSTS last) with
 * Content-Length content_length (no framing field for 304), then body
 * (body_len bytes; not for HEAD). The reply's status, body_bytes and close
 * are set; a file to stream is the caller's to attach after. Returns
 * PL_OK, PL_ERR_NOMEM, PL_ERR_ARG (a value the writer refused). */
int pl_http_answer_send(pl_http_answer_t *a, int status,
			uint64_t content_length, const void *body,
			size_t body_len);

/* Sends an error answer: the fields added so far, then text/plain
 * "404 Not Found\n" (no body for HEAD). why (static, never sent) is kept
 * in reply->why for the error log. */
int pl_http_answer_error(pl_http_answer_t *a, int status, const char *why);

/* Whether the method is exactly GET / HEAD (methods are case-sensitive). */
bool pl_http_method_is(const pl_http_request_t *req, const char *method);

/* redirect.c: a redirect to location (a URI reference, safe for a field
 * value) with a tiny HTML body that links to it. */
int pl_http_answer_redirect(pl_http_answer_t *a, int status,
			    const char *location);

/* ---- the answers -------------------------------------------------------- */

/* static.c: GET or HEAD of a file under site->root. */
int pl_http_serve_file(const pl_http_site_t *site, pl_http_answer_t *a);

/* welcome.c: GET or HEAD of the built-in page (info may be NULL). */
int pl_http_serve_welcome(const pl_http_conninfo_t *info, pl_http_answer_t *a);

/* welcome.c: the page's HTML appended to out (for tests and HEAD's
 * length). */
int pl_http_welcome_html(const pl_http_conninfo_t *info, pl_http_buf_t *out);

/* ---- MIME types (mime.c) ------------------------------------------------ */

/* The Content-Type for a file name, from its extension (ASCII
 * case-insensitive): "text/html; charset=utf-8", ...,
 * "application/octet-stream" when unknown. Never NULL. */
const char *pl_http_mime_type(const char *name);

/* ---- the URL path (path.c) ---------------------------------------------- */

/* Turns the raw path of a request-target (percent-encoded, starting with
 * '/') into a path relative to the site's root: decoded, its segments
 * joined by '/', "." for the root itself. *dir_slash says whether the path
 * ended with '/'. out must hold raw_len + 1 bytes; PATH_MAX caps the rest.
 * Returns PL_OK, or PL_ERR_DECODE with *why set for anything refused (the
 * caller answers 404): a bad or NUL escape, %2F, %25 (double encoding),
 * '\' raw or %5C, control bytes, empty segments ("//"), and any segment
 * that starts with '.' (".", "..", dotfiles, dot-directories). */
int pl_http_path_to_relative(const char *raw, size_t raw_len, char *out,
			     size_t out_cap, bool *dir_slash, const char **why);

/* ---- opening beneath the root (resolve.c) ------------------------------- */

typedef enum {
	PL_HTTP_RESOLVE_AUTO, /* openat2 when the kernel has it, else the walk */
	PL_HTTP_RESOLVE_WALK, /* the component walk (tests use it directly) */
} pl_http_resolve_mode_t;

/* Opens rel (from pl_http_path_to_relative: no "..", no empty segments)
 * beneath the directory root_fd, read-only, non-blocking (a FIFO's open
 * does not wait), close-on-exec. Without follow_symlinks, symbolic links
 * are followed only while they stay beneath root_fd: an absolute link, or
 * one whose ".." climbs above root_fd, is refused with EXDEV (openat2's
 * RESOLVE_BENEATH). With it, every link is followed. /proc "magic" links
 * never are. Returns the descriptor, or -errno. */
int pl_http_open_beneath(int root_fd, const char *rel, bool follow_symlinks,
			 pl_http_resolve_mode_t mode);

/* ---- a worker's open files (files.c) ------------------------------------ */

/* One open file, shared by a pl_http_files_t and the replies sending it;
 * closed and freed when the last of them lets it go. */
typedef struct pl_http_open_file {
	int fd;
	struct stat st;
	unsigned refs;
	/* a small file's bytes, read when the cache took it (NULL: read
	 * from fd as it is sent) */
	uint8_t *data;
} pl_http_open_file_t;

/* Lets one reference go (NULL is fine). */
void pl_http_open_file_release(pl_http_open_file_t *file);

/* The descriptor of the site's root (root, its path), opened or re-checked
 * when it was not this second (now). With reopened, re-checked whatever
 * the time, and *reopened says whether the descriptor is another
 * directory's now (the cache emptied). -errno when it cannot be opened
 * (then nothing is kept). */
int pl_http_files_root(pl_http_files_t *files, const char *root, time_t now,
		       bool *reopened);

/* rel (from pl_http_path_to_relative) opened beneath the root that
 * pl_http_files_root() returned, as pl_http_open_beneath() opens it, with
 * its stat: from the cache when it was found current this second, else
 * opened (and kept when it is a regular file or a directory). *out gets a
 * reference for the caller. 0, or -errno. */
int pl_http_files_open(pl_http_files_t *files, const char *rel,
		       bool follow_symlinks, time_t now,
		       pl_http_open_file_t **out);

/* ---- HTTP-dates (httpdate.c) -------------------------------------------- */

/* Parses s[0..len) as an HTTP-date in any of RFC 9110 5.6.7's three
 * formats (IMF-fixdate, rfc850-date, asctime-date), nothing before or
 * after it. now places rfc850's two-digit year. Returns PL_OK with *t, or
 * PL_ERR_DECODE. */
int pl_http_parse_date(const char *s, size_t len, time_t now, time_t *t);

/* ---- validators and preconditions (conditional.c) ----------------------- */

#define PL_HTTP_ETAG_MAX sizeof "W/\"ffffffffffffffff-ffffffffffffffff\""

/* A file's validators as this server sends them. */
typedef struct {
	char etag[PL_HTTP_ETAG_MAX];        /* "\"<mtime ns hex>-<size hex>\"" */
	char last_modified[PL_HTTP_DATE_LEN + 1];
	time_t last_modified_time;          /* mtime, never after now */
	bool strong;                        /* modified before this second */
} pl_http_validators_t;

/* Makes the validators of a file from its stat and the current time. */
void pl_http_validators_make(const struct stat *st, time_t now,
			     pl_http_validators_t *v);

typedef enum {
	PL_HTTP_PRECOND_PASS,         /* go on: 200 or 206 */
	PL_HTTP_PRECOND_NOT_MODIFIED, /* 304 */
	PL_HTTP_PRECOND_FAILED,       /* 412 */
} pl_http_precond_t;

/* Evaluates If-Match, If-Unmodified-Since, If-None-Match and
 * If-Modified-Since in RFC 9110 13.2.2's order, for a GET or HEAD of an
 * existing file. */
pl_http_precond_t pl_http_preconditions(const pl_http_request_t *req,
					const pl_http_validators_t *v,
					time_t now);

/* Whether If-Range (RFC 9110 13.1.5) lets a Range apply: true without
 * If-Range; with it, a strong ETag match or an exact match of a strong
 * Last-Modified. */
bool pl_http_if_range_holds(const pl_http_request_t *req,
			    const pl_http_validators_t *v, time_t now);

/* ---- byte ranges (range.c) ---------------------------------------------- */

typedef enum {
	PL_HTTP_RANGE_IGNORE,        /* send the whole file: 200 */
	PL_HTTP_RANGE_PARTIAL,       /* 206 with [*first, *last] */
	PL_HTTP_RANGE_UNSATISFIABLE, /* 416 */
} pl_http_range_t;

/* Reads a Range field value (RFC 9110 14.1-14.2) against a file of size
 * bytes: a unit other than bytes, a malformed or invalid set, more than
 * one range, or an empty file: IGNORE. One satisfiable range: PARTIAL with
 * its bounds (inclusive) clamped to the file. One unsatisfiable range:
 * UNSATISFIABLE. */
pl_http_range_t pl_http_range_parse(const char *value, size_t len,
				    uint64_t size, uint64_t *first,
				    uint64_t *last);

#endif
