/*
 * libFuzzer harness: the HTTP/1.1 request parser and, on what it accepts,
 * the helpers and the writer.
 *
 * Input: a control byte, then the bytes a client sends. The control byte
 * picks how the bytes are cut into pieces (bits 0-2: all at once, pieces
 * of 1, 2, 3, 7 or 64 bytes, pseudo-random pieces of 1-32), the limits
 * (bits 3-4: defaults, tiny ones that every input can reach, or mid-sized)
 * and whether the parser shrinks after each request (bit 5).
 *
 * The same bytes are also parsed in one piece, and both runs must report
 * exactly the same events. Beyond not crashing, each run checks what the
 * API promises: one event per call, consumed within the input, body bytes
 * inside the input and never more than declared or than the limit, heads
 * made only of what the grammar allows, failures with one of the status
 * codes the header lists, and a parser that stays failed. Every accepted
 * head is written back as a request and parsed again to the same head.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "padlock/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHUNK_SCHEME(ctl) ((ctl) & 7)
#define LIMITS(ctl) (((ctl) >> 3) & 3)
#define SHRINK(ctl) ((ctl) & 0x20)

/* A failed invariant is a finding: say which and abort. */
#define REQUIRE(cond)                                                        \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "fuzz_http: %s:%d: %s\n", __FILE__,  \
				__LINE__, #cond);                            \
			abort();                                             \
		}                                                            \
	} while (0)

static void limits_for(unsigned variant, pl_http_limits_t *lim)
{
	pl_http_limits_default(lim);
	if (variant == 1) {
		lim->max_request_line = 40;
		lim->max_header_bytes = 96;
		lim->max_header_count = 4;
		lim->max_body = 24;
	} else if (variant == 2) {
		lim->max_request_line = 512;
		lim->max_header_bytes = 1024;
		lim->max_header_count = 16;
		lim->max_body = 4096;
	}
}

/* ---- what a run saw ------------------------------------------------------ */

/* A running FNV-1a digest of the events: two runs over the same bytes must
 * end with the same one. */
typedef struct {
	uint64_t digest;
	unsigned events;
} trace_t;

static void trace_bytes(trace_t *t, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		t->digest ^= b[i];
		t->digest *= 0x100000001b3ULL;
	}
}

static void trace_u64(trace_t *t, uint64_t v)
{
	trace_bytes(t, &v, sizeof v);
}

static void trace_str(trace_t *t, pl_http_str_t s)
{
	trace_u64(t, s.len);
	trace_bytes(t, s.ptr, s.len);
}

/* ---- checks on a head ------------------------------------------------------ */

static bool is_tchar(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void check_token(pl_http_str_t s)
{
	REQUIRE(s.len > 0);
	REQUIRE(s.ptr[s.len] == '\0');
	for (size_t i = 0; i < s.len; i++)
		REQUIRE(is_tchar((uint8_t)s.ptr[i]));
}

static void check_value(pl_http_str_t s)
{
	REQUIRE(s.ptr[s.len] == '\0');
	for (size_t i = 0; i < s.len; i++) {
		uint8_t c = (uint8_t)s.ptr[i];
		REQUIRE(c == '\t' || (c >= 0x20 && c != 0x7f));
	}
	if (s.len > 0) {
		REQUIRE(s.ptr[0] != ' ' && s.ptr[0] != '\t');
		REQUIRE(s.ptr[s.len - 1] != ' ' && s.ptr[s.len - 1] != '\t');
	}
}

static void check_fields(const pl_http_field_t *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		check_token(f[i].name);
		check_value(f[i].value);
	}
}

