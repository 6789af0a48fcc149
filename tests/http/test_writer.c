/*
 * The HTTP/1.1 response writer (src/http/writer.c): status lines and
 * headers byte for byte, IMF-fixdate, chunk framing, error responses, and
 * the refusals that keep a caller's value from ending a line (header
 * injection) or contradicting the framing.
 */
#include "padlock/http.h"
#include "test.h"

/* 1994-11-06 08:49:37 UTC, RFC 9110's example date */
#define RFC_DATE ((time_t)784111777)

#define FIELD(n, v) {{n, sizeof(n) - 1}, {v, sizeof(v) - 1}}

static pl_http_response_t response(int status)
{
	pl_http_response_t r = {0};

	r.status = status;
	r.version = PL_HTTP_11;
	r.keep_alive = true;
	r.date = (time_t)-1;
	r.framing = PL_HTTP_BODY_LENGTH;
	return r;
}

static bool buf_is(const pl_http_buf_t *b, const char *text)
{
	size_t n = strlen(text);
	bool ok = b->len == n && memcmp(b->data, text, n) == 0;

	if (!ok)
		fprintf(stderr, "got:\n%.*s\nwant:\n%s\n", (int)b->len,
			(const char *)b->data, text);
	return ok;
}

static void formats_imf_fixdate(void)
{
	char d[PL_HTTP_DATE_LEN + 1];

	CHECK_EQ_INT(pl_http_format_date(RFC_DATE, d), PL_OK);
	CHECK(strcmp(d, "Sun, 06 Nov 1994 08:49:37 GMT") == 0);
	CHECK_EQ_INT(pl_http_format_date(0, d), PL_OK);
	CHECK(strcmp(d, "Thu, 01 Jan 1970 00:00:00 GMT") == 0);
	CHECK_EQ_INT(pl_http_format_date((time_t)1709208000, d), PL_OK);
	CHECK(strcmp(d, "Thu, 29 Feb 2024 12:00:00 GMT") == 0);
	CHECK_EQ_INT(pl_http_format_date((time_t)253402300799, d), PL_OK);
	CHECK(strcmp(d, "Fri, 31 Dec 9999 23:59:59 GMT") == 0);
	CHECK_EQ_INT(pl_http_format_date((time_t)253402300800, d), PL_ERR_ARG);
	CHECK_EQ_INT(strlen("Sun, 06 Nov 1994 08:49:37 GMT"), PL_HTTP_DATE_LEN);
}

static void knows_common_reason_phrases(void)
{
	CHECK(strcmp(pl_http_reason_phrase(200), "OK") == 0);
	CHECK(strcmp(pl_http_reason_phrase(301), "Moved Permanently") == 0);
	CHECK(strcmp(pl_http_reason_phrase(308), "Permanent Redirect") == 0);
	CHECK(strcmp(pl_http_reason_phrase(413), "Content Too Large") == 0);
	CHECK(strcmp(pl_http_reason_phrase(414), "URI Too Long") == 0);
	CHECK(strcmp(pl_http_reason_phrase(431), "Request Header Fields Too Large") == 0);
	CHECK(strcmp(pl_http_reason_phrase(505), "HTTP Version Not Supported") == 0);
	CHECK(strcmp(pl_http_reason_phrase(299), "") == 0);
}

static void writes_a_full_head(void)
{
	static const pl_http_field_t extra[] = {
		FIELD("Content-Type", "text/html; charset=utf-8"),
		FIELD("Strict-Transport-Security", "max-age=63072000"),
	};
	pl_http_buf_t b = PL_HTTP_BUF_INIT;
	pl_http_response_t r = response(200);

	r.date = RFC_DATE;
	r.server = "padlock";
	r.content_length = 1234;
	r.fields = extra;
	r.field_count = 2;
	CHECK_EQ_INT(pl_http_write_head(&b, &r), PL_OK);
	CHECK(buf_is(&b, "HTTP/1.1 200 OK\r\n"
			 "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
			 "Server: padlock\r\n"
			 "Content-Length: 1234\r\n"
			 "Content-Type: text/html; charset=utf-8\r\n"
			 "Strict-Transport-Security: max-age=63072000\r\n"
			 "\r\n"));
	pl_http_buf_free(&b);
}

