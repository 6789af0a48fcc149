/*
 * The response writer: status line and header section (RFC 9112 4 and 5),
 * chunk framing (RFC 9112 7.1), IMF-fixdate (RFC 9110 5.6.7) and reason
 * phrases (RFC 9110 15).
 *
 * Everything the caller passes is checked before a byte is written, so no
 * value can end a line and start another (response splitting, RFC 9112
 * 11.1), and a refused head leaves the buffer as it was.
 */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"

/* ---- the buffer ------------------------------------------------------------- */


void pl_http_buf_reset(pl_http_buf_t *b)
{
	b->len = 0;
}

/* What a buffer held (a proxied request or response, a page with the
 * visitor's details) is wiped before its memory is given back, like the
 * engine's pl_buf_t. */
void pl_http_buf_free(pl_http_buf_t *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* ---- appending with one sticky error (http_int.h) ------------------------- */

pl_http_out_t pl_http_out_begin(pl_http_buf_t *b)
{
	pl_http_out_t o = {b, b->len, PL_OK};
	return o;
}

static int buf_reserve(pl_http_buf_t *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 512;
	uint8_t *data;

	if (b->cap - b->len >= n)
		return PL_OK;
	if (n > SIZE_MAX / 2 - b->len)
		return PL_ERR_NOMEM;
	while (cap - b->len < n)
		cap *= 2;
	data = malloc(cap);
	if (data == NULL)
		return PL_ERR_NOMEM;
	if (b->data) {
		memcpy(data, b->data, b->len);
		OPENSSL_cleanse(b->data, b->cap);
		free(b->data);
	}
	b->data = data;
	b->cap = cap;
	return PL_OK;
}

void pl_http_out_put(pl_http_out_t *o, const void *p, size_t n)
{
	if (o->err != PL_OK || n == 0)
		return;
	if (buf_reserve(o->b, n) != PL_OK) {
		o->err = PL_ERR_NOMEM;
		return;
	}
	memcpy(o->b->data + o->b->len, p, n);
	o->b->len += n;
}

void pl_http_out_str(pl_http_out_t *o, const char *s)
{
	pl_http_out_put(o, s, strlen(s));
}

void pl_http_out_dec(pl_http_out_t *o, uint64_t v)
{
	char digits[20];
	size_t n = 0;

	do {
		digits[sizeof digits - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	pl_http_out_put(o, digits + sizeof digits - n, n);
}

int pl_http_out_end(pl_http_out_t *o)
{
	if (o->err != PL_OK)
		o->b->len = o->start;
	return o->err;
}

static void put_hex(pl_http_out_t *o, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	char digits[16];
	size_t n = 0;

	do {
		digits[sizeof digits - ++n] = hex[v & 15];
		v >>= 4;
	} while (v > 0);
	pl_http_out_put(o, digits + sizeof digits - n, n);
}

static void put_field(pl_http_out_t *o, const char *name, const char *value,
		      size_t value_len)
{
	pl_http_out_str(o, name);
	pl_http_out_put(o, ": ", 2);
	pl_http_out_put(o, value, value_len);
	pl_http_out_put(o, "\r\n", 2);
}


/* ---- reason phrases and dates ------------------------------------------------ */

const char *pl_http_reason_phrase(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 421: return "Misdirected Request";
	case 422: return "Unprocessable Content";
	case 426: return "Upgrade Required";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "";
	}
}

static void put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

static int format_date(time_t t, char out[PL_HTTP_DATE_LEN + 1]);

/* Every response carries the current second as its Date, and a file its
 * Last-Modified: the last few are kept, per thread, by second. */
#define DATE_MEMO 4

int pl_http_format_date(time_t t, char out[PL_HTTP_DATE_LEN + 1])
{
	static _Thread_local struct {
		time_t t;
		bool set;
		char text[PL_HTTP_DATE_LEN + 1];
	} memo[DATE_MEMO];
	size_t i = (size_t)t % DATE_MEMO;
	int ret;

	if (memo[i].set && memo[i].t == t) {
		memcpy(out, memo[i].text, PL_HTTP_DATE_LEN + 1);
		return PL_OK;
	}
	ret = format_date(t, out);
	if (ret == PL_OK) {
		memo[i].t = t;
		memo[i].set = true;
		memcpy(memo[i].text, out, PL_HTTP_DATE_LEN + 1);
	}
	return ret;
}

static int format_date(time_t t, char out[PL_HTTP_DATE_LEN + 1])
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu",
					"Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr",
					   "May", "Jun", "Jul", "Aug",
					   "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	int year;

	/* gmtime_r, not strftime: the names must not follow the locale */
	if (gmtime_r(&t, &tm) == NULL)
		return PL_ERR_ARG;
	if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return PL_ERR_ARG;
	year = tm.tm_year + 1900;
	/* "Sun, 06 Nov 1994 08:49:37 GMT" */
	memcpy(out, days[tm.tm_wday], 3);
	memcpy(out + 3, ", ", 2);
	put2(out + 5, tm.tm_mday);
	out[7] = ' ';
	memcpy(out + 8, months[tm.tm_mon], 3);
	out[11] = ' ';
	put2(out + 12, year / 100);
	put2(out + 14, year % 100);
	out[16] = ' ';
	put2(out + 17, tm.tm_hour);
	out[19] = ':';
	put2(out + 20, tm.tm_min);
	out[22] = ':';
	put2(out + 23, tm.tm_sec);
	memcpy(out + 25, " GMT", 5); /* with the NUL */
	return PL_OK;
}

/* ---- checks -------------------------------------------------------------------- */

static bool token_valid(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (!pl_http_is_tchar((uint8_t)s[i]))
			return false;
	}
	return len > 0;
}

