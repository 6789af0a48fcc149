/*
 * The request parser's driver: the states of pl_http_parse(), the lines of
 * the request head and trailer section with their limits, and the request
 * line itself. Field lines are judged in fields.c, chunked bodies in
 * chunked.c.
 *
 * Lines are copied into a section buffer as they arrive and judged once
 * their LF is in: the buffer is bounded by the limits, so a client that
 * never ends a line costs at most max_request_line or max_header_bytes.
 */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"

/* What take_line() found. */
enum line_status {
	LINE_PARTIAL,   /* all input taken, no LF yet */
	LINE_COMPLETE,  /* the line and its LF are in the buffer */
	LINE_TOO_LONG,  /* room bytes buffered, none of them LF */
};

void pl_http_limits_default(pl_http_limits_t *limits)
{
	limits->max_request_line = PL_HTTP_DEFAULT_MAX_REQUEST_LINE;
	limits->max_header_bytes = PL_HTTP_DEFAULT_MAX_HEADER_BYTES;
	limits->max_header_count = PL_HTTP_DEFAULT_MAX_HEADER_COUNT;
	limits->max_body = PL_HTTP_DEFAULT_MAX_BODY;
}

static bool limit_valid(size_t v)
{
	return v > 0 && v <= PL_HTTP_LIMIT_MAX;
}

static void section_clear(pl_http_section_t *s)
{
	s->len = 0;
	s->line_start = 0;
	s->count = 0;
}

/* The head holds decrypted request bytes (cookies, credentials): wiped
 * like the engine's buffers, the whole capacity (earlier requests linger
 * past len). */
static void section_free(pl_http_section_t *s)
{
	if (s->buf)
		OPENSSL_cleanse(s->buf, s->cap);
	free(s->buf);
	free(s->spans);
	free(s->fields);
	memset(s, 0, sizeof *s);
}

/* Forgets the last request and waits for the next request line. */
static void start_request(struct pl_http_parser *p)
{
	section_clear(&p->head);
	section_clear(&p->trailers);
	p->state = PL_HTTP_ST_REQUEST_LINE;
	p->scanned = 0;
	p->method_ended = false;
	p->empty_lines = 0;
	p->have_request_line = false;
	p->method = (pl_http_span_t){0, 0};
	p->target = (pl_http_span_t){0, 0};
	p->field_bytes = 0;
	p->field_count = 0;
	memset(&p->info, 0, sizeof p->info);
	p->remaining = 0;
	p->chunk_state = PL_HTTP_CK_SIZE_FIRST;
	p->chunk_line_len = 0;
	p->chunk_ext_total = 0;
	p->chunk_size = 0;
	memset(&p->req, 0, sizeof p->req);
	p->published = false;
}

pl_http_parser_t *pl_http_parser_new(const pl_http_limits_t *limits)
{
	pl_http_limits_t defaults;
	struct pl_http_parser *p;

	if (limits == NULL) {
		pl_http_limits_default(&defaults);
		limits = &defaults;
	}
	if (!limit_valid(limits->max_request_line) ||
	    !limit_valid(limits->max_header_bytes) ||
	    !limit_valid(limits->max_header_count))
		return NULL;
	p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	p->limits = *limits;
	start_request(p);
	return p;
}

pl_http_parser_t *pl_http_parser_new_response(const pl_http_limits_t *limits)
{
	pl_http_limits_t l;
	if (limits == NULL)
		pl_http_limits_default(&l);
	else
		l = *limits;
	l.max_body = UINT64_MAX;
	struct pl_http_parser *p = pl_http_parser_new(&l);
	if (p)
		p->response = true;
	return p;
}

void pl_http_parser_no_body(pl_http_parser_t *p, bool none)
{
	p->no_body = none;
}

int pl_http_parser_finish(pl_http_parser_t *p)
{
	if (p->state == PL_HTTP_ST_BODY_CLOSE) {
		p->state = PL_HTTP_ST_DONE_PENDING;
		return PL_OK;
	}
	if (p->state == PL_HTTP_ST_DONE_PENDING)
		return PL_OK;
	return pl_http_fail(p, 400, "the connection closed inside a message");
}

void pl_http_parser_free(pl_http_parser_t *p)
{
	if (p == NULL)
		return;
	section_free(&p->head);
	section_free(&p->trailers);
	free(p);
}

void pl_http_parser_shrink(pl_http_parser_t *p)
{
	if (p->state == PL_HTTP_ST_DONE)
		start_request(p);
	if (p->state != PL_HTTP_ST_REQUEST_LINE || p->head.len != 0)
		return;
	section_free(&p->head);
	section_free(&p->trailers);
}

