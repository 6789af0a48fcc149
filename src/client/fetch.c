/*
 * A minimal HTTP/1.1 GET or HEAD (RFC 9112) over a TLS connection: one request,
 * Connection: close, one response read with bounds checked at every step;
 * and the choice of protocol (h2.c speaks HTTP/2 when ALPN chose it).
 * The full HTTP/1.1 parser lives in src/http; this one only has to read a
 * response correctly or say precisely why it cannot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/client_internal.h"
#include "padlock/client.h"

#define CHUNK_LINE_MAX 1024  /* chunk-size line with extensions */
#define INTERIM_MAX 16       /* 1xx responses before the final one */
#define BODY_LENGTH_MAX (1ULL << 62)

/* Buffered reading of the response. */
struct reader {
	pl_client_io_t *io;
	size_t start, end;   /* unread bytes are buf[start..end) */
	uint8_t buf[PL_CLIENT_HEAD_MAX];
};

/* Where the body goes. */
struct sink {
	pl_client_io_t *io;
	pl_client_response_t *resp;
	pl_client_body_fn on_body;
	void *arg;
	bool head;           /* the request was HEAD: no body follows */
};

enum framing { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_UNTIL_CLOSE };

static int malformed(pl_client_io_t *io, const char *what, const char *text,
		     size_t len)
{
	char quoted[100];

	if (len == 0)
		return pl_client_fail(io->err, sizeof io->err, PL_ERR_DECODE,
				      "malformed HTTP response: %s", what);
	pl_client_quote(text, len, quoted, sizeof quoted);
	return pl_client_fail(io->err, sizeof io->err, PL_ERR_DECODE,
			      "malformed HTTP response: %s: '%s'", what, quoted);
}

static size_t available(const struct reader *r)
{
	return r->end - r->start;
}

/* Reads more bytes into the buffer. PL_ERR_CLOSED at close_notify. */
static int fill(struct reader *r)
{
	size_t n = 0;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, available(r));
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == sizeof r->buf)
		return pl_client_fail(r->io->err, sizeof r->io->err,
			PL_ERR_STATE, "HTTP reader: buffer full");
	int rc = pl_client_read(r->io, r->buf + r->end,
				sizeof r->buf - r->end, &n);
	if (rc == PL_OK)
		r->end += n;
	return rc;
}

/* ---- status line and headers ----------------------------------------------- */

/* The length of the head (through its empty line) if it is complete. */
static bool find_head_end(const uint8_t *p, size_t len, size_t *head_len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n') {
			*head_len = i + 2;
			return true;
		}
		if (p[i + 1] == '\r' && i + 2 < len && p[i + 2] == '\n') {
			*head_len = i + 3;
			return true;
		}
	}
	return false;
}

/* Cuts the next line off *p (NUL-terminating it in place, dropping CRLF
 * or LF) and returns it; NULL when no line is left. */
static char *next_line(char **p)
{
	char *line = *p, *nl;

	if (line == NULL || *line == '\0')
		return NULL;
	nl = strchr(line, '\n');
	if (nl == NULL) {
		*p = NULL;
	} else {
		*nl = '\0';
		*p = nl + 1;
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
	}
	return line;
}

static bool has_control(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return true;
	}
	return false;
}

