/*
 * Replies: what pl_http_serve() and pl_http_redirect() hand the server,
 * and the answer they build on the way (head fields, HSTS, error bodies).
 * A reply says what to answer, not how: HTTP/1 writes its head with
 * pl_http_reply_head().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/serve_int.h"

/* The reply's file: its own is closed, a cached one let go. */
static void reply_file_close(pl_http_reply_t *r)
{
	if (r->file_ref != NULL)
		pl_http_open_file_release(r->file_ref);
	else if (r->file_fd >= 0)
		close(r->file_fd);
	r->file_ref = NULL;
	r->file_fd = -1;
}

void pl_http_reply_init(pl_http_reply_t *r)
{
	memset(r, 0, sizeof *r);
	r->file_fd = -1;
}

void pl_http_reply_free(pl_http_reply_t *r)
{
	pl_http_buf_free(&r->text);
	pl_http_buf_free(&r->body);
	reply_file_close(r);
	pl_http_reply_init(r);
}

long pl_http_reply_read_file(pl_http_reply_t *r, void *buf, size_t cap)
{
	size_t want = r->file_len < cap ? (size_t)r->file_len : cap;
	const pl_http_open_file_t *file = r->file_ref;
	ssize_t got;

	if (r->file_fd < 0 || want == 0)
		return 0;
	if (file != NULL && file->data != NULL &&
	    r->file_offset + want <= (uint64_t)file->st.st_size) {
		memcpy(buf, file->data + r->file_offset, want);
		got = (ssize_t)want;
	} else {
		got = pread(r->file_fd, buf, want, (off_t)r->file_offset);
		if (got < 0)
			return -errno;
	}
	r->file_offset += (uint64_t)got;
	r->file_len -= (uint64_t)got;
	return (long)got;
}

/* ---- the answer --------------------------------------------------------- */

bool pl_http_method_is(const pl_http_request_t *req, const char *method)
{
	size_t n = strlen(method);

	return req->method.len == n && memcmp(req->method.ptr, method, n) == 0;
}

/* "max-age=N" into out (PL_HTTP_HSTS_MAX bytes): for every response, so
 * without printf. */