/* ---- publishing ------------------------------------------------------------
 * Slices are kept as offsets while a section grows (its buffer may move)
 * and turned into pointers once it is complete. */

static pl_http_str_t span_str(const pl_http_section_t *s, pl_http_span_t span)
{
	pl_http_str_t str = {(const char *)s->buf + span.off, span.len};
	return str;
}

static int publish_fields(pl_http_section_t *s)
{
	if (s->count > s->fields_cap) {
		pl_http_field_t *f = realloc(s->fields, s->count * sizeof *f);
		if (f == NULL)
			return PL_ERR_NOMEM;
		s->fields = f;
		s->fields_cap = s->count;
	}
	for (size_t i = 0; i < s->count; i++) {
		s->fields[i].name = span_str(s, s->spans[i].name);
		s->fields[i].value = span_str(s, s->spans[i].value);
	}
	return PL_OK;
}

static int publish_head(struct pl_http_parser *p)
{
	static const char empty[] = "";
	pl_http_request_t *req = &p->req;

	if (publish_fields(&p->head) != PL_OK)
		return PL_ERR_NOMEM;
	req->method = span_str(&p->head, p->method);
	req->target = span_str(&p->head, p->target);
	if (p->response)
		req->reason = span_str(&p->head, p->reason_span);
	req->fields = p->head.count ? p->head.fields : NULL;
	req->field_count = p->head.count;
	if (p->info.host_count > 0)
		req->host = span_str(&p->head, p->info.host);
	else
		req->host = (pl_http_str_t){empty, 0};
	p->published = true;
	return PL_OK;
}

static int publish_trailers(struct pl_http_parser *p)
{
	if (publish_fields(&p->trailers) != PL_OK)
		return pl_http_fail(p, 500, "out of memory");
	p->req.trailers = p->trailers.count ? p->trailers.fields : NULL;
	p->req.trailer_count = p->trailers.count;
	return PL_OK;
}

int pl_http_fail(struct pl_http_parser *p, int status, const char *reason)
{
	if (p->state == PL_HTTP_ST_FAILED)
		return p->error;
	p->state = PL_HTTP_ST_FAILED;
	/* An upstream's malformed answer is a bad gateway, whatever rule it
	 * broke. */
	p->status = p->response && status != 500 ? 502 : status;
	p->reason = reason;
	p->error = status == 500 ? PL_ERR_NOMEM : PL_ERR_DECODE;
	p->req.keep_alive = false;
	/* What was parsed stays readable for the access log; without memory
	 * for that, there is no request to show. */
	if (!p->published && p->have_request_line)
		(void)publish_head(p);
	return p->error;
}

/* ---- lines ------------------------------------------------------------------ */

static int section_reserve(pl_http_section_t *s, size_t n)
{
	size_t cap = s->cap ? s->cap : 256;
	uint8_t *buf;

	if (s->cap - s->len >= n)
		return PL_OK;
	/* n is bounded by a limit (at most PL_HTTP_LIMIT_MAX + 2 bytes in a
	 * section), so doubling cannot overflow. */
	while (cap - s->len < n)
		cap *= 2;
	/* Not realloc(): the old block is wiped before it is given back. */
	buf = malloc(cap);
	if (buf == NULL)
		return PL_ERR_NOMEM;
	if (s->buf) {
		memcpy(buf, s->buf, s->len);
		OPENSSL_cleanse(s->buf, s->cap);
		free(s->buf);
	}
	s->buf = buf;
	s->cap = cap;
	return PL_OK;
}

/* Copies input, up to and including the next LF, into the section as part
 * of the current line, which may hold at most room bytes in all. */
static int take_line(struct pl_http_parser *p, pl_http_section_t *s,
		     const uint8_t *in, size_t len, size_t *used, size_t room,
		     enum line_status *status)
{
	size_t have = s->len - s->line_start;
	size_t avail = len - *used;
	size_t max = room - have;
	size_t scan = avail < max ? avail : max;
	const uint8_t *src = in + *used;
	const uint8_t *lf = scan ? memchr(src, '\n', scan) : NULL;
	size_t n = lf ? (size_t)(lf - src) + 1 : scan;

	if (n > 0) {
		if (section_reserve(s, n) != PL_OK)
			return pl_http_fail(p, 500, "out of memory");
		memcpy(s->buf + s->len, src, n);
		s->len += n;
		*used += n;
	}
	if (lf)
		*status = LINE_COMPLETE;
	else if (have + n >= room)
		*status = LINE_TOO_LONG;
	else
		*status = LINE_PARTIAL;
	return PL_OK;
}