/* A field value as RFC 9110 5.5 has it: field-vchar, SP and HTAB inside,
 * nothing around. */
static bool value_valid(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)s[i];
		if (!pl_http_is_field_vchar(c) && !pl_http_is_ws(c))
			return false;
	}
	return len == 0 || (!pl_http_is_ws((uint8_t)s[0]) &&
			    !pl_http_is_ws((uint8_t)s[len - 1]));
}

/* reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ) (RFC 9112 4) */
static bool reason_valid(const char *s)
{
	for (; *s; s++) {
		if (!pl_http_is_field_vchar((uint8_t)*s) && !pl_http_is_ws((uint8_t)*s))
			return false;
	}
	return true;
}

/* Fields the writer owns: a second copy from the caller could contradict
 * the framing the writer set. */
static bool field_reserved(const pl_http_str_t *name)
{
	/* by length first: every response's fields pass here */
	switch (name->len) {
	case 4: return pl_http_str_ieq(name->ptr, name->len, "date");
	case 6: return pl_http_str_ieq(name->ptr, name->len, "server");
	case 10: return pl_http_str_ieq(name->ptr, name->len, "connection");
	case 14: return pl_http_str_ieq(name->ptr, name->len, "content-length");
	case 17:
		return pl_http_str_ieq(name->ptr, name->len, "transfer-encoding");
	default: return false;
	}
}

static bool fields_valid(const pl_http_field_t *fields, size_t count)
{
	if (count > 0 && fields == NULL)
		return false;
	for (size_t i = 0; i < count; i++) {
		const pl_http_field_t *f = &fields[i];
		if (f->name.ptr == NULL || (f->value.ptr == NULL && f->value.len) ||
		    !token_valid(f->name.ptr, f->name.len) ||
		    !value_valid(f->value.ptr, f->value.len) || field_reserved(&f->name))
			return false;
	}
	return true;
}

static bool framing_valid(const pl_http_response_t *r)
{
	/* RFC 9110 8.6 and RFC 9112 6.1: no Content-Length or
	 * Transfer-Encoding in 1xx and 204 */
	bool bodyless = r->status < 200 || r->status == 204;

	switch (r->framing) {
	case PL_HTTP_BODY_NONE:
		return bodyless || r->status == 304;
	case PL_HTTP_BODY_LENGTH:
		return !bodyless;
	case PL_HTTP_BODY_CHUNKED:
		/* RFC 9112 6.1: never to a 1.0 client */
		return !bodyless && r->version == PL_HTTP_11;
	case PL_HTTP_BODY_CLOSE:
		/* the close is the body's end: only on a closing connection */
		return !bodyless && r->status != 304 && !r->keep_alive;
	default:
		return false;
	}
}

static int check_response(const pl_http_response_t *r, char *date)
{
	if (r->status < 100 || r->status > 599)
		return PL_ERR_ARG;
	if (r->version != PL_HTTP_10 && r->version != PL_HTTP_11)
		return PL_ERR_ARG;
	if (r->reason != NULL && !reason_valid(r->reason))
		return PL_ERR_ARG;
	if (!framing_valid(r))
		return PL_ERR_ARG;
	if (r->server != NULL && !value_valid(r->server, strlen(r->server)))
		return PL_ERR_ARG;
	if (!fields_valid(r->fields, r->field_count))
		return PL_ERR_ARG;
	if (r->date != (time_t)-1 && pl_http_format_date(r->date, date) != PL_OK)
		return PL_ERR_ARG;
	return PL_OK;
}

int pl_http_head_valid(const pl_http_response_t *resp)
{
	char date[PL_HTTP_DATE_LEN + 1];
	return resp == NULL ? PL_ERR_ARG : check_response(resp, date);
}

/* ---- heads ------------------------------------------------------------------------ */

static void put_status_line(pl_http_out_t *o, int status, const char *reason)
{
	char code[3];

	code[0] = (char)('0' + status / 100);
	code[1] = (char)('0' + status / 10 % 10);
	code[2] = (char)('0' + status % 10);
	pl_http_out_str(o, "HTTP/1.1 ");
	pl_http_out_put(o, code, 3);
	pl_http_out_put(o, " ", 1);
	pl_http_out_str(o, reason ? reason : pl_http_reason_phrase(status));
	pl_http_out_put(o, "\r\n", 2);
}