static void put_max_age(char *out, unsigned long n)
{
	char digits[20];
	size_t len = 0;

	do {
		digits[len++] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	memcpy(out, "max-age=", 8);
	out += 8;
	while (len > 0)
		*out++ = digits[--len];
	*out = '\0';
}

void pl_http_answer_start(pl_http_answer_t *a, const pl_http_request_t *req,
			  time_t now, const char *server, long hsts_max_age,
			  bool keep_alive, pl_http_reply_t *reply)
{
	memset(a, 0, sizeof *a);
	a->req = req;
	a->now = now;
	a->server = server;
	a->head = req != NULL && pl_http_method_is(req, "HEAD");
	a->keep_alive = keep_alive;
	a->reply = reply;
	/* RFC 6797 6.1.1: max-age is delta-seconds; includeSubDomains is
	 * left out: it would bind names this server does not answer for */
	if (hsts_max_age >= 0)
		put_max_age(a->hsts, (unsigned long)hsts_max_age);

	pl_http_buf_reset(&reply->text);
	pl_http_buf_reset(&reply->body);
	reply->field_count = 0;
	reply_file_close(reply);
	reply->file_offset = 0;
	reply->file_len = 0;
	reply->status = 0;
	reply->body_bytes = 0;
	reply->close = !keep_alive;
	reply->why = NULL;
}

void pl_http_answer_field(pl_http_answer_t *a, const char *name,
			  const char *value)
{
	pl_http_field_t *f;

	/* one past the end marks the overflow, which send refuses */
	if (a->field_count > PL_HTTP_ANSWER_MAX_FIELDS - 1) {
		a->field_count = PL_HTTP_ANSWER_MAX_FIELDS + 1;
		return;
	}
	f = &a->fields[a->field_count++];
	f->name = (pl_http_str_t){name, strlen(name)};
	f->value = (pl_http_str_t){value, strlen(value)};
}

/* Copies the answer's fields into the reply, which owns them from now. */
static int keep_fields(pl_http_answer_t *a)
{
	pl_http_reply_t *r = a->reply;
	pl_http_out_t o = pl_http_out_begin(&r->text);
	for (size_t i = 0; i < a->field_count; i++) {
		const pl_http_field_t *f = &a->fields[i];
		if (f->name.len > UINT32_MAX / 4 || f->value.len > UINT32_MAX / 4 ||
		    r->text.len > UINT32_MAX / 4)
			return PL_ERR_ARG;
		r->field_at[i].name = (uint32_t)r->text.len;
		r->field_at[i].name_len = (uint32_t)f->name.len;
		pl_http_out_put(&o, f->name.ptr, f->name.len);
		r->field_at[i].value = (uint32_t)r->text.len;
		r->field_at[i].value_len = (uint32_t)f->value.len;
		pl_http_out_put(&o, f->value.ptr, f->value.len);
	}
	r->field_count = a->field_count;
	return pl_http_out_end(&o);
}

int pl_http_answer_send(pl_http_answer_t *a, int status,
			uint64_t content_length, const void *body,
			size_t body_len)
{
	pl_http_reply_t *r = a->reply;
	int ret;

	/* RFC 6797 8.1: on every response over the secure transport */
	if (a->hsts[0] != '\0')
		pl_http_answer_field(a, "Strict-Transport-Security", a->hsts);
	if (a->field_count > PL_HTTP_ANSWER_MAX_FIELDS ||
	    a->field_count > PL_HTTP_REPLY_MAX_FIELDS)
		return PL_ERR_ARG;
	if ((ret = keep_fields(a)) != PL_OK)
		return ret;
	r->status = status;
	r->version = a->req != NULL && a->req->version == PL_HTTP_10
			     ? PL_HTTP_10
			     : PL_HTTP_11;
	r->date = a->now;
	r->server = a->server;
	/* RFC 9110 15.4.5: a 304 has no content; leaving Content-Length out
	 * is always right for it */
	r->framing = status == 304 ? PL_HTTP_BODY_NONE : PL_HTTP_BODY_LENGTH;
	r->content_length = content_length;
	r->close = !a->keep_alive;
	/* The head must be one the writer takes: found here, by the handler,
	 * not later by the protocol. (The date is the writer's own to
	 * format; checking it here would format it twice.) */
	pl_http_response_t resp = {.status = status, .version = r->version,
				   .keep_alive = a->keep_alive,
				   .date = (time_t)-1,
				   .server = a->server, .framing = r->framing,
				   .content_length = content_length,
				   .fields = a->fields,
				   .field_count = a->field_count};
	if ((ret = pl_http_head_valid(&resp)) != PL_OK)
		return ret;
	if (!a->head && body_len > 0) {
		pl_http_out_t o = pl_http_out_begin(&r->body);
		pl_http_out_put(&o, body, body_len);
		if ((ret = pl_http_out_end(&o)) != PL_OK)
			return ret;
	}
	r->body_bytes = a->head ? 0 : body_len;
	return PL_OK;
}

size_t pl_http_reply_fields(const pl_http_reply_t *r, pl_http_field_t *out,
			    size_t max)
{
	const char *text = (const char *)r->text.data;
	for (size_t i = 0; i < r->field_count && i < max; i++) {
		out[i].name = (pl_http_str_t){text + r->field_at[i].name,
					      r->field_at[i].name_len};
		out[i].value = (pl_http_str_t){text + r->field_at[i].value,
					       r->field_at[i].value_len};
	}
	for (size_t i = 0; i < r->extra_count && r->field_count + i < max; i++)
		out[r->field_count + i] = r->extra[i];
	return r->field_count + r->extra_count;
}

int pl_http_reply_head(const pl_http_reply_t *r, pl_http_buf_t *out)
{
	pl_http_field_t own[PL_HTTP_REPLY_MAX_FIELDS];
	pl_http_field_t *fields = own;
	size_t n = r->field_count + r->extra_count;
	pl_http_response_t resp = {0};
	if (n > PL_HTTP_REPLY_MAX_FIELDS &&
	    (fields = calloc(n, sizeof(*fields))) == NULL)
		return PL_ERR_NOMEM;
	resp.status = r->status;
	resp.version = r->version;
	resp.keep_alive = !r->close;
	resp.date = r->date;
	resp.server = r->server;
	resp.framing = r->framing;
	resp.content_length = r->content_length;
	resp.fields = fields;
	resp.field_count = pl_http_reply_fields(r, fields, n);
	int ret = pl_http_write_head(out, &resp);
	if (fields != own)
		free(fields);
	return ret;
}

int pl_http_answer_error(pl_http_answer_t *a, int status, const char *why)
{
	const char *phrase = pl_http_reason_phrase(status);
	char body[64];
	int n;

	/* "404 Not Found\n": the status alone, nothing an attacker can use */
	n = snprintf(body, sizeof body, "%d %s\n", status, phrase);
	if (n < 0 || (size_t)n >= sizeof body)
		return PL_ERR_ARG;
	pl_http_answer_field(a, "Content-Type", "text/plain; charset=utf-8");
	pl_http_answer_field(a, "X-Content-Type-Options", "nosniff");
	a->reply->why = why;
	return pl_http_answer_send(a, status, (uint64_t)n, body, (size_t)n);
}

int pl_http_reply_error(pl_http_reply_t *reply, int status, const char *detail,
			long hsts_max_age, bool head_only, time_t now,
			const char *server)
{
	pl_http_buf_t body = PL_HTTP_BUF_INIT;
	pl_http_out_t o = pl_http_out_begin(&body);
	const char *phrase = pl_http_reason_phrase(status);
	pl_http_answer_t a;
	int ret;

	if (reply == NULL || status < 200 || status > 599 || status == 204 ||
	    status == 304)
		return PL_ERR_ARG;
	pl_http_answer_start(&a, NULL, now, server, hsts_max_age, false, reply);
	a.head = head_only;
	/* "400 Bad Request: detail\n", as pl_http_write_error() has it */
	pl_http_out_dec(&o, (uint64_t)status);
	if (*phrase) {
		pl_http_out_str(&o, " ");
		pl_http_out_str(&o, phrase);
	}
	if (detail != NULL) {
		pl_http_out_str(&o, ": ");
		for (; *detail; detail++) {
			uint8_t c = (uint8_t)*detail;
			char text = c < 0x20 || c == 0x7f ? ' ' : (char)c;
			pl_http_out_put(&o, &text, 1);
		}
	}
	pl_http_out_str(&o, "\n");
	ret = pl_http_out_end(&o);
	if (ret == PL_OK) {
		pl_http_answer_field(&a, "Content-Type", "text/plain; charset=utf-8");
		pl_http_answer_field(&a, "X-Content-Type-Options", "nosniff");
		ret = pl_http_answer_send(&a, status, body.len, body.data, body.len);
	}
	pl_http_buf_free(&body);
	return ret;
}