/* The current (complete) line without its CRLF, after checking that it
 * ends in CRLF and holds no other CR. */
static int end_line(struct pl_http_parser *p, pl_http_section_t *s,
		    uint8_t **line, size_t *line_len)
{
	uint8_t *start = s->buf + s->line_start;
	size_t n = s->len - s->line_start; /* LF included */

	/* RFC 9112 2.2 lets a recipient accept a bare LF as a line end. We do
	 * not: a front end that splits lines differently from us is how a
	 * second request gets smuggled inside the first. */
	if (n < 2 || start[n - 2] != '\r')
		return pl_http_fail(p, 400,
				    "a line ends with a bare LF instead of CRLF");
	/* RFC 9112 2.2: a bare CR makes the element invalid. */
	if (memchr(start, '\r', n - 2) != NULL)
		return pl_http_fail(p, 400,
				    "a line holds a CR that is not followed by LF");
	*line = start;
	*line_len = n - 2;
	return PL_OK;
}

/* ---- the request line (RFC 9112 3) ---------------------------------------- */

/* Answers at once when the first bytes cannot begin a method (a TLS
 * ClientHello sent to the plain-HTTP port, say) instead of waiting for a
 * line end that may never come. */
static int check_method_early(struct pl_http_parser *p)
{
	const uint8_t *line = p->head.buf + p->head.line_start;
	size_t n = p->head.len - p->head.line_start;

	for (; !p->method_ended && p->scanned < n; p->scanned++) {
		uint8_t c = line[p->scanned];
		if (c == ' ' || c == '\r' || c == '\n')
			p->method_ended = true;
		else if (!pl_http_is_tchar(c))
			return pl_http_fail(p, 400, "the method is not a token");
	}
	return PL_OK;
}

static int parse_version(struct pl_http_parser *p, const uint8_t *v, size_t n)
{
	/* HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive (2.3) */
	if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || !pl_http_is_digit(v[5]) ||
	    v[6] != '.' || !pl_http_is_digit(v[7]))
		return pl_http_fail(p, 400,
				    "the request line does not end in HTTP/x.y");
	if (v[5] != '1')
		return pl_http_fail(p, 505,
				    "only HTTP/1.0 and HTTP/1.1 are supported");
	/* RFC 9110 6.2: a higher minor version is read as the highest we
	 * conform to. */
	p->req.version = v[7] == '0' ? PL_HTTP_10 : PL_HTTP_11;
	return PL_OK;
}

/* request-line = method SP request-target SP HTTP-version, each separated
 * by exactly one SP: the lenient whitespace parsing RFC 9112 3 allows is a
 * smuggling risk it names itself. */
static int parse_request_line(struct pl_http_parser *p, uint8_t *line,
			      size_t len)
{
	static const char *const malformed =
		"the request line is not: method SP request-target SP HTTP-version";
	uint32_t base = (uint32_t)(line - p->head.buf);
	const char *why;
	size_t i = 0, t;
	int form;

	while (i < len && pl_http_is_tchar(line[i]))
		i++;
	if (i == 0 || i == len || line[i] != ' ')
		return pl_http_fail(p, 400, malformed);
	line[i] = '\0';
	p->method = (pl_http_span_t){base, (uint32_t)i};
	t = ++i;
	while (i < len && line[i] != ' ')
		i++;
	if (i == t || i == len)
		return pl_http_fail(p, 400, malformed);
	form = pl_http_target_check((const char *)line, p->method.len,
				    line + t, i - t, &why);
	if (form < 0)
		return pl_http_fail(p, 400, why);
	line[i] = '\0';
	p->target = (pl_http_span_t){base + (uint32_t)t, (uint32_t)(i - t)};
	p->req.target_form = (pl_http_target_form_t)form;
	p->have_request_line = true;
	i++;
	if (parse_version(p, line + i, len - i) != PL_OK)
		return p->error;
	line[len] = '\0'; /* the CR */
	return PL_OK;
}

/* status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC
 * 9112 4); a missing SP before an empty reason is tolerated, as the RFC
 * asks of clients. */