static void check_target(const pl_http_request_t *q)
{
	pl_http_str_t path, query, auth;
	char *out;
	size_t out_len;
	unsigned flags;
	int ret;

	REQUIRE(q->target.len > 0 && q->target.ptr[q->target.len] == '\0');
	for (size_t i = 0; i < q->target.len; i++) {
		uint8_t c = (uint8_t)q->target.ptr[i];
		REQUIRE(c > 0x20 && c < 0x7f && c != '#');
	}
	pl_http_target_split(q->target, q->target_form, &path, &query, &auth);
	REQUIRE(path.ptr >= q->target.ptr &&
		path.ptr + path.len <= q->target.ptr + q->target.len);
	REQUIRE(query.ptr >= q->target.ptr &&
		query.ptr + query.len <= q->target.ptr + q->target.len);
	REQUIRE(auth.ptr >= q->target.ptr &&
		auth.ptr + auth.len <= q->target.ptr + q->target.len);
	out = malloc(path.len + 1);
	REQUIRE(out != NULL);
	ret = pl_http_percent_decode(path.ptr, path.len, out, path.len + 1,
				     &out_len, &flags);
	REQUIRE(ret == PL_OK || ret == PL_ERR_DECODE);
	if (ret == PL_OK) {
		REQUIRE(out_len <= path.len);
		REQUIRE(strlen(out) == out_len); /* no NUL inside */
	} else {
		REQUIRE(out_len < path.len);
	}
	free(out);
}

static void check_head(const pl_http_request_t *q, const pl_http_limits_t *lim)
{
	check_token(q->method);
	check_target(q);
	REQUIRE(q->version == PL_HTTP_10 || q->version == PL_HTTP_11);
	REQUIRE(q->field_count <= lim->max_header_count);
	check_fields(q->fields, q->field_count);
	REQUIRE(q->host.ptr != NULL && q->host.ptr[q->host.len] == '\0');
	REQUIRE(memchr(q->host.ptr, '/', q->host.len) == NULL);
	REQUIRE(memchr(q->host.ptr, '@', q->host.len) == NULL);
	if (q->version == PL_HTTP_11)
		REQUIRE(pl_http_header(q, "host") != NULL);
	if (q->framing == PL_HTTP_BODY_LENGTH)
		REQUIRE(q->content_length <= lim->max_body);
	else
		REQUIRE(q->content_length == 0);
	if (q->framing == PL_HTTP_BODY_CHUNKED) {
		REQUIRE(q->version == PL_HTTP_11);
		REQUIRE(pl_http_header(q, "content-length") == NULL);
	}
	REQUIRE(q->body_received == 0);
	REQUIRE(!q->expect_continue || q->version == PL_HTTP_11);
}

/* ---- the writer on what was parsed ------------------------------------------ */

static void write_response(const pl_http_request_t *q)
{
	pl_http_buf_t b = PL_HTTP_BUF_INIT;
	pl_http_field_t loc = {{"Location", 8}, q->target};
	pl_http_response_t r = {0};

	r.status = 301;
	r.version = q->version;
	r.keep_alive = q->keep_alive;
	r.date = (time_t)1798761600;
	r.server = "padlock";
	r.framing = PL_HTTP_BODY_LENGTH;
	r.fields = &loc;
	r.field_count = 1;
	/* the target is visible ASCII: a valid value that cannot split */
	REQUIRE(pl_http_write_head(&b, &r) == PL_OK);
	REQUIRE(b.len > 4 && memcmp(b.data + b.len - 4, "\r\n\r\n", 4) == 0);
	REQUIRE(pl_http_write_chunk(&b, q->method.ptr, q->method.len) == PL_OK);
	pl_http_buf_free(&b);
}

/* The digest of a head: what must survive writing it back. */
static uint64_t head_digest(const pl_http_request_t *q)
{
	trace_t t = {0xcbf29ce484222325ULL, 0};

	trace_str(&t, q->method);
	trace_str(&t, q->target);
	trace_u64(&t, (uint64_t)q->version);
	trace_u64(&t, q->field_count);
	for (size_t i = 0; i < q->field_count; i++) {
		trace_str(&t, q->fields[i].name);
		trace_str(&t, q->fields[i].value);
	}
	trace_str(&t, q->host);
	trace_u64(&t, (uint64_t)q->target_form << 16 | (uint64_t)q->framing << 8 |
			      (uint64_t)q->keep_alive << 2 |
			      (uint64_t)q->expect_continue << 1 | q->expect_unknown);
	trace_u64(&t, q->content_length);
	return t.digest;
}

/* Writes the head back as a request in its plainest form (one SP, no
 * whitespace around values, HTTP/1.1 for 1.x) and parses it again with the
 * same limits, which it cannot exceed: the same head must come out. */
