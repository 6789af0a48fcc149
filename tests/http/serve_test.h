/*
 * What the serving tests share: requests made by running real bytes
 * through the parser, and a look into the response a reply holds (status,
 * one header's value, the body, the file part).
 */
#ifndef PADLOCK_TESTS_HTTP_SERVE_TEST_H
#define PADLOCK_TESTS_HTTP_SERVE_TEST_H

#include <dirent.h>
#include <strings.h>
#include <unistd.h>

#include "padlock/http.h"
#include "test.h"

/* A request parsed from raw bytes; free with request_free(). */
typedef struct {
	pl_http_parser_t *parser;
	const pl_http_request_t *req;
} request_t;

static inline request_t request_parse(const char *raw)
{
	request_t r = {pl_http_parser_new(NULL), NULL};
	pl_http_step_t step;
	int ret;

	if (r.parser == NULL)
		abort();
	ret = pl_http_parse(r.parser, (const uint8_t *)raw, strlen(raw), &step);
	if (ret != PL_OK || step.event != PL_HTTP_HEAD) {
		fprintf(stderr, "request did not parse: %s\n%s\n",
			pl_http_parser_reason(r.parser), raw);
		abort();
	}
	r.req = pl_http_parser_request(r.parser);
	return r;
}

static inline void request_free(request_t *r)
{
	pl_http_parser_free(r->parser);
	r->parser = NULL;
}

/* The reply as HTTP/1 puts it on the wire (head, then its body bytes), in
 * a buffer the next call reuses. */
static inline const pl_http_buf_t *reply_wire(const pl_http_reply_t *reply)
{
	static pl_http_buf_t wire;

	pl_http_buf_reset(&wire);
	if (pl_http_reply_head(reply, &wire) != PL_OK)
		abort();
	if (wire.cap - wire.len < reply->body.len) {
		wire.cap = wire.len + reply->body.len;
		wire.data = realloc(wire.data, wire.cap);
		if (wire.data == NULL)
			abort();
	}
	if (reply->body.len)
		memcpy(wire.data + wire.len, reply->body.data, reply->body.len);
	wire.len += reply->body.len;
	return &wire;
}

/* The bytes of the reply as a C string (a copy the caller frees). */
static inline char *reply_text(const pl_http_reply_t *reply)
{
	const pl_http_buf_t *out = reply_wire(reply);
	char *s = malloc(out->len + 1);

	if (s == NULL)
		abort();
	memcpy(s, out->data, out->len);
	s[out->len] = '\0';
	return s;
}

/* The status code of the status line out begins with, or -1. */
static inline int reply_status_line(const pl_http_reply_t *reply)
{
	const pl_http_buf_t *out = reply_wire(reply);

	if (out->len < 12 || memcmp(out->data, "HTTP/1.1 ", 9) != 0)
		return -1;
	return atoi((const char *)out->data + 9);
}

/* Where the body begins in out (after the empty line), or NULL. */
static inline const char *reply_body(const pl_http_reply_t *reply,
				     size_t *len)
{
	const pl_http_buf_t *out = reply_wire(reply);
	const char *s = (const char *)out->data;
	const char *end = s + out->len;

	for (const char *p = s; p + 4 <= end; p++) {
		if (memcmp(p, "\r\n\r\n", 4) == 0) {
			*len = (size_t)(end - (p + 4));
			return p + 4;
		}
	}
	*len = 0;
	return NULL;
}

/* The value of the header field name (case-insensitive) in the head of
 * out, copied into a buffer that the next call reuses; NULL when absent.
 * *count (may be NULL) gets how many lines carry that name. */
static inline const char *reply_header_n(const pl_http_reply_t *reply,
					 const char *name, int *count)
{
	static char value[4096];
	const pl_http_buf_t *out = reply_wire(reply);
	const char *s = (const char *)out->data;
	const char *end = s + out->len;
	const char *line = s;
	size_t n = strlen(name);
	bool found = false;
	int seen = 0;

	/* skip the status line */
	while (line < end && *line != '\n')
		line++;
	line++;
	while (line + 2 <= end && memcmp(line, "\r\n", 2) != 0) {
		const char *eol = line;
		while (eol + 1 < end && !(eol[0] == '\r' && eol[1] == '\n'))
			eol++;
		if ((size_t)(eol - line) > n + 1 && line[n] == ':' &&
		    strncasecmp(line, name, n) == 0) {
			const char *v = line + n + 1;
			size_t vlen;
			while (v < eol && *v == ' ')
				v++;
			vlen = (size_t)(eol - v);
			if (!found && vlen < sizeof value) {
				memcpy(value, v, vlen);
				value[vlen] = '\0';
				found = true;
			}
			seen++;
		}
		line = eol + 2;
	}
	if (count)
		*count = seen;
	return found ? value : NULL;
}

static inline const char *reply_header(const pl_http_reply_t *reply,
				       const char *name)
{
	return reply_header_n(reply, name, NULL);
}

/* The header's value is exactly want (want NULL: the header is absent). */
#define CHECK_HEADER(reply, name, want)                                      \
	do {                                                                 \
		const char *got_ = reply_header((reply), (name));            \
		const char *want_ = (want);                                  \
		CHECK_MSG(want_ == NULL ? got_ == NULL                       \
					: got_ != NULL && strcmp(got_, want_) == 0, \
			  "%s: got \"%s\", want \"%s\"", (name),             \
			  got_ ? got_ : "(absent)", want_ ? want_ : "(absent)"); \
	} while (0)

/* How many descriptors this process has open (with the one counting). */
static inline int open_descriptors(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

#endif