static void put_head(pl_http_out_t *o, const pl_http_response_t *r, const char *date)
{
	put_status_line(o, r->status, r->reason);
	if (r->status >= 200) {
		if (r->date != (time_t)-1)
			put_field(o, "Date", date, PL_HTTP_DATE_LEN);
		if (r->server != NULL)
			put_field(o, "Server", r->server, strlen(r->server));
		if (r->framing == PL_HTTP_BODY_LENGTH) {
			pl_http_out_str(o, "Content-Length: ");
			pl_http_out_dec(o, r->content_length);
			pl_http_out_put(o, "\r\n", 2);
		} else if (r->framing == PL_HTTP_BODY_CHUNKED) {
			pl_http_out_str(o, "Transfer-Encoding: chunked\r\n");
		}
		/* RFC 9112 9.3: 1.1 persists unless "close"; 1.0 persists
		 * only when both sides say "keep-alive" */
		if (!r->keep_alive)
			pl_http_out_str(o, "Connection: close\r\n");
		else if (r->version == PL_HTTP_10)
			pl_http_out_str(o, "Connection: keep-alive\r\n");
	}
	for (size_t i = 0; i < r->field_count; i++) {
		const pl_http_field_t *f = &r->fields[i];
		pl_http_out_put(o, f->name.ptr, f->name.len);
		pl_http_out_put(o, ": ", 2);
		pl_http_out_put(o, f->value.ptr, f->value.len);
		pl_http_out_put(o, "\r\n", 2);
	}
	pl_http_out_put(o, "\r\n", 2);
}

int pl_http_write_head(pl_http_buf_t *out, const pl_http_response_t *resp)
{
	char date[PL_HTTP_DATE_LEN + 1];
	pl_http_out_t o;

	if (out == NULL || resp == NULL || check_response(resp, date) != PL_OK)
		return PL_ERR_ARG;
	o = pl_http_out_begin(out);
	put_head(&o, resp, date);
	return pl_http_out_end(&o);
}

int pl_http_write_chunk(pl_http_buf_t *out, const void *data, size_t len)
{
	pl_http_out_t o;

	if (out == NULL || (data == NULL && len > 0))
		return PL_ERR_ARG;
	o = pl_http_out_begin(out);
	put_hex(&o, len);
	pl_http_out_put(&o, "\r\n", 2);
	/* chunk-data CRLF, or for the last chunk the empty trailer section's
	 * CRLF */
	pl_http_out_put(&o, data, len);
	pl_http_out_put(&o, "\r\n", 2);
	return pl_http_out_end(&o);
}

/* Puts text with every control byte replaced by a space. */
static void put_text(pl_http_out_t *o, const char *s)
{
	for (; *s; s++) {
		char c = (uint8_t)*s < 0x20 || *s == 0x7f ? ' ' : *s;
		pl_http_out_put(o, &c, 1);
	}
}

int pl_http_write_error(pl_http_buf_t *out, int status, const char *detail,
			time_t date, const char *server)
{
	static const pl_http_field_t fields[] = {
		{{"Content-Type", 12}, {"text/plain; charset=utf-8", 25}},
		{{"X-Content-Type-Options", 22}, {"nosniff", 7}},
	};
	const char *phrase = pl_http_reason_phrase(status);
	pl_http_response_t resp = {0};
	char dbuf[PL_HTTP_DATE_LEN + 1];
	pl_http_out_t o;

	/* a final status that has a body */
	if (out == NULL || status < 200 || status > 599 || status == 204 ||
	    status == 304)
		return PL_ERR_ARG;
	resp.status = status;
	resp.version = PL_HTTP_11;
	resp.keep_alive = false;
	resp.date = date;
	resp.server = server;
	resp.framing = PL_HTTP_BODY_LENGTH;
	/* "404 Not Found: detail\n" */
	resp.content_length = 3 + (*phrase ? 1 + strlen(phrase) : 0) +
			      (detail ? 2 + strlen(detail) : 0) + 1;
	resp.fields = fields;
	resp.field_count = sizeof fields / sizeof fields[0];
	if (check_response(&resp, dbuf) != PL_OK)
		return PL_ERR_ARG;
	o = pl_http_out_begin(out);
	put_head(&o, &resp, dbuf);
	pl_http_out_dec(&o, (uint64_t)status);
	if (*phrase) {
		pl_http_out_put(&o, " ", 1);
		pl_http_out_str(&o, phrase);
	}
	if (detail) {
		pl_http_out_put(&o, ": ", 2);
		put_text(&o, detail);
	}
	pl_http_out_put(&o, "\n", 1);
	return pl_http_out_end(&o);
}