static void reparse(const pl_http_request_t *q, const pl_http_limits_t *lim)
{
	size_t need = q->method.len + q->target.len + 16;
	pl_http_parser_t *p;
	pl_http_step_t st;
	uint8_t *text, *w;

	for (size_t i = 0; i < q->field_count; i++)
		need += q->fields[i].name.len + q->fields[i].value.len + 3;
	text = malloc(need);
	REQUIRE(text != NULL);
	w = text;
	memcpy(w, q->method.ptr, q->method.len);
	w += q->method.len;
	*w++ = ' ';
	memcpy(w, q->target.ptr, q->target.len);
	w += q->target.len;
	memcpy(w, q->version == PL_HTTP_10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n", 11);
	w += 11;
	for (size_t i = 0; i < q->field_count; i++) {
		const pl_http_field_t *f = &q->fields[i];
		memcpy(w, f->name.ptr, f->name.len);
		w += f->name.len;
		*w++ = ':';
		memcpy(w, f->value.ptr, f->value.len);
		w += f->value.len;
		*w++ = '\r';
		*w++ = '\n';
	}
	*w++ = '\r';
	*w++ = '\n';
	p = pl_http_parser_new(lim);
	REQUIRE(p != NULL);
	REQUIRE(pl_http_parse(p, text, (size_t)(w - text), &st) == PL_OK);
	REQUIRE(st.event == PL_HTTP_HEAD);
	REQUIRE(st.consumed == (size_t)(w - text));
	REQUIRE(head_digest(pl_http_parser_request(p)) == head_digest(q));
	pl_http_parser_free(p);
	free(text);
}

/* ---- one run ------------------------------------------------------------------ */

typedef struct {
	pl_http_parser_t *p;
	const pl_http_limits_t *lim;
	trace_t trace;
	bool in_request;   /* HEAD seen, DONE not yet */
	bool stopped;
	uint64_t body;     /* body bytes of the current request */
	bool shrink;
	bool deep;         /* run the writer and the reparse */
} run_t;

static void on_error(run_t *r, int ret)
{
	int status = pl_http_parser_status(r->p);
	const char *reason = pl_http_parser_reason(r->p);
	pl_http_step_t st;

	if (ret == PL_ERR_STATE) {
		/* only after the DONE of a request that closes */
		REQUIRE(!r->in_request && pl_http_parser_must_close(r->p));
		REQUIRE(status == 0);
		trace_u64(&r->trace, 0xdead);
		r->stopped = true;
		return;
	}
	REQUIRE(ret == PL_ERR_DECODE);
	REQUIRE(status == 400 || status == 413 || status == 414 ||
		status == 431 || status == 501 || status == 505);
	REQUIRE(reason != NULL && reason[0] != '\0');
	REQUIRE(pl_http_parser_must_close(r->p));
	/* failed stays failed */
	REQUIRE(pl_http_parse(r->p, (const uint8_t *)"x", 1, &st) == ret);
	if (r->deep) {
		pl_http_buf_t b = PL_HTTP_BUF_INIT;
		REQUIRE(pl_http_write_error(&b, status, reason, 0, "padlock") == PL_OK);
		pl_http_buf_free(&b);
	}
	trace_u64(&r->trace, (uint64_t)status);
	trace_bytes(&r->trace, reason, strlen(reason));
	r->stopped = true;
}

static void on_event(run_t *r, const pl_http_step_t *st, const uint8_t *in,
		     size_t len)
{
	const pl_http_request_t *q = pl_http_parser_request(r->p);

	/* NEED_MORE and the cuts between BODY events depend on the pieces;
	 * the rest must not */
	if (st->event == PL_HTTP_HEAD || st->event == PL_HTTP_DONE)
		trace_u64(&r->trace, st->event);
	switch (st->event) {
	case PL_HTTP_NEED_MORE:
		REQUIRE(st->consumed == len);
		break;
	case PL_HTTP_HEAD:
		REQUIRE(!r->in_request && q != NULL);
		check_head(q, r->lim);
		trace_u64(&r->trace, head_digest(q));
		if (r->deep) {
			write_response(q);
			reparse(q, r->lim);
		}
		r->in_request = true;
		r->body = 0;
		break;
	case PL_HTTP_BODY:
		REQUIRE(r->in_request && q != NULL);
		REQUIRE(st->body_len > 0 && st->body_len <= st->consumed);
		REQUIRE(st->body >= in && st->body + st->body_len <= in + len);
		r->body += st->body_len;
		REQUIRE(q->body_received == r->body);
		REQUIRE(r->body <= r->lim->max_body);
		if (q->framing == PL_HTTP_BODY_LENGTH)
			REQUIRE(r->body <= q->content_length);
		REQUIRE(q->framing != PL_HTTP_BODY_NONE);
		trace_bytes(&r->trace, st->body, st->body_len);
		break;
	case PL_HTTP_DONE:
		REQUIRE(r->in_request && q != NULL);
		REQUIRE(st->consumed == 0 || q->framing == PL_HTTP_BODY_CHUNKED);
		REQUIRE(q->body_received == r->body);
		if (q->framing == PL_HTTP_BODY_LENGTH)
			REQUIRE(r->body == q->content_length);
		if (q->framing != PL_HTTP_BODY_CHUNKED)
			REQUIRE(q->trailer_count == 0);
		REQUIRE(q->field_count + q->trailer_count <= r->lim->max_header_count);
		check_fields(q->trailers, q->trailer_count);
		trace_u64(&r->trace, q->trailer_count);
		for (size_t i = 0; i < q->trailer_count; i++) {
			trace_str(&r->trace, q->trailers[i].name);
			trace_str(&r->trace, q->trailers[i].value);
		}
		REQUIRE(pl_http_parser_must_close(r->p) == !q->keep_alive);
		r->in_request = false;
		if (r->shrink)
			pl_http_parser_shrink(r->p);
		break;
	}
}

static void feed(run_t *r, const uint8_t *in, size_t len)
{
	while (!r->stopped) {
		pl_http_step_t st;
		int ret = pl_http_parse(r->p, in, len, &st);

		if (ret != PL_OK) {
			on_error(r, ret);
			return;
		}
		REQUIRE(st.consumed <= len);
		on_event(r, &st, in, len);
		if (st.consumed > 0) { /* in may be NULL with len 0 */
			in += st.consumed;
			len -= st.consumed;
		}
		if (st.event == PL_HTTP_NEED_MORE)
			return;
	}
}

static size_t piece_size(unsigned scheme, uint32_t *rng)
{
	static const size_t sizes[] = {0, 1, 2, 3, 7, 64};

	if (scheme < 6)
		return sizes[scheme];
	*rng = *rng * 1103515245u + 12345u;
	return 1 + (*rng >> 16) % 32;
}

static uint64_t run(const uint8_t *data, size_t size, uint8_t ctl,
		    unsigned scheme, bool deep)
{
	pl_http_limits_t lim;
	run_t r;
	uint32_t rng = ctl;
	size_t at = 0;

	limits_for(LIMITS(ctl), &lim);
	memset(&r, 0, sizeof r);
	r.p = pl_http_parser_new(&lim);
	REQUIRE(r.p != NULL);
	r.lim = &lim;
	r.trace.digest = 0xcbf29ce484222325ULL;
	r.shrink = SHRINK(ctl) != 0;
	r.deep = deep;
	scheme &= 7;
	if (scheme == 7)
		scheme = 6;
	while (at < size && !r.stopped) {
		size_t n = scheme == 0 ? size - at : piece_size(scheme, &rng);
		if (n > size - at)
			n = size - at;
		feed(&r, data + at, n);
		at += n;
	}
	/* a last call without input flushes a DONE that needs none */
	feed(&r, NULL, 0);
	trace_u64(&r.trace, r.in_request);
	pl_http_parser_free(r.p);
	return r.trace.digest;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ctl;
	uint64_t pieces, whole;

	if (size < 1)
		return 0;
	ctl = data[0];
	pieces = run(data + 1, size - 1, ctl, CHUNK_SCHEME(ctl), true);
	whole = run(data + 1, size - 1, ctl, 0, false);
	/* however the bytes were cut, the same events */
	REQUIRE(pieces == whole);
	return 0;
}