static void writes_connection_as_the_version_needs(void)
{
	pl_http_buf_t b = PL_HTTP_BUF_INIT;
	pl_http_response_t r = response(404);

	r.keep_alive = false;
	CHECK_EQ_INT(pl_http_write_head(&b, &r), PL_OK);
	CHECK(buf_is(&b, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
			 "Connection: close\r\n\r\n"));
	pl_http_buf_reset(&b);
	r.keep_alive = true;
	r.version = PL_HTTP_10;
	CHECK_EQ_INT(pl_http_write_head(&b, &r), PL_OK);
	CHECK(buf_is(&b, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
			 "Connection: keep-alive\r\n\r\n"));
	pl_http_buf_free(&b);
}

static void writes_chunked_bodies(void)
{
	pl_http_buf_t b = PL_HTTP_BUF_INIT;
	pl_http_response_t r = response(200);

	r.framing = PL_HTTP_BODY_CHUNKED;
	CHECK_EQ_INT(pl_http_write_head(&b, &r), PL_OK);
	CHECK_EQ_INT(pl_http_write_chunk(&b, "hello world, again", 18), PL_OK);
	CHECK_EQ_INT(pl_http_write_chunk(&b, "!", 1), PL_OK);
	CHECK_EQ_INT(pl_http_write_chunk(&b, NULL, 0), PL_OK);
	CHECK(buf_is(&b, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "12\r\nhello world, again\r\n1\r\n!\r\n0\r\n\r\n"));
	pl_http_buf_free(&b);
}

static void writes_informational_and_bodiless_heads(void)
{
	pl_http_buf_t b = PL_HTTP_BUF_INIT;
	pl_http_response_t r = response(100);

	r.framing = PL_HTTP_BODY_NONE;
	r.date = RFC_DATE;
	r.keep_alive = false;
	CHECK_EQ_INT(pl_http_write_head(&b, &r), PL_OK);
	CHECK(buf_is(&b, "HTTP/1.1 100 Continue\r\n\r\n"));
	pl_http_buf_reset(&b);
	r = response(204);
	r.framing = PL_HTTP_BODY_NONE;
	CHECK_EQ_INT(pl_http_write_head(&b, &r), PL_OK);
	CHECK(buf_is(&b, "HTTP/1.1 204 No Content\r\n\r\n"));
	pl_http_buf_reset(&b);
	r = response(304);
	r.framing = PL_HTTP_BODY_NONE;
	CHECK_EQ_INT(pl_http_write_head(&b, &r), PL_OK);
	CHECK(buf_is(&b, "HTTP/1.1 304 Not Modified\r\n\r\n"));
	pl_http_buf_free(&b);
}

static void writes_custom_and_unknown_reasons(void)
{
	pl_http_buf_t b = PL_HTTP_BUF_INIT;
	pl_http_response_t r = response(299);

	CHECK_EQ_INT(pl_http_write_head(&b, &r), PL_OK);
	/* the SP before an empty reason stays (RFC 9112 4) */
	CHECK(buf_is(&b, "HTTP/1.1 299 \r\nContent-Length: 0\r\n\r\n"));
	pl_http_buf_reset(&b);
	r.reason = "Fine Thanks";
	CHECK_EQ_INT(pl_http_write_head(&b, &r), PL_OK);
	CHECK(buf_is(&b, "HTTP/1.1 299 Fine Thanks\r\nContent-Length: 0\r\n\r\n"));
	pl_http_buf_free(&b);
}

