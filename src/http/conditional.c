/*
 * Validators (RFC 9110 8.8) and conditional requests (RFC 9110 13): the
 * ETag and Last-Modified of a file, and If-Match, If-Unmodified-Since,
 * If-None-Match, If-Modified-Since and If-Range evaluated against them.
 */
#include <string.h>

#include "http/serve_int.h"

/* v in lowercase hex, without leading zeros, at p; returns the end. */
static char *put_hex(char *p, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	int shift = 60;

	while (shift > 0 && (v >> shift) == 0)
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*p++ = digits[(v >> shift) & 0xf];
	return p;
}

void pl_http_validators_make(const struct stat *st, time_t now,
			     pl_http_validators_t *v)
{
	char *p = v->etag;
	uint64_t ns = (uint64_t)st->st_mtim.tv_sec * 1000000000u +
		      (uint64_t)st->st_mtim.tv_nsec;
	time_t mtime = st->st_mtim.tv_sec;

	/* A file changed during the current second could change again with
	 * the same timestamp (file times advance by clock ticks) and the
	 * same size: its validators are weak until that second is over
	 * (8.8.1; Apache does the same). */
	v->strong = mtime < now;
	/* W/"<mtime ns>-<size>" in hex, as PL_HTTP_ETAG_MAX counts it */
	if (!v->strong) {
		memcpy(p, "W/", 2);
		p += 2;
	}
	*p++ = '"';
	p = put_hex(p, ns);
	*p++ = '-';
	p = put_hex(p, (uint64_t)st->st_size);
	*p++ = '"';
	*p = '\0';
	/* 8.8.2.1: never later than the Date sent with it */
	v->last_modified_time = mtime < now ? mtime : now;
	if (pl_http_format_date(v->last_modified_time, v->last_modified) !=
	    PL_OK)
		v->last_modified[0] = '\0'; /* outside years 0-9999: none */
}

/* ---- entity tags -------------------------------------------------------- */

/* entity-tag = [ weak ] opaque-tag; opaque-tag = DQUOTE *etagc DQUOTE;
 * etagc = %x21 / %x23-7E / obs-text (8.8.3). *opaque gets the opaque-tag,
 * quotes included. */
static bool read_entity_tag(pl_http_rd_t *r, pl_http_str_t *opaque,
			    bool *weak)
{
	const char *start;

	*weak = pl_http_rd_lit(r, "W/");
	start = r->p;
	if (!pl_http_rd_lit(r, "\""))
		return false;
	while (r->p < r->end && *r->p != '"') {
		uint8_t c = (uint8_t)*r->p;
		if (c < 0x21 || c == 0x7f)
			return false;
		r->p++;
	}
	if (!pl_http_rd_lit(r, "\""))
		return false;
	*opaque = (pl_http_str_t){start, (size_t)(r->p - start)};
	return true;
}

/* 8.8.3.2: strong comparison wants both tags strong; weak comparison
 * looks at the opaque-tags only. */
static bool etag_matches(const pl_http_validators_t *v, pl_http_str_t opaque,
			 bool weak, bool strong_comparison)
{
	const char *ours = v->etag + (v->strong ? 0 : 2);
	size_t n = strlen(ours);

	if (strong_comparison && (weak || !v->strong))
		return false;
	return opaque.len == n && memcmp(opaque.ptr, ours, n) == 0;
}

/* One field line of If-Match or If-None-Match: "*" / #entity-tag. A
 * malformed member ends the line: what follows it is not trusted. */
static bool list_line_matches(pl_http_str_t value,
			      const pl_http_validators_t *v,
			      bool strong_comparison)
{
	pl_http_rd_t r = pl_http_rd(value.ptr, value.len);
	pl_http_str_t opaque;
	bool weak;

	for (;;) {
		/* 5.6.1: empty list members are allowed and skipped */
		while (pl_http_rd_peek(&r, ',') || pl_http_rd_peek(&r, ' ') ||
		       pl_http_rd_peek(&r, '\t'))
			r.p++;
		if (pl_http_rd_done(&r))
			return false;
		/* "*": any current representation, and the file exists */
		if (pl_http_rd_lit(&r, "*"))
			return true;
		if (!read_entity_tag(&r, &opaque, &weak))
			return false;
		if (etag_matches(v, opaque, weak, strong_comparison))
			return true;
	}
}

