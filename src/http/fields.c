/*
 * Field lines (RFC 9112 5) and what the header section means for framing
 * and the connection: Host (RFC 9110 7.2), Content-Length (RFC 9110 8.6,
 * RFC 9112 6.2), Transfer-Encoding (RFC 9112 6.1), Connection (RFC 9110
 * 7.6.1), Expect (RFC 9110 10.1.1). Also the lookups callers use.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

bool pl_http_str_ieq(const char *p, size_t len, const char *lit)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (lit[i] == '\0' || lower((uint8_t)p[i]) != lower((uint8_t)lit[i]))
			return false;
	}
	return lit[i] == '\0';
}

const pl_http_field_t *pl_http_fields_find(const pl_http_field_t *fields,
					   size_t count, const char *name,
					   size_t *pos)
{
	for (size_t i = pos ? *pos : 0; i < count; i++) {
		if (pl_http_str_ieq(fields[i].name.ptr, fields[i].name.len, name)) {
			if (pos)
				*pos = i + 1;
			return &fields[i];
		}
	}
	if (pos)
		*pos = count;
	return NULL;
}

const pl_http_str_t *pl_http_header(const pl_http_request_t *req,
				    const char *name)
{
	const pl_http_field_t *f =
		pl_http_fields_find(req->fields, req->field_count, name, NULL);
	return f ? &f->value : NULL;
}

/* ---- lists (RFC 9110 5.6.1) -------------------------------------------------
 * Members separated by commas and optional whitespace; empty members are
 * skipped, as the RFC asks of recipients. */

typedef void (*member_fn)(pl_http_framing_info_t *info, const uint8_t *m,
			  size_t len);

static void for_each_member(pl_http_framing_info_t *info, const uint8_t *v,
			    size_t len, member_fn fn)
{
	size_t i = 0;

	while (i < len) {
		size_t start, end;

		while (i < len && (pl_http_is_ws(v[i]) || v[i] == ','))
			i++;
		start = i;
		while (i < len && v[i] != ',')
			i++;
		end = i;
		while (end > start && pl_http_is_ws(v[end - 1]))
			end--;
		if (end > start)
			fn(info, v + start, end - start);
	}
}

static bool is_token(const uint8_t *m, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (!pl_http_is_tchar(m[i]))
			return false;
	}
	return len > 0;
}

/* A transfer coding. Codings with parameters are malformed for us: chunked
 * has none (RFC 9112 7.1: "their presence SHOULD be treated as an error")
 * and no other coding is supported. */
static void te_member(pl_http_framing_info_t *info, const uint8_t *m,
		      size_t len)
{
	if (!is_token(m, len)) {
		info->te_malformed = true;
		info->te_last_chunked = false;
	} else if (pl_http_str_ieq((const char *)m, len, "chunked")) {
		info->te_chunked++;
		info->te_last_chunked = true;
	} else {
		info->te_other = true;
		info->te_last_chunked = false;
	}
}

static void connection_member(pl_http_framing_info_t *info, const uint8_t *m,
			      size_t len)
{
	if (pl_http_str_ieq((const char *)m, len, "close"))
		info->conn_close = true;
	else if (pl_http_str_ieq((const char *)m, len, "keep-alive"))
		info->conn_keep_alive = true;
}

static void expect_member(pl_http_framing_info_t *info, const uint8_t *m,
			  size_t len)
{
	if (pl_http_str_ieq((const char *)m, len, "100-continue"))
		info->expect_continue = true;
	else
		info->expect_unknown = true;
}

/* ---- the fields that matter to framing ------------------------------------- */

/* Content-Length = 1*DIGIT (RFC 9110 8.6), no sign, no list. */
static int content_length(struct pl_http_parser *p, const uint8_t *v,
			  size_t len)
{
	uint64_t n = 0;

	/* A repeated Content-Length, even with the same value, is refused:
	 * RFC 9112 6.3 lets a recipient accept identical values, but two
	 * parsers that disagree on which copy counts is the classic
	 * smuggling setup, and no honest client sends two. */
	if (++p->info.content_length_count > 1)
		return pl_http_fail(p, 400, "Content-Length appears more than once");
	if (len == 0)
		return pl_http_fail(p, 400, "Content-Length is empty");
	for (size_t i = 0; i < len; i++) {
		uint64_t digit;

		if (!pl_http_is_digit(v[i]))
			return pl_http_fail(p, 400,
					    "Content-Length is not a decimal number");
		digit = (uint64_t)(v[i] - '0');
		/* RFC 9110 8.6: anticipate large numerals, never wrap */
		if (n > (UINT64_MAX - digit) / 10)
			return pl_http_fail(p, 400,
					    "Content-Length is too large a number");
		n = n * 10 + digit;
	}
	p->info.content_length = n;
	return PL_OK;
}

