/*
 * libFuzzer harness: an upstream's responses, as the reverse proxy reads
 * them (pl_http_parser_new_response) and forwards them (the reply head the
 * client gets, pl_http_reply_head).
 *
 * Input: a control byte, then the bytes an upstream sends. Bit 0: the
 * response answers a HEAD; bits 1-3: how the bytes are cut (all at once,
 * pieces of 1, 2, 3, 7 or 64 bytes, pseudo-random pieces); bit 4: tiny
 * limits; bit 5: the upstream closes after its bytes (a close-delimited
 * body ends there).
 *
 * Invariants: one event per call, consumption within the input, body
 * bytes inside the input and never more than a Content-Length; a failure
 * is always 502 (or 500 for memory) and stays; the same events whatever
 * the cuts; a final head has a status in 200-599 with the framing RFC
 * 9112 6.3 gives it, and its fields, less the ones the proxy drops, make
 * a head the writer accepts for both an HTTP/1.1 and an HTTP/1.0 client.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "padlock/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)                                                        \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "fuzz_upstream: %s:%d: %s\n",        \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

#define MAX_EVENTS 4096

typedef struct {
	int events[MAX_EVENTS];
	uint64_t body[MAX_EVENTS];
	size_t n;
	int status; /* the parser's, when it failed */
	uint64_t digest;
} run_t;

static size_t piece_len(unsigned scheme, uint32_t *rng, size_t left)
{
	static const size_t fixed[] = {SIZE_MAX, 1, 2, 3, 7, 64};
	size_t n;
	if (scheme < 6) {
		n = fixed[scheme];
	} else {
		*rng = *rng * 1103515245u + 12345u;
		n = 1 + (*rng >> 16) % 32;
	}
	return n < left ? n : left;
}

static bool dropped(const pl_http_str_t *name)
{
	static const char *const names[] = {
		"connection", "keep-alive", "proxy-connection", "te", "trailer",
		"transfer-encoding", "upgrade", "content-length", "date",
		"server", "proxy-authenticate"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == name->len &&
		    strncasecmp(names[i], name->ptr, name->len) == 0)
			return true;
	return false;
}

/* The head the client would get, for a 1.1 and a 1.0 client. */
static void check_forwarded(const pl_http_request_t *resp)
{
	pl_http_field_t *kept = calloc(resp->field_count + 1, sizeof(*kept));
	size_t n = 0;
	REQUIRE(kept != NULL);
	for (size_t i = 0; i < resp->field_count; i++)
		if (!dropped(&resp->fields[i].name))
			kept[n++] = resp->fields[i];
	for (int v = 0; v < 2; v++) {
		pl_http_reply_t r;
		pl_http_buf_t out = PL_HTTP_BUF_INIT;
		pl_http_reply_init(&r);
		r.status = resp->status;
		r.version = v ? PL_HTTP_10 : PL_HTTP_11;
		r.date = (time_t)-1;
		bool bodyless = resp->status < 200 || resp->status == 204;
		if (resp->framing == PL_HTTP_BODY_LENGTH) {
			r.framing = PL_HTTP_BODY_LENGTH;
			r.content_length = resp->content_length;
		} else if (bodyless || resp->status == 304) {
			r.framing = PL_HTTP_BODY_NONE;
		} else if (v == 0) {
			r.framing = PL_HTTP_BODY_CHUNKED;
		} else {
			r.framing = PL_HTTP_BODY_CLOSE;
			r.close = true;
		}
		r.extra = kept;
		r.extra_count = n;
		REQUIRE(pl_http_reply_head(&r, &out) == PL_OK);
		pl_http_buf_free(&out);
		pl_http_reply_free(&r);
	}
	free(kept);
}

static void note(run_t *run, int event, uint64_t body)
{
	REQUIRE(run->n < MAX_EVENTS);
	run->events[run->n] = event;
	run->body[run->n++] = body;
}

static void run_once(const uint8_t *in, size_t len, unsigned ctl, run_t *run)
{
	pl_http_limits_t lim;
	pl_http_limits_default(&lim);
	if (ctl & 0x10) {
		lim.max_request_line = 32;
		lim.max_header_bytes = 96;
		lim.max_header_count = 4;
	}
	pl_http_parser_t *p = pl_http_parser_new_response(&lim);
	REQUIRE(p != NULL);
	pl_http_parser_no_body(p, ctl & 1);
	uint32_t rng = 7;
	size_t off = 0;
	uint64_t declared = UINT64_MAX, got = 0;
	memset(run, 0, sizeof(*run));
	bool finished = false;
	int ret = PL_OK;
	while (ret == PL_OK) {
		size_t n = piece_len(ctl >> 1 & 7, &rng, len - off);
		pl_http_step_t step;
		ret = pl_http_parse(p, in + off, n, &step);
		REQUIRE(step.consumed <= n);
		off += step.consumed;
		if (ret != PL_OK)
			break;
		if (step.event == PL_HTTP_HEAD) {
			const pl_http_request_t *r = pl_http_parser_request(p);
			REQUIRE(r && r->status >= 100 && r->status <= 599);
			if (r->status >= 200) {
				check_forwarded(r);
				declared = r->framing == PL_HTTP_BODY_LENGTH
						   ? r->content_length : UINT64_MAX;
				got = 0;
				if ((ctl & 1) || r->status == 204 ||
				    r->status == 304)
					REQUIRE(r->framing == PL_HTTP_BODY_NONE);
			}
			note(run, 1, (uint64_t)r->status);
		} else if (step.event == PL_HTTP_BODY) {
			REQUIRE(step.body >= in && step.body + step.body_len <=
							   in + len);
			got += step.body_len;
			REQUIRE(got <= declared);
			for (size_t i = 0; i < step.body_len; i++)
				run->digest = run->digest * 31 + step.body[i];
		} else if (step.event == PL_HTTP_DONE) {
			note(run, 3, got);
		} else if (off == len) {
			if ((ctl & 0x20) && !finished) {
				finished = true;
				if (pl_http_parser_finish(p) == PL_OK)
					continue;
			}
			break;
		}
		if (pl_http_parser_must_close(p))
			break;
	}
	if (ret != PL_OK) {
		int st = pl_http_parser_status(p);
		REQUIRE(st == 502 || st == 500);
		REQUIRE(pl_http_parser_reason(p) != NULL);
		pl_http_step_t again;
		REQUIRE(pl_http_parse(p, in, len, &again) == ret);
		run->status = st;
	}
	pl_http_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned ctl = data[0];
	run_t *cut = malloc(sizeof(run_t)), *whole = malloc(sizeof(run_t));
	REQUIRE(cut && whole);
	run_once(data + 1, size - 1, ctl, cut);
	run_once(data + 1, size - 1, ctl & ~0x0eu, whole);
	REQUIRE(cut->n == whole->n && cut->status == whole->status &&
		cut->digest == whole->digest);
	REQUIRE(memcmp(cut->events, whole->events, cut->n * sizeof(int)) == 0);
	REQUIRE(memcmp(cut->body, whole->body, cut->n * sizeof(uint64_t)) == 0);
	free(cut);
	free(whole);
	return 0;
}