static void appends_after_what_the_buffer_holds(void)
{
	pl_http_buf_t b = PL_HTTP_BUF_INIT;
	pl_http_response_t r = response(200);

	r.content_length = 2;
	CHECK_EQ_INT(pl_http_write_head(&b, &r), PL_OK);
	CHECK_EQ_INT(pl_http_write_head(&b, &r), PL_OK);
	CHECK(buf_is(&b, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
			 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"));
	pl_http_buf_free(&b);
}

/* Writes r after "prefix" and expects a refusal that leaves the buffer as
 * it was. */
static void expect_refused(pl_http_response_t *r, int line)
{
	pl_http_buf_t b = PL_HTTP_BUF_INIT;
	int ret;

	CHECK_EQ_INT(pl_http_write_chunk(&b, "prefix", 6), PL_OK);
	ret = pl_http_write_head(&b, r);
	CHECK_MSG(ret == PL_ERR_ARG, "line %d: %d", line, ret);
	CHECK_MSG(b.len == 11 && memcmp(b.data, "6\r\nprefix\r\n", 11) == 0,
		  "line %d: the buffer changed", line);
	pl_http_buf_free(&b);
}

#define REFUSED(r) expect_refused(&(r), __LINE__)

static void refuses_cr_and_lf_in_header_values(void)
{
	static const pl_http_field_t crlf[] = {
		FIELD("Location", "/a\r\nSet-Cookie: evil=1")};
	static const pl_http_field_t lf[] = {FIELD("Location", "/a\nX: y")};
	static const pl_http_field_t cr[] = {FIELD("Location", "/a\rX: y")};
	static const pl_http_field_t nul[] = {{{"X", 1}, {"a\0b", 3}}};
	static const pl_http_field_t ctl[] = {FIELD("X", "a\x1b[31m")};
	pl_http_response_t r = response(301);

	r.field_count = 1;
	r.fields = crlf;
	REFUSED(r);
	r.fields = lf;
	REFUSED(r);
	r.fields = cr;
	REFUSED(r);
	r.fields = nul;
	REFUSED(r);
	r.fields = ctl;
	REFUSED(r);
	r = response(200);
	r.server = "padlock\r\nX-Evil: 1";
	REFUSED(r);
	r = response(200);
	r.reason = "OK\r\nX-Evil: 1";
	REFUSED(r);
}

static void refuses_bad_field_names_and_padding(void)
{
	static const pl_http_field_t space_name[] = {FIELD("Bad Name", "v")};
	static const pl_http_field_t colon_name[] = {FIELD("X:", "v")};
	static const pl_http_field_t empty_name[] = {FIELD("", "v")};
	static const pl_http_field_t padded[] = {FIELD("X", " v")};
	static const pl_http_field_t trailing[] = {FIELD("X", "v\t")};
	pl_http_response_t r = response(200);

	r.field_count = 1;
	r.fields = space_name;
	REFUSED(r);
	r.fields = colon_name;
	REFUSED(r);
	r.fields = empty_name;
	REFUSED(r);
	r.fields = padded;
	REFUSED(r);
	r.fields = trailing;
	REFUSED(r);
}

static void refuses_fields_the_writer_owns(void)
{
	static const pl_http_field_t owned[][1] = {
		{FIELD("Content-Length", "5")},
		{FIELD("transfer-encoding", "chunked")},
		{FIELD("Connection", "keep-alive")},
		{FIELD("DATE", "Sun, 06 Nov 1994 08:49:37 GMT")},
		{FIELD("Server", "other")},
	};
	pl_http_response_t r = response(200);

	r.field_count = 1;
	for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) {
		r.fields = owned[i];
		REFUSED(r);
	}
}

static void refuses_framing_the_status_forbids(void)
{
	pl_http_response_t r = response(204);

	REFUSED(r); /* Content-Length in 204 (RFC 9110 8.6) */
	r = response(101);
	r.framing = PL_HTTP_BODY_CHUNKED;
	REFUSED(r);
	r = response(200);
	r.framing = PL_HTTP_BODY_NONE; /* close-delimited: not offered */
	REFUSED(r);
	r = response(200);
	r.framing = PL_HTTP_BODY_CHUNKED;
	r.version = PL_HTTP_10; /* RFC 9112 6.1 */
	REFUSED(r);
	r = response(99);
	REFUSED(r);
	r = response(600);
	REFUSED(r);
	r = response(200);
	r.version = 20;
	REFUSED(r);
	r = response(200);
	r.date = (time_t)253402300800; /* year 10000 */
	REFUSED(r);
}

static void writes_error_responses(void)
{
	pl_http_buf_t b = PL_HTTP_BUF_INIT;

	CHECK_EQ_INT(pl_http_write_error(&b, 431, "there are more header fields than the limit",
					 RFC_DATE, "padlock"),
		     PL_OK);
	CHECK(buf_is(&b, "HTTP/1.1 431 Request Header Fields Too Large\r\n"
			 "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
			 "Server: padlock\r\n"
			 "Content-Length: 81\r\n"
			 "Connection: close\r\n"
			 "Content-Type: text/plain; charset=utf-8\r\n"
			 "X-Content-Type-Options: nosniff\r\n"
			 "\r\n"
			 "431 Request Header Fields Too Large: there are more header fields than the limit\n"));
	pl_http_buf_reset(&b);
	CHECK_EQ_INT(pl_http_write_error(&b, 400, "a\r\nb\x01", (time_t)-1, NULL), PL_OK);
	CHECK(buf_is(&b, "HTTP/1.1 400 Bad Request\r\nContent-Length: 23\r\n"
			 "Connection: close\r\n"
			 "Content-Type: text/plain; charset=utf-8\r\n"
			 "X-Content-Type-Options: nosniff\r\n\r\n"
			 "400 Bad Request: a  b \n"));
	pl_http_buf_reset(&b);
	CHECK_EQ_INT(pl_http_write_error(&b, 599, NULL, (time_t)-1, NULL), PL_OK);
	CHECK(strstr((const char *)b.data, "Content-Length: 4\r\n") != NULL);
	CHECK(b.len > 4 && memcmp(b.data + b.len - 8, "\r\n\r\n599\n", 8) == 0);
	CHECK_EQ_INT(pl_http_write_error(&b, 204, NULL, (time_t)-1, NULL), PL_ERR_ARG);
	CHECK_EQ_INT(pl_http_write_error(&b, 100, NULL, (time_t)-1, NULL), PL_ERR_ARG);
	pl_http_buf_free(&b);
}

/* What the writer makes, the parser's own field rules accept: a response
 * head is a request head with another first line. */
static void writes_heads_the_parser_accepts(void)
{
	static const pl_http_field_t extra[] = {
		FIELD("Host", "example.com"),
		FIELD("X-Obs", "caf\xc3\xa9 \t tab"),
	};
	pl_http_buf_t b = PL_HTTP_BUF_INIT;
	pl_http_response_t r = response(200);
	pl_http_parser_t *p = pl_http_parser_new(NULL);
	pl_http_step_t st;
	const char *head;
	size_t skip;

	r.date = RFC_DATE;
	r.server = "padlock/0.1";
	r.fields = extra;
	r.field_count = 2;
	r.content_length = 0;
	CHECK_EQ_INT(pl_http_write_head(&b, &r), PL_OK);
	/* "GET / HTTP/1.1\r\n" in place of the status line */
	head = memchr(b.data, '\n', b.len);
	skip = (size_t)(head - (const char *)b.data) + 1;
	CHECK_EQ_INT(pl_http_parse(p, (const uint8_t *)"GET / HTTP/1.1\r\n", 16, &st), PL_OK);
	CHECK_EQ_INT(pl_http_parse(p, b.data + skip, b.len - skip, &st), PL_OK);
	CHECK_EQ_INT(st.event, PL_HTTP_HEAD);
	CHECK_EQ_INT(st.consumed, b.len - skip);
	CHECK_EQ_INT(pl_http_parser_request(p)->field_count, 5);
	pl_http_parser_free(p);
	pl_http_buf_free(&b);
}

int main(void)
{
	RUN(formats_imf_fixdate);
	RUN(knows_common_reason_phrases);
	RUN(writes_a_full_head);
	RUN(writes_connection_as_the_version_needs);
	RUN(writes_chunked_bodies);
	RUN(writes_informational_and_bodiless_heads);
	RUN(writes_custom_and_unknown_reasons);
	RUN(appends_after_what_the_buffer_holds);
	RUN(refuses_cr_and_lf_in_header_values);
	RUN(refuses_bad_field_names_and_padding);
	RUN(refuses_fields_the_writer_owns);
	RUN(refuses_framing_the_status_forbids);
	RUN(writes_error_responses);
	RUN(writes_heads_the_parser_accepts);
	return test_finish();
}