/* -1: no such field; 1: some member of some line matches; 0: none does.
 * A list may be split over several field lines (5.3). */
static int list_matches(const pl_http_request_t *req, const char *name,
			const pl_http_validators_t *v, bool strong_comparison)
{
	const pl_http_field_t *f;
	size_t pos = 0;
	int result = -1;

	while ((f = pl_http_fields_find(req->fields, req->field_count, name,
					&pos)) != NULL) {
		result = 0;
		if (list_line_matches(f->value, v, strong_comparison))
			return 1;
	}
	return result;
}

/* ---- dates -------------------------------------------------------------- */

/* The date of a field that holds one HTTP-date: false when the field is
 * absent, repeated (a list, 13.1.3-13.1.4), or not a valid date. */
static bool date_field(const pl_http_request_t *req, const char *name,
		       time_t now, time_t *t)
{
	size_t pos = 0;
	const pl_http_field_t *f =
		pl_http_fields_find(req->fields, req->field_count, name, &pos);

	if (f == NULL ||
	    pl_http_fields_find(req->fields, req->field_count, name, &pos))
		return false;
	return pl_http_parse_date(f->value.ptr, f->value.len, now, t) == PL_OK;
}

/* ---- evaluation --------------------------------------------------------- */

pl_http_precond_t pl_http_preconditions(const pl_http_request_t *req,
					const pl_http_validators_t *v,
					time_t now)
{
	bool has_date = v->last_modified[0] != '\0';
	time_t t;
	int match;

	/* 13.2.2 step 1: If-Match, strong comparison (13.1.1) */
	match = list_matches(req, "If-Match", v, true);
	if (match == 0)
		return PL_HTTP_PRECOND_FAILED;
	/* step 2: If-Unmodified-Since, only without If-Match */
	if (match < 0 && has_date &&
	    date_field(req, "If-Unmodified-Since", now, &t) &&
	    v->last_modified_time > t)
		return PL_HTTP_PRECOND_FAILED;
	/* step 3: If-None-Match, weak comparison (13.1.2); the caller only
	 * asks for GET and HEAD, where a match is a 304 */
	match = list_matches(req, "If-None-Match", v, false);
	if (match == 1)
		return PL_HTTP_PRECOND_NOT_MODIFIED;
	/* step 4: If-Modified-Since, only without If-None-Match. A date
	 * after now is ignored (RFC 2616 14.25 called it invalid): a client
	 * with a fast clock must not be told a file it has never seen has
	 * not changed. */
	if (match < 0 && has_date &&
	    date_field(req, "If-Modified-Since", now, &t) && t <= now &&
	    v->last_modified_time <= t)
		return PL_HTTP_PRECOND_NOT_MODIFIED;
	return PL_HTTP_PRECOND_PASS;
}

bool pl_http_if_range_holds(const pl_http_request_t *req,
			    const pl_http_validators_t *v, time_t now)
{
	size_t pos = 0;
	const pl_http_field_t *f =
		pl_http_fields_find(req->fields, req->field_count, "If-Range", &pos);
	pl_http_rd_t r;
	pl_http_str_t opaque;
	bool weak;
	time_t t;

	if (f == NULL)
		return true;
	/* two If-Range lines: no single validator, so no partial answer */
	if (pl_http_fields_find(req->fields, req->field_count, "If-Range", &pos))
		return false;
	r = pl_http_rd(f->value.ptr, f->value.len);
	/* 13.1.5: an entity-tag starts with DQUOTE or "W/" ("Wed, ..." is
	 * a date) */
	if (pl_http_rd_peek(&r, '"') ||
	    (f->value.len >= 2 && memcmp(f->value.ptr, "W/", 2) == 0))
		return read_entity_tag(&r, &opaque, &weak) && pl_http_rd_done(&r) &&
		       etag_matches(v, opaque, weak, true);
	/* a date: only a strong Last-Modified, matched exactly */
	return v->strong && v->last_modified[0] != '\0' &&
	       pl_http_parse_date(f->value.ptr, f->value.len, now, &t) == PL_OK &&
	       t == v->last_modified_time;
}