static int parse_status_line(struct pl_http_parser *p, uint8_t *line,
			     size_t len)
{
	static const char *const malformed =
		"the status line is not: HTTP-version SP status-code SP reason";
	uint32_t base = (uint32_t)(line - p->head.buf);
	if (len < 12 || line[8] != ' ' ||
	    parse_version(p, line, 8) != PL_OK)
		return pl_http_fail(p, 400, malformed);
	for (size_t i = 9; i < 12; i++)
		if (!pl_http_is_digit(line[i]))
			return pl_http_fail(p, 400, malformed);
	/* RFC 9110 15: 100 to 599 */
	if (line[9] < '1' || line[9] > '5' || (len > 12 && line[12] != ' '))
		return pl_http_fail(p, 400, malformed);
	p->req.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 +
			(line[11] - '0');
	size_t r = len > 12 ? 13 : 12;
	for (size_t i = r; i < len; i++)
		if (!pl_http_is_field_content(line[i]))
			return pl_http_fail(p, 400, "the reason phrase holds a "
					    "control character");
	p->reason_span = (pl_http_span_t){base + (uint32_t)r,
					  (uint32_t)(len - r)};
	p->method = (pl_http_span_t){base + (uint32_t)len, 0};
	p->target = p->method;
	p->have_request_line = true;
	line[len] = '\0';
	return PL_OK;
}

static int read_request_line(struct pl_http_parser *p, const uint8_t *in,
			     size_t len, size_t *used)
{
	size_t room = p->limits.max_request_line + 2;
	enum line_status status = LINE_PARTIAL;
	uint8_t *line = NULL;
	size_t n = 0;

	if (take_line(p, &p->head, in, len, used, room, &status) != PL_OK ||
	    (!p->response && check_method_early(p) != PL_OK))
		return p->error;
	if (status == LINE_PARTIAL)
		return PL_OK;
	if (status == LINE_TOO_LONG)
		return pl_http_fail(p, 414,
				    "the request line is longer than the limit");
	if (end_line(p, &p->head, &line, &n) != PL_OK)
		return p->error;
	if (n == 0) {
		/* RFC 9112 2.2: ignore empty lines before a request line, a
		 * few of them. */
		if (++p->empty_lines > PL_HTTP_EMPTY_LINES_MAX)
			return pl_http_fail(p, 400,
					    "too many empty lines before the request line");
		p->head.len = p->head.line_start;
		p->scanned = 0;
		p->method_ended = false;
		return PL_OK;
	}
	if ((p->response ? parse_status_line(p, line, n)
			 : parse_request_line(p, line, n)) != PL_OK)
		return p->error;
	p->head.line_start = p->head.len;
	p->state = PL_HTTP_ST_FIELDS;
	return PL_OK;
}

/* ---- field sections (RFC 9112 5, 7.1.2) ---------------------------------- */

/* Reads field lines into s until the empty line. *complete says whether it
 * was reached. */
static int read_fields(struct pl_http_parser *p, pl_http_section_t *s,
		       bool trailer, const uint8_t *in, size_t len,
		       size_t *used, bool *complete)
{
	*complete = false;
	while (*used < len) {
		size_t left = p->limits.max_header_bytes - p->field_bytes;
		/* The empty line that ends the section always fits. */
		size_t room = left > 2 ? left : 2;
		enum line_status status = LINE_PARTIAL;
		uint8_t *line = NULL;
		size_t n = 0;

		if (take_line(p, s, in, len, used, room, &status) != PL_OK)
			return p->error;
		if (status == LINE_PARTIAL)
			return PL_OK;
		if (status == LINE_TOO_LONG)
			return pl_http_fail(p, 431,
					    "the header fields are larger than the limit");
		if (end_line(p, s, &line, &n) != PL_OK)
			return p->error;
		if (n == 0) {
			*complete = true;
			return PL_OK;
		}
		/* n + 2 <= left here: when left < 2, room only fits "\r\n" */
		if (p->field_count == p->limits.max_header_count)
			return pl_http_fail(p, 431,
					    "there are more header fields than the limit");
		p->field_count++;
		p->field_bytes += n + 2;
		if (pl_http_field_line(p, s, line, n, trailer) != PL_OK)
			return p->error;
		s->line_start = s->len;
	}
	return PL_OK;
}

static int read_header_section(struct pl_http_parser *p, const uint8_t *in,
			       size_t len, size_t *used, pl_http_step_t *step)
{
	bool complete;

	if (read_fields(p, &p->head, false, in, len, used, &complete) != PL_OK)
		return p->error;
	if (!complete)
		return PL_OK;
	if (pl_http_head_semantics(p) != PL_OK)
		return p->error;
	if (publish_head(p) != PL_OK)
		return pl_http_fail(p, 500, "out of memory");
	switch (p->req.framing) {
	case PL_HTTP_BODY_CHUNKED:
		p->state = PL_HTTP_ST_CHUNK_LINE;
		break;
	case PL_HTTP_BODY_LENGTH:
		p->remaining = p->req.content_length;
		p->state = p->remaining ? PL_HTTP_ST_BODY_LENGTH
					: PL_HTTP_ST_DONE_PENDING;
		break;
	case PL_HTTP_BODY_CLOSE:
		p->state = PL_HTTP_ST_BODY_CLOSE;
		break;
	default:
		p->state = PL_HTTP_ST_DONE_PENDING;
		break;
	}
	step->event = PL_HTTP_HEAD;
	return PL_OK;
}