static int host(struct pl_http_parser *p, pl_http_span_t value,
		const uint8_t *v, size_t len)
{
	/* RFC 9112 3.2: more than one Host line, or an invalid value: 400 */
	if (++p->info.host_count > 1)
		return pl_http_fail(p, 400, "the Host field appears more than once");
	if (!pl_http_host_valid(v, len))
		return pl_http_fail(p, 400, "the Host field is not a valid host[:port]");
	/* RFC 9112 3.2: empty only when the target URI has no authority, and
	 * an http or https URI always has one (RFC 9110 4.2.1, 4.2.2) */
	if (len == 0)
		return pl_http_fail(p, 400, "the Host field is empty, but an "
				    "http or https target always has a host");
	p->info.host = value;
	return PL_OK;
}

static int header_field(struct pl_http_parser *p, const uint8_t *name,
			size_t name_len, pl_http_span_t value, const uint8_t *v)
{
	const char *n = (const char *)name;
	size_t len = value.len;

	/* by length first: most fields are none of these */
	switch (name_len) {
	case 4:
		if (!p->response && pl_http_str_ieq(n, name_len, "host"))
			return host(p, value, v, len);
		break;
	case 6:
		if (pl_http_str_ieq(n, name_len, "expect"))
			for_each_member(&p->info, v, len, expect_member);
		break;
	case 10:
		if (pl_http_str_ieq(n, name_len, "connection"))
			for_each_member(&p->info, v, len, connection_member);
		break;
	case 14:
		if (pl_http_str_ieq(n, name_len, "content-length"))
			return content_length(p, v, len);
		break;
	case 17:
		if (pl_http_str_ieq(n, name_len, "transfer-encoding")) {
			p->info.te_count++;
			for_each_member(&p->info, v, len, te_member);
		}
		break;
	default:
		break;
	}
	return PL_OK;
}

/* ---- one field line (RFC 9112 5.1) -------------------------------------------- */

static int add_span(pl_http_section_t *s, pl_http_field_span_t span)
{
	if (s->count == s->spans_cap) {
		size_t cap = s->spans_cap ? s->spans_cap * 2 : 16;
		pl_http_field_span_t *spans = realloc(s->spans, cap * sizeof *spans);
		if (spans == NULL)
			return PL_ERR_NOMEM;
		s->spans = spans;
		s->spans_cap = cap;
	}
	s->spans[s->count++] = span;
	return PL_OK;
}

/* field-value: field-vchar, SP and HTAB only (RFC 9110 5.5). NUL, CR and LF
 * MUST be rejected or replaced; the other controls are invalid too. */
static int check_value(struct pl_http_parser *p, const uint8_t *v, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (pl_http_is_field_content(v[i]))
			continue;
		if (v[i] == '\0')
			return pl_http_fail(p, 400, "a field value contains NUL");
		return pl_http_fail(p, 400,
				    "a field value contains a control character");
	}
	return PL_OK;
}

int pl_http_field_line(struct pl_http_parser *p, pl_http_section_t *s,
		       uint8_t *line, size_t len, bool trailer)
{
	uint32_t base = (uint32_t)(line - s->buf);
	pl_http_field_span_t span;
	size_t i = 0, v, end;

	/* RFC 9112 5.2 (obs-fold) and 2.2 (whitespace before the first field
	 * line): we reject rather than unfold or skip. */
	if (pl_http_is_ws(line[0]))
		return pl_http_fail(p, 400,
				    "a field line starts with whitespace (obsolete line folding)");
	while (i < len && pl_http_is_tchar(line[i]))
		i++;
	if (i == len)
		return pl_http_fail(p, 400, "a field line has no colon");
	if (line[i] != ':') {
		/* RFC 9112 5.1: MUST reject whitespace before the colon */
		if (pl_http_is_ws(line[i]))
			return pl_http_fail(p, 400,
					    "whitespace between a field name and its colon");
		return pl_http_fail(p, 400, "a field name is not a token");
	}
	if (i == 0)
		return pl_http_fail(p, 400, "a field name is empty");
	line[i] = '\0';
	v = i + 1;
	while (v < len && pl_http_is_ws(line[v]))
		v++;
	end = len;
	while (end > v && pl_http_is_ws(line[end - 1]))
		end--;
	if (check_value(p, line + v, end - v) != PL_OK)
		return p->error;
	line[end] = '\0'; /* trailing whitespace or the CR */
	span.name = (pl_http_span_t){base, (uint32_t)i};
	span.value = (pl_http_span_t){base + (uint32_t)v, (uint32_t)(end - v)};
	if (add_span(s, span) != PL_OK)
		return pl_http_fail(p, 500, "out of memory");
	if (trailer)
		return PL_OK;
	return header_field(p, line, i, span.value, line + v);
}

/* ---- the header section as a whole ------------------------------------------ */

