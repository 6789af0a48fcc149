/*
 * The chunked transfer coding of a request body (RFC 9112 7.1):
 *
 *   chunk      = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-ext  = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
 *
 * The chunk-size line is read one byte at a time by a small state machine,
 * so it needs no buffer and any split of the input gives the same result.
 * Extensions are checked against their grammar and then ignored (7.1.1:
 * "MUST ignore unrecognized chunk extensions"); their size is bounded per
 * line and per message. The trailer section after the last chunk is read
 * by parser.c like the header section.
 */
#include "http/http_int.h"

static int fail_ext(struct pl_http_parser *p)
{
	return pl_http_fail(p, 400, "a chunk extension is malformed");
}

/* One byte of the extension part of a chunk-size line (after the size). */
static int ext_byte(struct pl_http_parser *p, uint8_t c)
{
	enum pl_http_chunk_state *st = &p->chunk_state;
	bool ws = pl_http_is_ws(c), tchar = pl_http_is_tchar(c);

	switch (*st) {
	case PL_HTTP_CK_SIZE:
	case PL_HTTP_CK_VALUE_TOKEN:
	case PL_HTTP_CK_AFTER_QUOTED:
		/* where a size, a token value or a quoted value may end */
		if (tchar && *st == PL_HTTP_CK_VALUE_TOKEN)
			return PL_OK;
		if (ws)
			*st = PL_HTTP_CK_BEFORE_SEMI;
		else if (c == ';')
			*st = PL_HTTP_CK_NAME_START;
		else if (*st == PL_HTTP_CK_SIZE && tchar)
			return pl_http_fail(p, 400, "a chunk size is not a hex number");
		else
			return fail_ext(p);
		return PL_OK;
	case PL_HTTP_CK_BEFORE_SEMI:
		if (c == ';')
			*st = PL_HTTP_CK_NAME_START;
		else if (!ws)
			return fail_ext(p);
		return PL_OK;
	case PL_HTTP_CK_NAME_START:
		if (tchar)
			*st = PL_HTTP_CK_NAME;
		else if (!ws)
			return fail_ext(p);
		return PL_OK;
	case PL_HTTP_CK_NAME:
	case PL_HTTP_CK_AFTER_NAME:
		if (tchar && *st == PL_HTTP_CK_NAME)
			return PL_OK;
		if (ws)
			*st = PL_HTTP_CK_AFTER_NAME;
		else if (c == '=')
			*st = PL_HTTP_CK_VALUE_START;
		else if (c == ';')
			*st = PL_HTTP_CK_NAME_START;
		else
			return fail_ext(p);
		return PL_OK;
	case PL_HTTP_CK_VALUE_START:
		if (tchar)
			*st = PL_HTTP_CK_VALUE_TOKEN;
		else if (c == '"')
			*st = PL_HTTP_CK_QUOTED;
		else if (!ws)
			return fail_ext(p);
		return PL_OK;
	case PL_HTTP_CK_QUOTED:
		/* quoted-string (RFC 9110 5.6.4) */
		if (c == '"')
			*st = PL_HTTP_CK_AFTER_QUOTED;
		else if (c == '\\')
			*st = PL_HTTP_CK_QUOTED_PAIR;
		else if (!pl_http_is_qdtext(c))
			return fail_ext(p);
		return PL_OK;
	case PL_HTTP_CK_QUOTED_PAIR:
		if (!pl_http_is_ws(c) && !pl_http_is_field_vchar(c))
			return fail_ext(p);
		*st = PL_HTTP_CK_QUOTED;
		return PL_OK;
	default:
		return fail_ext(p);
	}
}

/* Where a CR may end the line: after the size, a name or a value. Trailing
 * whitespace is not in the grammar (BWS only comes before ';' and '='). */
static bool may_end(enum pl_http_chunk_state st)
{
	return st == PL_HTTP_CK_SIZE || st == PL_HTTP_CK_NAME ||
	       st == PL_HTTP_CK_VALUE_TOKEN || st == PL_HTTP_CK_AFTER_QUOTED;
}