static int read_trailer_section(struct pl_http_parser *p, const uint8_t *in,
				size_t len, size_t *used)
{
	bool complete;

	if (read_fields(p, &p->trailers, true, in, len, used, &complete) !=
	    PL_OK)
		return p->error;
	if (!complete)
		return PL_OK;
	if (publish_trailers(p) != PL_OK)
		return p->error;
	p->state = PL_HTTP_ST_DONE_PENDING;
	return PL_OK;
}

/* ---- the body by Content-Length (RFC 9112 6.2) ------------------------------ */

static int read_length_body(struct pl_http_parser *p, const uint8_t *in,
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
		p->state = PL_HTTP_ST_DONE_PENDING;
	return PL_OK;
}

/* ---- a response body up to the close (RFC 9112 6.3 (8)) ---------------- */

static int read_close_body(struct pl_http_parser *p, const uint8_t *in,
			   size_t len, size_t *used, pl_http_step_t *step)
{
	step->event = PL_HTTP_BODY;
	step->body = in + *used;
	step->body_len = len - *used;
	p->req.body_received += len - *used;
	*used = len;
	return PL_OK;
}

/* ---- the driver --------------------------------------------------------------- */

static int step_once(struct pl_http_parser *p, const uint8_t *in, size_t len,
		     size_t *used, pl_http_step_t *step)
{
	switch (p->state) {
	case PL_HTTP_ST_REQUEST_LINE:
		return read_request_line(p, in, len, used);
	case PL_HTTP_ST_FIELDS:
		return read_header_section(p, in, len, used, step);
	case PL_HTTP_ST_BODY_LENGTH:
		return read_length_body(p, in, len, used, step);
	case PL_HTTP_ST_CHUNK_LINE:
	case PL_HTTP_ST_CHUNK_DATA:
	case PL_HTTP_ST_CHUNK_CR:
	case PL_HTTP_ST_CHUNK_LF:
		return pl_http_chunked(p, in, len, used, step);
	case PL_HTTP_ST_TRAILERS:
		return read_trailer_section(p, in, len, used);
	case PL_HTTP_ST_BODY_CLOSE:
		return read_close_body(p, in, len, used, step);
	default:
		/* The other states never reach here (pl_http_parse). */
		return pl_http_fail(p, 500, "the parser is in an impossible state");
	}
}

int pl_http_parse(pl_http_parser_t *p, const uint8_t *in, size_t len,
		  pl_http_step_t *step)
{
	size_t used = 0;
	int ret = PL_OK;

	if (p == NULL || step == NULL || (in == NULL && len > 0))
		return PL_ERR_ARG;
	memset(step, 0, sizeof *step);
	if (p->state == PL_HTTP_ST_FAILED)
		return p->error;
	if (p->state == PL_HTTP_ST_CLOSED)
		return PL_ERR_STATE;
	if (p->state == PL_HTTP_ST_DONE)
		start_request(p);
	while (ret == PL_OK && step->event == PL_HTTP_NEED_MORE) {
		if (p->state == PL_HTTP_ST_DONE_PENDING) {
			p->state = p->req.keep_alive ? PL_HTTP_ST_DONE
						     : PL_HTTP_ST_CLOSED;
			step->event = PL_HTTP_DONE;
			break;
		}
		if (used == len)
			break;
		ret = step_once(p, in, len, &used, step);
	}
	step->consumed = used;
	return ret;
}

const pl_http_request_t *pl_http_parser_request(const pl_http_parser_t *p)
{
	return p->published ? &p->req : NULL;
}

int pl_http_parser_status(const pl_http_parser_t *p)
{
	return p->state == PL_HTTP_ST_FAILED ? p->status : 0;
}

const char *pl_http_parser_reason(const pl_http_parser_t *p)
{
	return p->state == PL_HTTP_ST_FAILED ? p->reason : NULL;
}

bool pl_http_parser_must_close(const pl_http_parser_t *p)
{
	return p->state == PL_HTTP_ST_FAILED || p->state == PL_HTTP_ST_CLOSED;
}