static int framing(struct pl_http_parser *p)
{
	const pl_http_framing_info_t *info = &p->info;
	pl_http_request_t *req = &p->req;

	if (info->te_count > 0) {
		/* RFC 9112 6.1: a 1.0 message with Transfer-Encoding has faulty
		 * framing. */
		if (req->version == PL_HTTP_10)
			return pl_http_fail(p, 400,
					    "Transfer-Encoding in an HTTP/1.0 request");
		/* RFC 9112 6.1: a server MAY reject CL with TE; we do, as the
		 * smuggling defence it is. */
		if (info->content_length_count > 0)
			return pl_http_fail(p, 400,
					    "both Content-Length and Transfer-Encoding");
		if (info->te_malformed)
			return pl_http_fail(p, 400,
					    "Transfer-Encoding is not a list of coding names");
		if (info->te_chunked > 1)
			return pl_http_fail(p, 400,
					    "Transfer-Encoding lists chunked more than once");
		/* RFC 9112 6.3: chunked not final in a request: 400 */
		if (!info->te_last_chunked)
			return pl_http_fail(p, 400,
					    "chunked is not the final transfer coding");
		/* RFC 9112 6.1: a coding we do not understand: 501 */
		if (info->te_other)
			return pl_http_fail(p, 501,
					    "a transfer coding other than chunked is not supported");
		req->framing = PL_HTTP_BODY_CHUNKED;
	} else if (info->content_length_count > 0) {
		if (info->content_length > p->limits.max_body)
			return pl_http_fail(p, 413,
					    "Content-Length is larger than the body limit");
		req->framing = PL_HTTP_BODY_LENGTH;
		req->content_length = info->content_length;
	} else {
		/* RFC 9112 6.3 (7): a request without either has no body */
		req->framing = PL_HTTP_BODY_NONE;
	}
	return PL_OK;
}

/* RFC 9112 6.3 for a response. What a lenient reader would guess at (CL
 * with TE, a coding we cannot undo) is refused: padlock forwards only
 * what it framed the same way as the upstream. */
static int response_framing(struct pl_http_parser *p)
{
	const pl_http_framing_info_t *info = &p->info;
	pl_http_request_t *r = &p->req;
	int st = r->status;

	/* 6.3 (1): HEAD, 1xx, 204, 304 have no body */
	if (p->no_body || st < 200 || st == 204 || st == 304) {
		r->framing = PL_HTTP_BODY_NONE;
		return PL_OK;
	}
	if (info->te_count > 0) {
		if (r->version == PL_HTTP_10)
			return pl_http_fail(p, 400, "Transfer-Encoding in an "
					    "HTTP/1.0 response");
		if (info->content_length_count > 0)
			return pl_http_fail(p, 400, "both Content-Length and "
					    "Transfer-Encoding");
		if (info->te_malformed || info->te_chunked > 1 ||
		    info->te_other)
			return pl_http_fail(p, 400, "Transfer-Encoding is not "
					    "chunked alone");
		/* 6.3 (4): chunked not last: read until the close */
		r->framing = info->te_last_chunked ? PL_HTTP_BODY_CHUNKED
						   : PL_HTTP_BODY_CLOSE;
		return PL_OK;
	}
	if (info->content_length_count > 0) {
		r->framing = PL_HTTP_BODY_LENGTH;
		r->content_length = info->content_length;
		return PL_OK;
	}
	r->framing = PL_HTTP_BODY_CLOSE;
	return PL_OK;
}

static int response_semantics(struct pl_http_parser *p)
{
	const pl_http_framing_info_t *info = &p->info;
	pl_http_request_t *r = &p->req;
	if (response_framing(p) != PL_OK)
		return p->error;
	if (r->status < 200)
		r->keep_alive = true; /* the final response decides */
	else if (r->version == PL_HTTP_11)
		r->keep_alive = !info->conn_close;
	else
		r->keep_alive = info->conn_keep_alive && !info->conn_close;
	if (r->framing == PL_HTTP_BODY_CLOSE)
		r->keep_alive = false;
	return PL_OK;
}

int pl_http_head_semantics(struct pl_http_parser *p)
{
	const pl_http_framing_info_t *info = &p->info;
	pl_http_request_t *req = &p->req;
	bool http11 = req->version == PL_HTTP_11;

	if (p->response)
		return response_semantics(p);
	/* RFC 9112 3.2: an HTTP/1.1 request without Host: 400 */
	if (http11 && info->host_count == 0)
		return pl_http_fail(p, 400, "the request has no Host field");
	if (framing(p) != PL_OK)
		return p->error;
	/* RFC 9112 9.3 */
	if (http11)
		req->keep_alive = !info->conn_close;
	else
		req->keep_alive = info->conn_keep_alive && !info->conn_close;
	/* RFC 9110 10.1.1: a 1.0 request's 100-continue MUST be ignored */
	req->expect_continue = http11 && info->expect_continue;
	req->expect_unknown = http11 && info->expect_unknown;
	return PL_OK;
}
