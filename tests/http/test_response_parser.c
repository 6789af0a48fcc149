/*
 * The parser in its response mode (pl_http_parser_new_response): an
 * upstream's answer as the reverse proxy reads it. Each input is parsed
 * whole and one byte at a time; both must agree. Framing follows RFC 9112
 * 6.3 (no body for HEAD, 1xx, 204, 304; chunked; Content-Length; else up
 * to the close), and what a lenient reader would guess at is a 502.
 */
#include "padlock/http.h"
#include "test.h"

typedef struct {
	int ret;
	int status;      /* the final response's */
	int failure;     /* the parser's status after a failure */
	pl_http_framing_t framing;
	bool keep_alive;
	char body[256];
	size_t body_len;
	unsigned interim; /* 1xx heads before the final one */
	bool done;
} outcome_t;

static void parse(const char *in, size_t len, bool head, bool closes,
		  size_t piece, outcome_t *o)
{
	pl_http_parser_t *p = pl_http_parser_new_response(NULL);
	size_t off = 0;
	memset(o, 0, sizeof(*o));
	pl_http_parser_no_body(p, head);
	while (!o->done) {
		size_t n = len - off < piece ? len - off : piece;
		pl_http_step_t step;
		o->ret = pl_http_parse(p, (const uint8_t *)in + off, n, &step);
		off += step.consumed;
		if (o->ret != PL_OK) {
			o->failure = pl_http_parser_status(p);
			break;
		}
		const pl_http_request_t *r = pl_http_parser_request(p);
		if (step.event == PL_HTTP_HEAD && r->status < 200) {
			o->interim++;
		} else if (step.event == PL_HTTP_HEAD) {
			o->status = r->status;
			o->framing = r->framing;
			o->keep_alive = r->keep_alive;
		} else if (step.event == PL_HTTP_BODY) {
			memcpy(o->body + o->body_len, step.body, step.body_len);
			o->body_len += step.body_len;
		} else if (step.event == PL_HTTP_DONE && o->status) {
			o->done = true;
		} else if (step.event == PL_HTTP_NEED_MORE && off == len) {
			if (!closes || pl_http_parser_finish(p) != PL_OK)
				break;
			closes = false;
		}
	}
	pl_http_parser_free(p);
}

/* Parses whole and byte by byte; checks they agree; returns the first. */
static void both(const char *in, bool head, bool closes, outcome_t *o)
{
	outcome_t bytewise;
	parse(in, strlen(in), head, closes, (size_t)-1, o);
	parse(in, strlen(in), head, closes, 1, &bytewise);
	CHECK_EQ_INT(o->ret, bytewise.ret);
	CHECK_EQ_INT(o->status, bytewise.status);
	CHECK_EQ_INT(o->body_len, bytewise.body_len);
	CHECK(o->done == bytewise.done);
	CHECK_MEM(o->body, bytewise.body, o->body_len);
}

static void reads_a_length_response_and_keeps_the_connection(void)
{
	outcome_t o;
	both("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, false, &o);
	CHECK_EQ_INT(o.status, 200);
	CHECK_EQ_INT(o.framing, PL_HTTP_BODY_LENGTH);
	CHECK(o.keep_alive && o.done);
	CHECK_EQ_INT(o.body_len, 5);
	CHECK_MEM(o.body, "hello", 5);
}

static void decodes_a_chunked_response_with_trailers(void)
{
	outcome_t o;
	both("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	     "3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n", false, false, &o);
	CHECK_EQ_INT(o.framing, PL_HTTP_BODY_CHUNKED);
	CHECK(o.done && o.keep_alive);
	CHECK_EQ_INT(o.body_len, 5);
	CHECK_MEM(o.body, "abcde", 5);
}

static void reads_up_to_the_close_without_length_or_chunked(void)
{
	outcome_t o;
	both("HTTP/1.0 200 OK\r\nServer: x\r\n\r\nall of it", false, true, &o);
	CHECK_EQ_INT(o.framing, PL_HTTP_BODY_CLOSE);
	CHECK(o.done && !o.keep_alive);
	CHECK_EQ_INT(o.body_len, 9);
	/* the same cut off before the close never completes */
	both("HTTP/1.1 200 OK\r\n\r\npart", false, false, &o);
	CHECK(!o.done);
}

static void no_body_for_head_204_304_and_interim_responses(void)
{
	outcome_t o;
	both("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", true, false, &o);
	CHECK(o.done && o.body_len == 0);
	CHECK_EQ_INT(o.framing, PL_HTTP_BODY_NONE);
	both("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n"
	     "Link: </s.css>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", false,
	     false, &o);
	CHECK_EQ_INT(o.interim, 2);
	CHECK_EQ_INT(o.status, 204);
	CHECK(o.done && o.body_len == 0);
	both("HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n", false,
	     false, &o);
	CHECK(o.done && o.body_len == 0);
}

static void ambiguous_or_malformed_responses_are_502(void)
{
	static const char *const bad[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: "
		"chunked\r\n\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\nContent-Length: 0\n\n",
		"HTTP/1.1  200 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 099 Low\r\n\r\n",
		"HTTP/1.1 600 High\r\n\r\n",
		"HTTP/2.0 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n",
		"HTTP/1.1 200 O\x01K\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		outcome_t o;
		both(bad[i], false, false, &o);
		CHECK_MSG(o.ret == PL_ERR_DECODE && o.failure == 502,
			  "input %zu: ret %d, status %d", i, o.ret, o.failure);
	}
}

static void a_status_line_without_reason_is_read(void)
{
	outcome_t o;
	both("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", false, false, &o);
	CHECK_EQ_INT(o.status, 404);
	CHECK(o.done);
}

int main(void)
{
	RUN(reads_a_length_response_and_keeps_the_connection);
	RUN(decodes_a_chunked_response_with_trailers);
	RUN(reads_up_to_the_close_without_length_or_chunked);
	RUN(no_body_for_head_204_304_and_interim_responses);
	RUN(ambiguous_or_malformed_responses_are_502);
	RUN(a_status_line_without_reason_is_read);
	return test_finish();
}
