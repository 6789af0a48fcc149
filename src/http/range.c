/*
 * Byte ranges (RFC 9110 14): one range is answered 206; a set of several
 * is answered with the whole file (14.2: a server MAY ignore Range), which
 * spares multipart/byteranges and the overlapping-ranges amplification
 * that comes with it (17.15).
 */
#include "http/serve_int.h"

/* A range spec as written: first-pos and last-pos, or a suffix-length. */
typedef struct {
	bool suffix;       /* "-N" */
	bool has_last;     /* "A-B" rather than "A-" */
	uint64_t first;    /* first-pos, or the suffix-length */
	uint64_t last;
} spec_t;

/* 1*DIGIT, saturating at UINT64_MAX: 14.1.2 asks recipients to expect
 * numerals of any length. */
static bool read_number(pl_http_rd_t *r, uint64_t *v)
{
	const char *start = r->p;

	*v = 0;
	while (r->p < r->end && pl_http_is_digit((uint8_t)*r->p)) {
		uint64_t d = (uint64_t)(*r->p - '0');
		*v = *v > (UINT64_MAX - d) / 10 ? UINT64_MAX : *v * 10 + d;
		r->p++;
	}
	return r->p != start;
}

/* int-range / suffix-range (14.1.1); other-range is not defined for
 * bytes, so it is invalid here. */
static bool read_spec(pl_http_rd_t *r, spec_t *s)
{
	*s = (spec_t){0};
	if (pl_http_rd_lit(r, "-")) {
		s->suffix = true;
		return read_number(r, &s->first);
	}
	if (!read_number(r, &s->first) || !pl_http_rd_lit(r, "-"))
		return false;
	s->has_last = read_number(r, &s->last);
	/* an int-range with last-pos < first-pos is invalid */
	return !s->has_last || s->last >= s->first;
}

/* range-set = 1#range-spec: one spec into *s, and how many there were
 * (lists may hold empty members, 5.6.1). false when one is invalid. */
static bool read_set(pl_http_rd_t *r, spec_t *s, unsigned *count)
{
	spec_t spec;

	*count = 0;
	for (;;) {
		pl_http_rd_ows(r);
		while (pl_http_rd_lit(r, ","))
			pl_http_rd_ows(r);
		if (pl_http_rd_done(r))
			return *count > 0;
		if (!read_spec(r, &spec))
			return false;
		if ((*count)++ == 0)
			*s = spec;
		pl_http_rd_ows(r);
		if (!pl_http_rd_done(r) && !pl_http_rd_peek(r, ','))
			return false;
	}
}

pl_http_range_t pl_http_range_parse(const char *value, size_t len,
				    uint64_t size, uint64_t *first,
				    uint64_t *last)
{
	pl_http_rd_t r = pl_http_rd(value, len);
	unsigned count;
	spec_t s = {0};

	/* range-unit is case-insensitive (14.1); any other unit: 14.2 says
	 * an origin server MUST ignore the field */
	if (len < 6 || !pl_http_str_ieq(value, 6, "bytes="))
		return PL_HTTP_RANGE_IGNORE;
	r.p += 6;
	if (!read_set(&r, &s, &count) || count > 1)
		return PL_HTTP_RANGE_IGNORE;
	/* 14.2: a server MAY ignore Range on an empty representation, and
	 * no "bytes a-b/0" could describe a part of one */
	if (size == 0)
		return PL_HTTP_RANGE_IGNORE;
	if (s.suffix) {
		/* 14.1.2: "-0" asks for nothing; a longer suffix than the
		 * file is the whole file */
		if (s.first == 0)
			return PL_HTTP_RANGE_UNSATISFIABLE;
		*first = s.first >= size ? 0 : size - s.first;
		*last = size - 1;
		return PL_HTTP_RANGE_PARTIAL;
	}
	if (s.first >= size)
		return PL_HTTP_RANGE_UNSATISFIABLE;
	*first = s.first;
	*last = s.has_last && s.last < size - 1 ? s.last : size - 1;
	return PL_HTTP_RANGE_PARTIAL;
}