/* "HTTP/1.1 200 OK" (RFC 9112 4). */
static int parse_status_line(pl_client_io_t *io, char *line,
			     pl_client_response_t *resp)
{
	const char *s = line;

	if (strncmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9' ||
	    s[8] != ' ')
		return malformed(io, "the status line is not HTTP/1.x", line,
				 strlen(line));
	for (int i = 9; i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return malformed(io, "the status code is not 3 digits",
					 line, strlen(line));
	if (s[12] != ' ' && s[12] != '\0')
		return malformed(io, "the status code is not 3 digits", line,
				 strlen(line));
	resp->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (resp->status < 100 || resp->status > 599)
		return malformed(io, "the status code is out of range", line,
				 strlen(line));
	if (has_control(line))
		return malformed(io, "control character in the status line",
				 line, strlen(line));
	line[8] = '\0';
	resp->version = line;
	resp->reason = s[12] == ' ' ? line + 13 : "";
	return PL_OK;
}

static bool is_token_char(unsigned char ch)
{
	/* RFC 9110 5.6.2 tchar */
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= 'A' && ch <= 'Z') ||
	       (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static char *trim(char *s)
{
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		s[--len] = '\0';
	return s;
}

/* "Name: value" (RFC 9112 5). */
static int parse_header_line(pl_client_io_t *io, char *line,
			     pl_client_response_t *resp)
{
	char *colon = strchr(line, ':');

	if (line[0] == ' ' || line[0] == '\t')
		return malformed(io, "obsolete header line folding", line,
				 strlen(line));
	if (colon == NULL || colon == line)
		return malformed(io, "a header line has no name", line,
				 strlen(line));
	for (char *c = line; c < colon; c++)
		if (!is_token_char((unsigned char)*c))
			return malformed(io, "invalid character in a header name",
					 line, strlen(line));
	if (has_control(colon))
		return malformed(io, "control character in a header value",
				 line, strlen(line));
	if (resp->header_count == PL_CLIENT_HEADERS_MAX)
		return pl_client_fail(io->err, sizeof io->err, PL_ERR_DECODE,
			"malformed HTTP response: more than %d header fields",
			PL_CLIENT_HEADERS_MAX);
	*colon = '\0';
	resp->headers[resp->header_count].name = line;
	resp->headers[resp->header_count].value = trim(colon + 1);
	resp->header_count++;
	return PL_OK;
}

static int parse_head(pl_client_io_t *io, pl_client_response_t *resp)
{
	char *p = resp->head;
	char *line = next_line(&p);
	int rc;

	if (line == NULL)
		return malformed(io, "empty status line", "", 0);
	rc = parse_status_line(io, line, resp);
	if (rc != PL_OK)
		return rc;
	while ((line = next_line(&p)) != NULL) {
		if (line[0] == '\0')
			break;
		rc = parse_header_line(io, line, resp);
		if (rc != PL_OK)
			return rc;
	}
	return PL_OK;
}

static int head_closed_error(pl_client_io_t *io, size_t buffered, int rc)
{
	if (rc != PL_ERR_CLOSED && !io->tcp_closed)
		return rc;
	return pl_client_fail(io->err, sizeof io->err, PL_ERR_DECODE,
		buffered == 0 ? "the server closed the connection without "
				"sending a response"
			      : "the server closed the connection in the middle "
				"of the response headers");
}

/* Reads one status line and its headers into resp. */
static int read_head(struct reader *r, pl_client_response_t *resp)
{
	size_t head_len = 0;

	memset(resp, 0, sizeof *resp);
	while (!find_head_end(r->buf + r->start, available(r), &head_len)) {
		if (available(r) >= PL_CLIENT_HEAD_MAX)
			return pl_client_fail(r->io->err, sizeof r->io->err,
				PL_ERR_DECODE, "malformed HTTP response: the "
				"status line and headers exceed %d bytes",
				PL_CLIENT_HEAD_MAX);
		int rc = fill(r);
		if (rc != PL_OK)
			return head_closed_error(r->io, available(r), rc);
	}
	memcpy(resp->head, r->buf + r->start, head_len);
	resp->head[head_len] = '\0';
	if (memchr(resp->head, '\0', head_len) != NULL)
		return malformed(r->io, "a NUL byte in the headers", "", 0);
	r->start += head_len;
	return parse_head(r->io, resp);
}

/* ---- body framing (RFC 9112 6.3) -------------------------------------------- */

/* The last transfer coding of the last Transfer-Encoding field. */
static const char *last_transfer_coding(const pl_client_response_t *resp,
					char *buf, size_t cap)
{
	const char *value = NULL;

	for (size_t i = 0; i < resp->header_count; i++)
		if (strcasecmp(resp->headers[i].name, "Transfer-Encoding") == 0)
			value = resp->headers[i].value;
	if (value == NULL)
		return NULL;
	const char *comma = strrchr(value, ',');
	snprintf(buf, cap, "%s", comma != NULL ? comma + 1 : value);
	return trim(buf);
}

/* One Content-Length value: digits only, no overflow. */
static bool parse_length(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > BODY_LENGTH_MAX / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return v <= BODY_LENGTH_MAX;
}

/* Every Content-Length field and list member must agree (RFC 9110 8.6). */
static int content_length(pl_client_io_t *io, const pl_client_response_t *resp,
			  bool *found, uint64_t *length)
{
	*found = false;
	for (size_t i = 0; i < resp->header_count; i++) {
		const char *v = resp->headers[i].value;
		if (strcasecmp(resp->headers[i].name, "Content-Length") != 0)
			continue;
		while (*v != '\0') {
			while (*v == ' ' || *v == '\t')
				v++;
			size_t len = strcspn(v, ", \t");
			uint64_t n = 0;
			if (!parse_length(v, len, &n))
				return malformed(io, "invalid Content-Length",
						 resp->headers[i].value,
						 strlen(resp->headers[i].value));
			if (*found && n != *length)
				return pl_client_fail(io->err, sizeof io->err,
					PL_ERR_DECODE, "malformed HTTP response: "
					"Content-Length is both %llu and %llu",
					(unsigned long long)*length,
					(unsigned long long)n);
			*found = true;
			*length = n;
			v += len;
			while (*v == ' ' || *v == '\t' || *v == ',')
				v++;
		}
	}
	return PL_OK;
}

static int body_framing(pl_client_io_t *io, const pl_client_response_t *resp,
			bool head, enum framing *framing, uint64_t *length)
{
	char coding[64];
	bool has_length = false;

	*framing = BODY_UNTIL_CLOSE;
	/* RFC 9112 6.3: a response to HEAD, 1xx, 204 and 304 end with their
	 * headers, whatever Content-Length says. */
	if (head || resp->status < 200 || resp->status == 204 ||
	    resp->status == 304) {
		*framing = BODY_NONE;
		return PL_OK;
	}
	/* Transfer-Encoding overrides Content-Length; a response whose last
	 * coding is not chunked runs until the connection closes. */
	const char *last = last_transfer_coding(resp, coding, sizeof coding);
	if (last != NULL) {
		if (strcasecmp(last, "chunked") == 0)
			*framing = BODY_CHUNKED;
		return PL_OK;
	}
	int rc = content_length(io, resp, &has_length, length);
	if (rc == PL_OK && has_length)
		*framing = BODY_LENGTH;
	return rc;
}

/* ---- body ----------------------------------------------------------------- */

static int deliver(struct sink *s, const uint8_t *data, size_t len)
{
	s->resp->body_bytes += len;
	if (s->on_body == NULL || len == 0)
		return PL_OK;
	s->io->err[0] = '\0';
	int rc = s->on_body(s->arg, data, len, s->io->err, sizeof s->io->err);
	if (rc != PL_OK && s->io->err[0] == '\0')
		return pl_client_fail(s->io->err, sizeof s->io->err, rc,
				      "the response body could not be stored");
	return rc;
}

/* Passes exactly length bytes to the sink. */
static int read_exact(struct reader *r, struct sink *s, uint64_t length,
		      const char *what)
{
	uint64_t left = length;

	while (left > 0) {
		if (available(r) == 0) {
			int rc = fill(r);
			if (rc == PL_ERR_CLOSED || (rc != PL_OK && r->io->tcp_closed))
				return pl_client_fail(r->io->err,
					sizeof r->io->err, PL_ERR_DECODE,
					"the server closed the connection%s "
					"after %llu of %llu bytes of %s",
					rc == PL_ERR_CLOSED ? "" :
					" without close_notify",
					(unsigned long long)(length - left),
					(unsigned long long)length, what);
			if (rc != PL_OK)
				return rc;
		}
		size_t n = available(r);
		if ((uint64_t)n > left)
			n = (size_t)left;
		int rc = deliver(s, r->buf + r->start, n);
		if (rc != PL_OK)
			return rc;
		r->start += n;
		left -= n;
	}
	return PL_OK;
}

/* A body that ends with the connection: only a close_notify proves it
 * complete; a bare TCP close may be a truncation attack (RFC 8446 6.1). */
static int read_until_close(struct reader *r, struct sink *s)
{
	for (;;) {
		int rc = deliver(s, r->buf + r->start, available(r));
		if (rc != PL_OK)
			return rc;
		r->start = r->end;
		rc = fill(r);
		if (rc == PL_ERR_CLOSED)
			return PL_OK;
		if (rc != PL_OK && r->io->tcp_closed)
			return pl_client_fail(r->io->err, sizeof r->io->err,
				PL_ERR_IO, "the server closed the TCP connection "
				"without close_notify after %llu body bytes, so "
				"the body may be truncated",
				(unsigned long long)s->resp->body_bytes);
		if (rc != PL_OK)
			return rc;
	}
}

/* One line of a chunked body, without its CRLF, into out. */
static int read_line(struct reader *r, char *out, size_t cap)
{
	for (;;) {
		const uint8_t *p = r->buf + r->start;
		const uint8_t *nl = memchr(p, '\n', available(r));
		if (nl != NULL) {
			size_t len = (size_t)(nl - p);
			r->start += len + 1;
			if (len > 0 && p[len - 1] == '\r')
				len--;
			if (len >= cap || memchr(p, '\0', len) != NULL)
				return malformed(r->io, "invalid line in a "
						 "chunked body", (const char *)p,
						 len);
			memcpy(out, p, len);
			out[len] = '\0';
			return PL_OK;
		}
		if (available(r) >= cap)
			return malformed(r->io, "chunk line too long",
					 (const char *)p, available(r));
		int rc = fill(r);
		if (rc == PL_ERR_CLOSED || (rc != PL_OK && r->io->tcp_closed))
			return pl_client_fail(r->io->err, sizeof r->io->err,
				PL_ERR_DECODE, "the server closed the connection "
				"in the middle of a chunked body");
		if (rc != PL_OK)
			return rc;
	}
}

/* chunk-size [ chunk-ext ] (RFC 9112 7.1): hex digits, then ';' or BWS. */
static int parse_chunk_size(pl_client_io_t *io, const char *line,
			    uint64_t *size)
{
	uint64_t v = 0;
	size_t i = 0;

	for (; line[i] != '\0'; i++) {
		char ch = line[i];
		int digit = ch >= '0' && ch <= '9' ? ch - '0'
			  : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
			  : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
		if (digit < 0)
			break;
		if (v > BODY_LENGTH_MAX / 16)
			return malformed(io, "chunk size too large", line,
					 strlen(line));
		v = v * 16 + (uint64_t)digit;
	}
	if (i == 0 || (line[i] != '\0' && line[i] != ';' && line[i] != ' ' &&
		       line[i] != '\t'))
		return malformed(io, "invalid chunk size", line, strlen(line));
	*size = v;
	return PL_OK;
}

/* Trailer fields after the last chunk are read and dropped. */
static int skip_trailers(struct reader *r)
{
	char line[CHUNK_LINE_MAX];
	size_t total = 0;

	for (;;) {
		int rc = read_line(r, line, sizeof line);
		if (rc != PL_OK)
			return rc;
		if (line[0] == '\0')
			return PL_OK;
		total += strlen(line);
		if (total > PL_CLIENT_HEAD_MAX)
			return malformed(r->io, "trailer fields too long", line,
					 strlen(line));
	}
}

static int read_chunked(struct reader *r, struct sink *s)
{
	char line[CHUNK_LINE_MAX];

	for (;;) {
		uint64_t size = 0;
		int rc = read_line(r, line, sizeof line);
		if (rc == PL_OK)
			rc = parse_chunk_size(r->io, line, &size);
		if (rc != PL_OK)
			return rc;
		if (size == 0)
			return skip_trailers(r);
		rc = read_exact(r, s, size, "a chunk");
		if (rc == PL_OK)
			rc = read_line(r, line, sizeof line);
		if (rc != PL_OK)
			return rc;
		if (line[0] != '\0')
			return malformed(r->io, "chunk data longer than its size",
					 line, strlen(line));
	}
}

static int read_body(struct reader *r, struct sink *s)
{
	enum framing framing = BODY_NONE;
	uint64_t length = 0;
	int rc = body_framing(r->io, s->resp, s->head, &framing, &length);

	if (rc != PL_OK)
		return rc;
	switch (framing) {
	case BODY_LENGTH:
		return read_exact(r, s, length, "the body (Content-Length)");
	case BODY_CHUNKED:
		return read_chunked(r, s);
	case BODY_UNTIL_CLOSE:
		return read_until_close(r, s);
	case BODY_NONE:
	default:
		return PL_OK;
	}
}

/* ---- the request ------------------------------------------------------------ */

/* RFC 9112 3: the request line and header fields, then the body with its
 * length (never chunked: padlock sends bodies it holds whole). */
static int send_request(pl_client_io_t *io, const pl_client_url_t *url,
			const pl_client_request_t *req)
{
	char request[sizeof url->path + sizeof url->authority + 512];
	int len;

	if (strpbrk(url->path, " \r\n") != NULL ||
	    strpbrk(url->authority, " \r\n") != NULL)
		return pl_client_fail(io->err, sizeof io->err, PL_ERR_ARG,
			"the request target contains a space or a line break");
	len = snprintf(request, sizeof request,
		       "%s %s HTTP/1.1\r\n"
		       "Host: %s\r\n"
		       "User-Agent: padlock/0.1\r\n"
		       "Accept: */*\r\n"
		       "Connection: close\r\n",
		       req->method, url->path[0] != '\0' ? url->path : "/",
		       url->authority);
	if (len > 0 && (size_t)len < sizeof request && req->content_type != NULL)
		len += snprintf(request + len, sizeof request - (size_t)len,
				"Content-Type: %s\r\nContent-Length: %zu\r\n",
				req->content_type, req->body_len);
	if (len < 0 || (size_t)len + 2 >= sizeof request)
		return pl_client_fail(io->err, sizeof io->err, PL_ERR_ARG,
				      "the request is too long");
	memcpy(request + len, "\r\n", 2);
	len += 2;
	int rc = pl_client_write(io, (const uint8_t *)request, (size_t)len);
	if (rc == PL_OK && req->body_len > 0)
		rc = pl_client_write(io, req->body, req->body_len);
	return rc;
}

/* Reads heads until a final (non-1xx) one. */
static int read_final_head(struct reader *r, pl_client_response_t *resp)
{
	for (int i = 0; i <= INTERIM_MAX; i++) {
		int rc = read_head(r, resp);
		if (rc != PL_OK)
			return rc;
		if (resp->status == 101)
			return pl_client_fail(r->io->err, sizeof r->io->err,
				PL_ERR_DECODE, "the server switched protocols "
				"(101) although the request did not ask it to");
		if (resp->status >= 200)
			return PL_OK;
	}
	return pl_client_fail(r->io->err, sizeof r->io->err, PL_ERR_DECODE,
		"malformed HTTP response: more than %d interim (1xx) responses",
		INTERIM_MAX);
}

/* The request in HTTP/1.1 (RFC 9112). */
static int fetch_http1(pl_client_io_t *io, const pl_client_url_t *url,
		       const pl_client_request_t *req,
		       pl_client_response_t *resp)
{
	struct reader *r = malloc(sizeof *r);
	struct sink s = { .io = io, .resp = resp, .on_body = req->on_body,
			  .arg = req->arg };
	int rc;

	if (r == NULL)
		return pl_client_fail(io->err, sizeof io->err, PL_ERR_NOMEM,
				      "out of memory");
	memset(r, 0, sizeof *r);
	r->io = io;
	s.head = strcmp(req->method, "HEAD") == 0;
	rc = send_request(io, url, req);
	if (rc != PL_OK)
		goto out;
	rc = read_final_head(r, resp);
	if (rc != PL_OK)
		goto out;
	if (req->on_head != NULL)
		req->on_head(req->arg, resp);
	rc = read_body(r, &s);
out:
	free(r);
	return rc;
}

const char *pl_client_protocol(const pl_client_io_t *io)
{
	const char *alpn = io->tls != NULL ? pl_tls_alpn(io->tls) : NULL;

	return alpn != NULL && strcmp(alpn, "h2") == 0 ? "h2" : "http/1.1";
}

/* The method is a token (RFC 9110 9.1); a body needs its type, and the
 * type goes in a header line (no control characters). */
static int check_request(pl_client_io_t *io, const pl_client_request_t *req)
{
	const char *m = req->method;

	if (m[0] == '\0' || strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(m))
		return pl_client_fail(io->err, sizeof io->err, PL_ERR_ARG,
			"the method must be upper-case letters (GET, POST...)");
	if (req->content_type == NULL && req->body_len > 0)
		return pl_client_fail(io->err, sizeof io->err, PL_ERR_ARG,
			"a request body needs a content type");
	if (req->content_type != NULL && (req->content_type[0] == '\0' ||
					  has_control(req->content_type)))
		return pl_client_fail(io->err, sizeof io->err, PL_ERR_ARG,
			"the content type is empty or contains a control "
			"character");
	if (req->content_type != NULL && strcmp(m, "HEAD") == 0)
		return pl_client_fail(io->err, sizeof io->err, PL_ERR_ARG,
			"a HEAD request carries no body");
	return PL_OK;
}

int pl_client_fetch(pl_client_io_t *io, const pl_client_url_t *url,
		    const pl_client_request_t *req, pl_client_response_t *resp)
{
	pl_client_request_t r = *req;
	int rc;

	if (r.method == NULL)
		r.method = "GET";
	rc = check_request(io, &r);
	if (rc != PL_OK)
		return rc;
	memset(resp, 0, sizeof *resp);
	if (strcmp(pl_client_protocol(io), "h2") == 0)
		return pl_client_h2_fetch(io, url, &r, resp);
	return fetch_http1(io, url, &r, resp);
}

int pl_client_get(pl_client_io_t *io, const pl_client_url_t *url,
		  pl_client_response_t *resp, pl_client_head_fn on_head,
		  pl_client_body_fn on_body, void *arg)
{
	pl_client_request_t req = { .method = "GET", .on_head = on_head,
				    .on_body = on_body, .arg = arg };

	return pl_client_fetch(io, url, &req, resp);
}

const char *pl_client_header(const pl_client_response_t *r, const char *name)
{
	for (size_t i = 0; i < r->header_count; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}