/* One byte of a chunk-size line. *done is set after its LF. */
static int line_byte(struct pl_http_parser *p, uint8_t c, bool *done)
{
	int hex = pl_http_hex_value(c);

	if (++p->chunk_line_len > PL_HTTP_CHUNK_LINE_MAX)
		return pl_http_fail(p, 400, "a chunk-size line is too long");
	if (p->chunk_state == PL_HTTP_CK_LF) {
		if (c != '\n')
			return pl_http_fail(p, 400,
					    "a chunk-size line holds a CR that is not followed by LF");
		*done = true;
		return PL_OK;
	}
	/* RFC 9112 2.2: no bare LF, here as in the head */
	if (c == '\n')
		return pl_http_fail(p, 400,
				    "a chunk-size line ends with a bare LF instead of CRLF");
	if (p->chunk_state == PL_HTTP_CK_SIZE_FIRST) {
		if (hex < 0)
			return pl_http_fail(p, 400, "a chunk size is not a hex number");
		p->chunk_size = (uint64_t)hex;
		p->chunk_state = PL_HTTP_CK_SIZE;
		return PL_OK;
	}
	if (p->chunk_state == PL_HTTP_CK_SIZE && hex >= 0) {
		/* RFC 9112 7.1: anticipate large numerals, never wrap */
		if (p->chunk_size > UINT64_MAX >> 4)
			return pl_http_fail(p, 400, "a chunk size is too large a number");
		p->chunk_size = p->chunk_size << 4 | (uint64_t)hex;
		return PL_OK;
	}
	if (c == '\r') {
		if (!may_end(p->chunk_state))
			return fail_ext(p);
		p->chunk_state = PL_HTTP_CK_LF;
		return PL_OK;
	}
	/* RFC 9112 7.1.1: a server ought to limit the total length of chunk
	 * extensions in a request */
	if (++p->chunk_ext_total > PL_HTTP_CHUNK_EXT_TOTAL_MAX)
		return pl_http_fail(p, 400,
				    "the chunk extensions are larger than the limit");
	return ext_byte(p, c);
}

/* The chunk-size line is complete: the next chunk, or the last one. */
static int chunk_line_done(struct pl_http_parser *p)
{
	uint64_t size = p->chunk_size;
	uint64_t room = p->limits.max_body - p->req.body_received;

	p->chunk_state = PL_HTTP_CK_SIZE_FIRST;
	p->chunk_line_len = 0;
	p->chunk_size = 0;
	if (size == 0) {
		p->state = PL_HTTP_ST_TRAILERS;
		return PL_OK;
	}
	if (size > room)
		return pl_http_fail(p, 413, "the chunked body is larger than the body limit");
	p->remaining = size;
	p->state = PL_HTTP_ST_CHUNK_DATA;
	return PL_OK;
}

static int read_chunk_line(struct pl_http_parser *p, const uint8_t *in,
			   size_t len, size_t *used)
{
	while (*used < len) {
		bool done = false;
		if (line_byte(p, in[(*used)++], &done) != PL_OK)
			return p->error;
		if (done)
			return chunk_line_done(p);
	}
	return PL_OK;
}

static int read_chunk_data(struct pl_http_parser *p, const uint8_t *in,
			   size_t len, size_t *used, pl_http_step_t *step)
{
	size_t avail = len - *used;
	size_t n = p->remaining < avail ? (size_t)p->remaining : avail;

	step->event = PL_HTTP_BODY;
	step->body = in + *used;
	step->body_len = n;
	*used += n;
	p->remaining -= n;
	p->req.body_received += n;
	if (p->remaining == 0)
		p->state = PL_HTTP_ST_CHUNK_CR;
	return PL_OK;
}

/* chunk-data is followed by exactly CRLF */
static int read_chunk_end(struct pl_http_parser *p, const uint8_t *in,
			  size_t *used)
{
	uint8_t want = p->state == PL_HTTP_ST_CHUNK_CR ? '\r' : '\n';

	if (in[(*used)++] != want)
		return pl_http_fail(p, 400, "chunk data is not followed by CRLF");
	p->state = want == '\r' ? PL_HTTP_ST_CHUNK_LF : PL_HTTP_ST_CHUNK_LINE;
	return PL_OK;
}

int pl_http_chunked(struct pl_http_parser *p, const uint8_t *in, size_t len,
		    size_t *used, pl_http_step_t *step)
{
	switch (p->state) {
	case PL_HTTP_ST_CHUNK_LINE:
		return read_chunk_line(p, in, len, used);
	case PL_HTTP_ST_CHUNK_DATA:
		return read_chunk_data(p, in, len, used, step);
	default:
		return read_chunk_end(p, in, used);
	}
}
