/*
 * HTTP/2 over a connection's transport (conn.h's protocol), chosen when
 * the TLS handshake negotiated ALPN "h2" (RFC 9113 3.2). Framing, HPACK
 * and flow control are libnghttp2's; this file gives it the transport's
 * bytes, turns each request's header list into the neutral request the
 * http layer answers (the same files, welcome page and errors as
 * HTTP/1.1), and turns the reply back into a HEADERS frame and a body that
 * nghttp2 pulls through a data provider: a file is read a frame at a
 * time, only as the peer's flow-control window allows, so a slow reader
 * holds back its own stream and never a whole file in memory.
 *
 * The connection stays in FIRST/IDLE while it lives (streams come and go
 * on it at any time); on_data() both receives and sends, and every byte
 * that moves re-arms the idle timeout, so a client that never opens its
 * window (a zero-window stall) is closed after --idle-timeout.
 *
 * Abuse that took real servers down is bounded here, each with a GOAWAY
 * ENHANCE_YOUR_CALM (RFC 9113 5.4.1, 7): streams reset faster than
 * RESET_RATE (CVE-2023-44487, "rapid reset"), PING and SETTINGS frames
 * faster than CONTROL_RATE, and a header block (HEADERS + CONTINUATION)
 * larger than the header list limit plus HEADER_BLOCK_SLACK (the 2024
 * CONTINUATION flood). A header list that decodes larger than
 * --h2-max-header-list (an HPACK bomb) is not kept: its stream gets 431.
 * A body longer than its content-length is nghttp2's to refuse
 * (RST_STREAM PROTOCOL_ERROR, RFC 9113 8.1.1).
 *
 * A request for a proxied site makes its stream the owner of an exchange
 * (proxy.c): DATA goes into the exchange's sink and is acknowledged
 * (WINDOW_UPDATE) only while the sink has room, and the upstream's body
 * comes through the data provider, deferred while the upstream has sent
 * nothing and resumed when the exchange wakes the stream.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>
#include <openssl/evp.h>

#include "padlock/crypto.h"
#include "server/proxy.h"

#define OUTPUT_HIGH_WATER (64 * 1024)
/* Token buckets: up to BURST events at once, then RATE a second. */
#define RESET_BURST 200
#define RESET_RATE 100
#define CONTROL_BURST 200
#define CONTROL_RATE 50
/* Compressed bytes a header block may have beyond the decoded limit
 * (literal encodings can be a little longer than what they decode to). */
#define HEADER_BLOCK_SLACK 4096

typedef struct {
	double tokens;
	uint64_t last_us;
} bucket_t;

/* One header field of a stream, as offsets into its text buffer (which
 * moves while it grows). */
typedef struct {
	size_t name, name_len, value, value_len;
} span_t;

typedef struct h2_stream {
	struct h2_stream *prev, *next; /* the connection's open streams */
	struct pl_srv_h2 *h;
	int32_t id;
	pl_http_buf_t text;      /* names and values, each NUL-terminated */
	span_t *spans;
	size_t n_spans, cap_spans;
	size_t decoded;          /* RFC 9113 6.5.2: name + value + 32 each */
	bool too_large;
	bool end_stream;         /* the request has no body */
	pl_http_reply_t reply;
	size_t body_off;         /* how much of reply.body has been sent */
	uint64_t start_us;
	/* a proxied request (proxy.c's exchange, this stream its owner) */
	struct pl_srv_exchange *px;
	pl_http_body_sink_t sink; /* where its body goes */
	bool body_blocked;       /* the sink is full: DATA is not acknowledged */
	size_t withheld;         /* DATA bytes taken but not acknowledged */
	bool deferred;           /* the reply's source had nothing: resume */
	bool replied;            /* the reply is submitted */
} h2_stream_t;

struct pl_srv_h2 {
	nghttp2_session *session;
	pl_srv_conn_t *c;
	h2_stream_t *streams;
	bucket_t resets, control;
	size_t header_block;     /* compressed bytes of the block being read */
	bool goaway;             /* the final GOAWAY is queued */
	bool notice;             /* the shutdown notice is queued */
	bool terminated;         /* the session ends after its GOAWAY */
	bool busy;               /* inside on_data(): it sends what is due */
	bool took_request;       /* the last on_data() began a stream */
};

/* ---- rates ------------------------------------------------------------------- */

/* Takes one token; false when the bucket is empty. */
static bool bucket_take(bucket_t *b, double burst, double rate)
{
	uint64_t now = pl_srv_now_us();
	if (b->last_us == 0)
		b->tokens = burst;
	else
		b->tokens += (double)(now - b->last_us) * rate / 1e6;
	if (b->tokens > burst)
		b->tokens = burst;
	b->last_us = now;
	if (b->tokens < 1)
		return false;
	b->tokens -= 1;
	return true;
}

static void calm_down(struct pl_srv_h2 *h, const char *what)
{
	PL_SRV_LOG_LIMITED(PL_SRV_LOG_INFO, "%s: HTTP/2 %s: GOAWAY "
			   "ENHANCE_YOUR_CALM", h->c->peer, what);
	(void)nghttp2_session_terminate_session(h->session,
						NGHTTP2_ENHANCE_YOUR_CALM);
	h->goaway = true;
}

/* ---- streams ------------------------------------------------------------------ */

static h2_stream_t *stream_new(struct pl_srv_h2 *h, int32_t id)
{
	h2_stream_t *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return NULL;
	st->next = h->streams;
	if (h->streams)
		h->streams->prev = st;
	h->streams = st;
	st->h = h;
	st->id = id;
	pl_http_reply_init(&st->reply);
	st->start_us = pl_srv_now_us();
	return st;
}

static void stream_free(struct pl_srv_h2 *h, h2_stream_t *st)
{
	pl_srv_proxy_end(st->px); /* before the reply it points into */
	if (st->prev)
		st->prev->next = st->next;
	else
		h->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	pl_http_buf_free(&st->text);
	free(st->spans);
	pl_http_reply_free(&st->reply);
	free(st);
}

/* Appends p[0..n) and a NUL to the stream's text; its offset in *at. */
static bool text_push(h2_stream_t *st, const uint8_t *p, size_t n, size_t *at)
{
	pl_http_buf_t *b = &st->text;
	if (b->cap - b->len < n + 1) {
		size_t cap = b->cap ? b->cap : 512;
		while (cap - b->len < n + 1)
			cap *= 2;
		uint8_t *d = realloc(b->data, cap);
		if (d == NULL)
			return false;
		b->data = d;
		b->cap = cap;
	}
	*at = b->len;
	memcpy(b->data + b->len, p, n);
	b->data[b->len + n] = 0;
	b->len += n + 1;
	return true;
}

static bool span_push(h2_stream_t *st, const nghttp2_nv *nv)
{
	if (st->n_spans == st->cap_spans) {
		size_t cap = st->cap_spans ? st->cap_spans * 2 : 16;
		span_t *s = realloc(st->spans, cap * sizeof(*s));
		if (s == NULL)
			return false;
		st->spans = s;
		st->cap_spans = cap;
	}
	span_t *s = &st->spans[st->n_spans];
	if (!text_push(st, nv->name, nv->namelen, &s->name) ||
	    !text_push(st, nv->value, nv->valuelen, &s->value))
		return false;
	s->name_len = nv->namelen;
	s->value_len = nv->valuelen;
	st->n_spans++;
	return true;
}

/* ---- nghttp2's callbacks: input ------------------------------------------------ */

static int on_begin_frame(nghttp2_session *session, const nghttp2_frame_hd *hd,
			  void *user)
{
	struct pl_srv_h2 *h = user;
	const pl_srv_options_t *o = pl_srv_conn_runtime(h->c)->opts;
	if (hd->type == NGHTTP2_HEADERS)
		h->header_block = 0;
	if (hd->type == NGHTTP2_HEADERS || hd->type == NGHTTP2_CONTINUATION) {
		h->header_block += hd->length;
		if (h->header_block > o->h2_max_header_list + HEADER_BLOCK_SLACK)
			calm_down(h, "header block over the limit "
				  "(CONTINUATION flood)");
	}
	return 0;
}

static int on_begin_headers(nghttp2_session *session,
			    const nghttp2_frame *frame, void *user)
{
	if (frame->hd.type != NGHTTP2_HEADERS ||
	    frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	h2_stream_t *st = stream_new(user, frame->hd.stream_id);
	if (st == NULL)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	((struct pl_srv_h2 *)user)->took_request = true;
	if (nghttp2_session_set_stream_user_data(session, frame->hd.stream_id,
						 st) != 0) {
		stream_free(user, st);
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	}
	return 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame,
		     const uint8_t *name, size_t namelen, const uint8_t *value,
		     size_t valuelen, uint8_t flags, void *user)
{
	struct pl_srv_h2 *h = user;
	h2_stream_t *st = nghttp2_session_get_stream_user_data(
		session, frame->hd.stream_id);
	if (st == NULL || frame->hd.type != NGHTTP2_HEADERS ||
	    frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0; /* trailers are not kept */
	/* Counted even once over: the block must still be decoded to keep
	 * HPACK's table in step (RFC 7541 2.2), but nothing more is kept. */
	st->decoded += namelen + valuelen + 32;
	if (st->decoded > pl_srv_conn_runtime(h->c)->opts->h2_max_header_list)
		st->too_large = true;
	if (st->too_large)
		return 0;
	nghttp2_nv nv = {(uint8_t *)name, (uint8_t *)value, namelen, valuelen,
			 0};
	if (!span_push(st, &nv))
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	return 0;
}

/* ---- the request, the reply ----------------------------------------------------- */

static pl_http_str_t span_str(const h2_stream_t *st, size_t at, size_t len)
{
	pl_http_str_t s = {(const char *)st->text.data + at, len};
	return s;
}

/* The neutral request from the header list (nghttp2 has checked the
 * pseudo-header fields, RFC 9113 8.3.1). fields gets the regular ones;
 * *protocol the :protocol of an extended CONNECT (RFC 8441 4), empty
 * when there is none. */
static void build_request(const h2_stream_t *st, pl_http_field_t *fields,
			  pl_http_request_t *req, pl_http_str_t *protocol)
{
	static const pl_http_str_t empty = {"", 0};
	memset(req, 0, sizeof(*req));
	req->method = req->target = req->host = empty;
	req->version = PL_HTTP_11; /* the semantics are HTTP/1.1's */
	req->keep_alive = true;
	req->fields = fields;
	*protocol = empty;
	for (size_t i = 0; i < st->n_spans; i++) {
		const span_t *s = &st->spans[i];
		pl_http_str_t name = span_str(st, s->name, s->name_len);
		pl_http_str_t value = span_str(st, s->value, s->value_len);
		if (strcmp(name.ptr, ":method") == 0)
			req->method = value;
		else if (strcmp(name.ptr, ":path") == 0)
			req->target = value;
		else if (strcmp(name.ptr, ":authority") == 0)
			req->host = value;
		else if (strcmp(name.ptr, ":protocol") == 0)
			*protocol = value;
		else if (name.ptr[0] != ':')
			fields[req->field_count++] =
				(pl_http_field_t){name, value};
	}
	/* RFC 9113 8.3.1: :authority, else Host */
	const pl_http_str_t *host = pl_http_header(req, "host");
	if (req->host.len == 0 && host)
		req->host = *host;
	req->target_form = req->target.len == 1 && req->target.ptr[0] == '*'
				   ? PL_HTTP_TARGET_ASTERISK
				   : PL_HTTP_TARGET_ORIGIN;
	/* A body without content-length is as long as its DATA frames: it
	 * goes on chunked (nghttp2 holds a stream to its content-length,
	 * RFC 9113 8.1.1). */
	const pl_http_str_t *length = pl_http_header(req, "content-length");
	if (!st->end_stream && length) {
		req->framing = PL_HTTP_BODY_LENGTH;
		req->content_length = strtoull(length->ptr, NULL, 10);
	} else if (!st->end_stream) {
		req->framing = PL_HTTP_BODY_CHUNKED;
	}
}

/* The reply's head as HTTP/2 fields (RFC 9113 8.3.2): ":status", then
 * content-length, date and server as the reply says, then its fields,
 * names lowercased (RFC 9113 8.2.1) into lower[]. A head of up to
 * HEAD_FIELDS fields whose names fit in HEAD_NAMES bytes (every reply of
 * a file) is built in place; a larger one (a proxied reply with the
 * upstream's fields) on the heap. */
#define HEAD_FIELDS 24
#define HEAD_NAMES 512

typedef struct {
	nghttp2_nv *nv;          /* room for the reply's fields + 4 */
	size_t n;
	char status[4], length[24], date[PL_HTTP_DATE_LEN + 1];
	char *lower;             /* the names, lowercased */
	pl_http_field_t *fields; /* the reply's, as pl_http_reply_fields() */
	nghttp2_nv nv_in_place[HEAD_FIELDS + 4];
	pl_http_field_t fields_in_place[HEAD_FIELDS];
	char lower_in_place[HEAD_NAMES];
} h2_head_t;

static void head_add(h2_head_t *hd, const char *name, size_t name_len,
		     const char *value, size_t value_len)
{
	hd->nv[hd->n++] = (nghttp2_nv){(uint8_t *)name, (uint8_t *)value,
				       name_len, value_len,
				       NGHTTP2_NV_FLAG_NONE};
}

static void head_free(h2_head_t *hd)
{
	if (hd->nv != hd->nv_in_place)
		free(hd->nv);
	if (hd->fields != hd->fields_in_place)
		free(hd->fields);
	if (hd->lower != hd->lower_in_place)
		free(hd->lower);
}

/* v in decimal at the end of out[24]; returns where it starts. */
static const char *decimal(uint64_t v, char out[24], size_t *len)
{
	char *p = out + 23;
	*p = 0;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	*len = (size_t)(out + 23 - p);
	return p;
}

/* The arrays for n fields: in place when they fit. */
static int head_arrays(h2_head_t *hd, size_t n)
{
	if (n <= HEAD_FIELDS) {
		hd->nv = hd->nv_in_place;
		hd->fields = hd->fields_in_place;
		return PL_OK;
	}
	hd->nv = calloc(n + 4, sizeof(*hd->nv));
	hd->fields = calloc(n, sizeof(*hd->fields));
	return hd->nv && hd->fields ? PL_OK : PL_ERR_NOMEM;
}

static int head_fields(const pl_http_reply_t *r, h2_head_t *hd)
{
	size_t n = pl_http_reply_fields(r, NULL, 0), used = 0, names = 0;
	hd->n = 0;
	hd->nv = NULL;
	hd->fields = NULL;
	hd->lower = NULL;
	if (head_arrays(hd, n) != PL_OK)
		return PL_ERR_NOMEM;
	(void)pl_http_reply_fields(r, hd->fields, n);
	for (size_t i = 0; i < n; i++)
		names += hd->fields[i].name.len;
	hd->lower = names <= HEAD_NAMES ? hd->lower_in_place
					: malloc(names + 1);
	if (hd->lower == NULL)
		return PL_ERR_NOMEM;
	int status = r->status >= 100 && r->status <= 999 ? r->status : 500;
	hd->status[0] = (char)('0' + status / 100);
	hd->status[1] = (char)('0' + status / 10 % 10);
	hd->status[2] = (char)('0' + status % 10);
	hd->status[3] = 0;
	head_add(hd, ":status", 7, hd->status, 3);
	if (r->framing == PL_HTTP_BODY_LENGTH) {
		size_t len;
		const char *v = decimal(r->content_length, hd->length, &len);
		head_add(hd, "content-length", 14, v, len);
	}
	if (r->date != (time_t)-1 && pl_http_format_date(r->date, hd->date) ==
					     PL_OK)
		head_add(hd, "date", 4, hd->date, PL_HTTP_DATE_LEN);
	if (r->server)
		head_add(hd, "server", 6, r->server, strlen(r->server));
	for (size_t i = 0; i < n; i++) {
		const pl_http_str_t *name = &hd->fields[i].name;
		char *lower = hd->lower + used;
		for (size_t j = 0; j < name->len; j++) {
			char ch = name->ptr[j];
			lower[j] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
		}
		used += name->len;
		head_add(hd, lower, name->len, hd->fields[i].value.ptr,
			 hd->fields[i].value.len);
	}
	return PL_OK;
}

/* nghttp2 pulls the body: reply.body, then the
 * file, at most length bytes (the window and the frame size allow). */
static ssize_t read_body(nghttp2_session *session, int32_t id, uint8_t *buf,
			 size_t length, uint32_t *flags,
			 nghttp2_data_source *source, void *user)
{
	struct pl_srv_h2 *h = user;
	h2_stream_t *st = source->ptr;
	pl_http_reply_t *r = &st->reply;
	size_t n = 0;
	if (r->source.read) {
		/* a proxied body: what the upstream has sent, as it comes */
		bool end = false;
		long got = r->source.read(r->source.arg, buf, length, &end);
		if (got < 0)
			return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
		r->body_bytes += (uint64_t)got;
		if (end) {
			r->source.read = NULL;
			*flags |= NGHTTP2_DATA_FLAG_EOF;
		} else if (got == 0) {
			st->deferred = true; /* stream_wake() resumes it */
			return NGHTTP2_ERR_DEFERRED;
		}
		return got;
	}
	if (st->body_off < r->body.len) {
		n = r->body.len - st->body_off;
		if (n > length)
			n = length;
		memcpy(buf, r->body.data + st->body_off, n);
		st->body_off += n;
	} else if (r->file_fd >= 0 && r->file_len > 0) {
		long got = pl_http_reply_read_file(r, buf, length);
		if (got <= 0) {
			/* The length is promised: a short file can only be
			 * cut (RST_STREAM INTERNAL_ERROR). */
			PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "%s: file read "
				   "failed mid-response: %s", h->c->peer,
				   got < 0 ? strerror((int)-got) : "file shrank");
			return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
		}
		n = (size_t)got;
	}
	if (st->body_off >= r->body.len && (r->file_fd < 0 || r->file_len == 0))
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static int submit_reply(struct pl_srv_h2 *h, h2_stream_t *st)
{
	h2_head_t hd;
	pl_http_reply_t *r = &st->reply;
	int ret = head_fields(r, &hd);
	if (ret != PL_OK) {
		head_free(&hd);
		return ret;
	}
	st->body_off = 0;
	st->replied = true;
	bool body = r->body.len > 0 || (r->file_fd >= 0 && r->file_len) ||
		    r->source.read;
	nghttp2_data_provider provider = {.source.ptr = st,
					  .read_callback = read_body};
	ret = nghttp2_submit_response(h->session, st->id, hd.nv, hd.n,
				      body ? &provider : NULL) == 0
		      ? PL_OK : PL_ERR_NOMEM;
	head_free(&hd);
	return ret;
}

/* What HTTP/1.1's parser guarantees of its request, checked here too:
 * the handlers put the host into URLs and the target into paths. A host
 * is uri-host [":" port] (RFC 9110 4.2.4: no userinfo), a target has no
 * whitespace or controls. NULL when the request is acceptable, else why. */
static const char *request_flaw(const pl_http_request_t *req)
{
	for (size_t i = 0; i < req->host.len; i++) {
		unsigned char ch = (unsigned char)req->host.ptr[i];
		if (ch <= 0x20 || ch >= 0x7f || strchr("/?#@\\", ch))
			return ":authority (or Host) is not a valid host[:port]";
	}
	for (size_t i = 0; i < req->target.len; i++) {
		unsigned char ch = (unsigned char)req->target.ptr[i];
		if (ch <= 0x20 || ch == 0x7f)
			return ":path has whitespace or a control character";
	}
	return NULL;
}

/* An error answer (HSTS included) where no site has answered. */
static int refuse(pl_srv_conn_t *c, h2_stream_t *st, int status,
		  const char *why, bool head)
{
	const pl_srv_rsite_t *site =
		pl_srv_site_for(pl_srv_conn_runtime(c), NULL, 0);
	PL_SRV_LOG_LIMITED(PL_SRV_LOG_INFO, "%s: %d: %s", c->peer, status, why);
	return pl_http_reply_error(&st->reply, status, why,
				   site->http.hsts_max_age, head, time(NULL),
				   "padlock");
}

/* ---- a proxied stream: this stream owns an exchange (proxy.c) ----------------- */

/* The exchange's reply (the upstream's head, or its 502/504) is ready. */
static void stream_reply_ready(void *arg)
{
	h2_stream_t *st = arg;
	if (submit_reply(st->h, st) != PL_OK)
		(void)nghttp2_submit_rst_stream(st->h->session, NGHTTP2_FLAG_NONE,
						st->id, NGHTTP2_INTERNAL_ERROR);
}

/* Room in the sink: the DATA held back is acknowledged (WINDOW_UPDATE),
 * so the client sends more. Bytes for the source: the data provider
 * runs again. Then the connection sends. */
static void stream_wake(void *arg)
{
	h2_stream_t *st = arg;
	struct pl_srv_h2 *h = st->h;
	if (!st->body_blocked && st->withheld > 0) {
		(void)nghttp2_session_consume(h->session, st->id, st->withheld);
		st->withheld = 0;
	}
	if (st->deferred) {
		st->deferred = false;
		(void)nghttp2_session_resume_data(h->session, st->id);
	}
	if (!h->busy)
		pl_srv_conn_wake(h->c);
}

/* The response cannot be finished: only this stream ends
 * (RST_STREAM INTERNAL_ERROR), the connection goes on. */
static void stream_cut(void *arg)
{
	h2_stream_t *st = arg;
	struct pl_srv_h2 *h = st->h;
	(void)nghttp2_submit_rst_stream(h->session, NGHTTP2_FLAG_NONE, st->id,
					NGHTTP2_INTERNAL_ERROR);
	if (!h->busy)
		pl_srv_conn_wake(h->c);
}

/* The request's body is all in (END_STREAM): the exchange sends it on. */
static void body_end(h2_stream_t *st)
{
	pl_http_body_sink_t sink = st->sink;
	st->sink = (pl_http_body_sink_t){0};
	if (sink.end)
		sink.end(sink.arg);
}

/* RFC 9113 8.2.3: a client may split its Cookie into crumbs (one field
 * each, for HPACK); an HTTP/1.1 upstream gets them joined with "; " in
 * one field. fields is req's own array. *joined: the joined value, for
 * the caller to free. */
static int join_cookies(pl_http_request_t *req, pl_http_field_t *fields,
			char **joined)
{
	size_t n = 0, len = 1, first = 0, kept = 0, at = 0;
	*joined = NULL;
	for (size_t i = 0; i < req->field_count; i++) {
		if (strcmp(req->fields[i].name.ptr, "cookie") != 0)
			continue;
		if (n++ == 0)
			first = i;
		len += req->fields[i].value.len + 2;
	}
	if (n < 2)
		return PL_OK;
	char *p = malloc(len);
	if (p == NULL)
		return PL_ERR_NOMEM;
	for (size_t i = 0; i < req->field_count; i++) {
		pl_http_field_t f = req->fields[i];
		if (strcmp(f.name.ptr, "cookie") == 0) {
			if (at > 0) {
				memcpy(p + at, "; ", 2);
				at += 2;
			}
			memcpy(p + at, f.value.ptr, f.value.len);
			at += f.value.len;
			if (i != first)
				continue;
		}
		fields[kept++] = f;
	}
	p[at] = 0;
	fields[first].value = (pl_http_str_t){p, at};
	req->field_count = kept;
	*joined = p;
	return PL_OK;
}

/* req goes to pool; the stream is the exchange's owner. */
static void proxy_stream(struct pl_srv_h2 *h, h2_stream_t *st,
			 pl_http_request_t *req, pl_srv_pool_t *pool)
{
	pl_srv_proxy_owner_t o = {h->c, true, &st->reply, &st->sink,
				  &st->body_blocked, &st->px,
				  stream_reply_ready, stream_wake, stream_cut,
				  st};
	pl_srv_proxy_start_for(&o, req, pool);
	if (st->end_stream)
		body_end(st);
}

/* The access log's line of a proxied stream, once it is over. */
static void log_proxied(struct pl_srv_h2 *h, h2_stream_t *st)
{
	pl_http_conninfo_t info;
	pl_http_request_t req;
	pl_srv_access_t extra;
	pl_http_str_t protocol;
	pl_http_field_t *fields = calloc(st->n_spans + 1, sizeof(*fields));
	if (fields == NULL)
		return;
	build_request(st, fields, &req, &protocol);
	h->c->transport->describe(h->c, &info);
	memset(&extra, 0, sizeof(extra));
	extra.upstream = pl_srv_proxy_upstream_of(st->px, &extra.upstream_us);
	pl_srv_log_reply_with(h->c, &req, PL_SRV_HTTP_20, &info, &st->reply,
			      st->start_us, &extra);
	free(fields);
}

/* The pool of the site req names, or NULL (files answer it). */
static pl_srv_pool_t *pool_of(pl_srv_conn_t *c, const pl_http_request_t *req,
			      const pl_http_conninfo_t *info)
{
	const pl_srv_rsite_t *site =
		pl_srv_site_of_request(pl_srv_conn_runtime(c), req, info->sni);
	return pl_srv_proxy_pool_for(site, req);
}

#define REQUEST_FIELDS 32

/* ---- a WebSocket over HTTP/2 (RFC 8441) -------------------------------------------
 * Offered (SETTINGS_ENABLE_CONNECT_PROTOCOL) on a connection whose site
 * proxies: an extended CONNECT with :protocol websocket to a proxied
 * path goes to the upstream as the HTTP/1.1 handshake of RFC 6455 4.1
 * (GET, Upgrade: websocket, Connection: Upgrade, a Sec-WebSocket-Key of
 * ours), and proxy.c turns the upstream's 101 into this stream's 200 and
 * its DATA into the tunnel. Another :protocol is refused with 501; a
 * WebSocket to a site or path that serves files gets what a CONNECT gets
 * there (405). On a connection that did not offer it, nghttp2 refuses
 * :protocol as a malformed request (RST_STREAM PROTOCOL_ERROR, RFC 8441
 * 3). */
#define WEBSOCKET_FIELDS 3
#define WEBSOCKET_KEY_LEN 24 /* base64 of 16 bytes (RFC 6455 4.1) */

static bool is_websocket(const pl_http_str_t *protocol)
{
	return protocol->len == 9 && strncasecmp(protocol->ptr, "websocket", 9) == 0;
}

/* Whether the connection's site (by SNI) forwards anything. */
static bool site_proxies(pl_srv_conn_t *c)
{
	const char *sni = c->tls ? pl_tls_sni(c->tls) : NULL;
	const pl_srv_rsite_t *site = pl_srv_site_for(
		pl_srv_conn_runtime(c), sni ? sni : "", sni ? strlen(sni) : 0);
	return site->pool != NULL || site->n_locations > 0;
}

/* req, an extended CONNECT, as the HTTP/1.1 handshake; fields is its
 * array, with room for WEBSOCKET_FIELDS more; key[] holds the key.
 * NULL, or why it cannot be made. */
static const char *websocket_upgrade(pl_http_request_t *req,
				     pl_http_field_t *fields,
				     char key[WEBSOCKET_KEY_LEN + 1])
{
	uint8_t nonce[16];
	if (pl_random(nonce, sizeof(nonce)) != PL_OK)
		return "no random bytes for a Sec-WebSocket-Key";
	if (EVP_EncodeBlock((unsigned char *)key, nonce, sizeof(nonce)) !=
	    WEBSOCKET_KEY_LEN)
		return "cannot encode a Sec-WebSocket-Key";
	key[WEBSOCKET_KEY_LEN] = 0;
	req->method = (pl_http_str_t){"GET", 3};
	/* the body is the tunnel's bytes, sent as they come */
	req->framing = PL_HTTP_BODY_NONE;
	pl_http_field_t *f = fields + req->field_count;
	f[0] = (pl_http_field_t){{"upgrade", 7}, {"websocket", 9}};
	f[1] = (pl_http_field_t){{"connection", 10}, {"upgrade", 7}};
	f[2] = (pl_http_field_t){{"sec-websocket-key", 17},
				 {key, WEBSOCKET_KEY_LEN}};
	req->field_count += WEBSOCKET_FIELDS;
	return NULL;
}

static int answer(struct pl_srv_h2 *h, h2_stream_t *st)
{
	pl_srv_conn_t *c = h->c;
	pl_http_conninfo_t info;
	pl_http_request_t req;
	int ret;
	c->transport->describe(c, &info);
	if (st->too_large) {
		ret = refuse(c, st, 431, "the header list is over "
			     "--h2-max-header-list", false);
		if (ret == PL_OK && pl_srv_log_access_enabled())
			pl_srv_log_reply(c, NULL, PL_SRV_HTTP_20, &info,
					 &st->reply, st->start_us);
		return ret == PL_OK ? submit_reply(h, st) : ret;
	}
	/* the request's fields: in place for a usual request; room for the
	 * three a WebSocket's Upgrade adds */
	pl_http_field_t in_place[REQUEST_FIELDS];
	pl_http_field_t *fields = st->n_spans + WEBSOCKET_FIELDS < REQUEST_FIELDS
		? in_place
		: calloc(st->n_spans + WEBSOCKET_FIELDS + 1, sizeof(*fields));
	pl_http_str_t protocol;
	char key[WEBSOCKET_KEY_LEN + 1];
	if (fields == NULL)
		return PL_ERR_NOMEM;
	build_request(st, fields, &req, &protocol);
	const char *flaw = request_flaw(&req);
	int flaw_status = 400;
	bool head = strcmp(req.method.ptr, "HEAD") == 0;
	pl_srv_pool_t *pool = flaw ? NULL : pool_of(c, &req, &info);
	if (!flaw && protocol.len > 0 && !is_websocket(&protocol)) {
		flaw = "extended CONNECT: padlock tunnels only :protocol "
		       "websocket";
		flaw_status = 501;
	} else if (!flaw && protocol.len > 0 && pool &&
		   (flaw = websocket_upgrade(&req, fields, key)) != NULL) {
		flaw_status = 500;
	}
	if (pool && !flaw) {
		char *cookies;
		ret = join_cookies(&req, fields, &cookies);
		if (ret == PL_OK)
			proxy_stream(h, st, &req, pool);
		free(cookies);
		if (fields != in_place)
			free(fields);
		return ret;
	}
	ret = flaw ? refuse(c, st, flaw_status, flaw, head)
		   : pl_srv_serve_https(c, &req, &info, &st->reply);
	if (ret == PL_OK) {
		if (st->reply.why)
			PL_SRV_LOG_LIMITED(st->reply.status >= 500
					   ? PL_SRV_LOG_ERROR : PL_SRV_LOG_INFO,
					   "%s: %d for %s: %s", c->peer,
					   st->reply.status, req.target.ptr,
					   st->reply.why);
		if (pl_srv_log_access_enabled())
			pl_srv_log_reply(c, &req, PL_SRV_HTTP_20, &info,
					 &st->reply, st->start_us);
		ret = submit_reply(h, st);
	}
	if (fields != in_place)
		free(fields);
	return ret;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame,
			 void *user)
{
	struct pl_srv_h2 *h = user;
	if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
	    (frame->hd.type == NGHTTP2_DATA ||
	     (frame->hd.type == NGHTTP2_HEADERS &&
	      frame->headers.cat == NGHTTP2_HCAT_HEADERS))) {
		/* the end of a request body (after DATA, or trailers) */
		h2_stream_t *st = nghttp2_session_get_stream_user_data(
			session, frame->hd.stream_id);
		if (st)
			body_end(st);
		return 0;
	}
	switch (frame->hd.type) {
	case NGHTTP2_HEADERS: {
		h2_stream_t *st = nghttp2_session_get_stream_user_data(
			session, frame->hd.stream_id);
		if (st == NULL || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
			return 0;
		st->end_stream = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
		if (answer(h, st) != PL_OK) {
			PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "%s: cannot build "
					   "an HTTP/2 response", h->c->peer);
			return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
		}
		return 0;
	}
	case NGHTTP2_RST_STREAM:
		if (!bucket_take(&h->resets, RESET_BURST, RESET_RATE))
			calm_down(h, "streams reset too fast (rapid reset)");
		return 0;
	case NGHTTP2_PING:
	case NGHTTP2_SETTINGS:
		if (!(frame->hd.flags & NGHTTP2_FLAG_ACK) &&
		    !bucket_take(&h->control, CONTROL_BURST, CONTROL_RATE))
			calm_down(h, "PING or SETTINGS flood");
		return 0;
	default:
		return 0;
	}
}

/* Request body bytes: into the stream's sink (a proxied request), else
 * dropped. Flow control is the backpressure (RFC 9113 5.2): bytes are
 * acknowledged (WINDOW_UPDATE) as they are taken, but not while the sink
 * is full, so a client can have at most its window in flight beyond the
 * sink's bound. */
static int on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t id,
			 const uint8_t *data, size_t len, void *user)
{
	(void)flags;
	(void)user;
	h2_stream_t *st = nghttp2_session_get_stream_user_data(session, id);
	if (st && st->sink.write && !st->sink.write(st->sink.arg, data, len))
		st->body_blocked = true;
	if (st && st->body_blocked) {
		st->withheld += len;
		return 0;
	}
	(void)nghttp2_session_consume(session, id, len);
	return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t id,
			   uint32_t error_code, void *user)
{
	h2_stream_t *st = nghttp2_session_get_stream_user_data(session, id);
	if (st == NULL)
		return 0;
	if (st->px && st->replied && pl_srv_log_access_enabled())
		log_proxied(user, st);
	/* DATA held back from a full sink still counts against the
	 * connection's window: give it back, or the window shrinks for good */
	if (st->withheld > 0)
		(void)nghttp2_session_consume_connection(session, st->withheld);
	(void)nghttp2_session_set_stream_user_data(session, id, NULL);
	stream_free(user, st);
	return 0;
}

/* ---- the protocol --------------------------------------------------------------- */

static void h2_free(pl_srv_conn_t *c)
{
	if (c->h2 == NULL)
		return;
	/* Deleting the session calls no callback: the streams still open
	 * are freed here. */
	nghttp2_session_del(c->h2->session);
	while (c->h2->streams)
		stream_free(c->h2, c->h2->streams);
	free(c->h2);
	c->h2 = NULL;
}

static nghttp2_session *session_new(struct pl_srv_h2 *h)
{
	nghttp2_session_callbacks *cb;
	nghttp2_option *opt;
	nghttp2_session *s = NULL;
	if (nghttp2_session_callbacks_new(&cb) != 0)
		return NULL;
	if (nghttp2_option_new(&opt) != 0) {
		nghttp2_session_callbacks_del(cb);
		return NULL;
	}
	nghttp2_session_callbacks_set_on_begin_frame_callback(cb, on_begin_frame);
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb,
								on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb,
							       on_stream_close);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb,
								  on_data_chunk);
	const pl_srv_options_t *o = pl_srv_conn_runtime(h->c)->opts;
	/* nghttp2 refuses streams over the limit itself (RST_STREAM
	 * REFUSED_STREAM) even before the peer has our SETTINGS. */
	nghttp2_option_set_max_settings(opt, 32);
	/* on_data_chunk() acknowledges DATA itself (backpressure) */
	nghttp2_option_set_no_auto_window_update(opt, 1);
	if (nghttp2_session_server_new2(&s, cb, h, opt) != 0)
		s = NULL;
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cb);
	if (s == NULL)
		return NULL;
	nghttp2_settings_entry settings[] = {
		{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, o->h2_max_streams},
		{NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, o->h2_max_header_list},
		{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, o->h2_window},
		{NGHTTP2_SETTINGS_MAX_FRAME_SIZE, o->h2_max_frame},
		{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
		{NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1},
	};
	size_t n = sizeof(settings) / sizeof(settings[0]);
	if (!site_proxies(h->c))
		n--; /* RFC 8441 3: not offered where nothing is tunnelled */
	if (nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, settings, n) != 0) {
		nghttp2_session_del(s);
		return NULL;
	}
	return s;
}

static void h2_init(pl_srv_conn_t *c)
{
	struct pl_srv_h2 *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return; /* on_data closes */
	h->c = c;
	h->session = session_new(h);
	if (h->session == NULL) {
		free(h);
		return;
	}
	c->h2 = h;
}

/* GOAWAY naming the last stream we took: those finish, newer ones the
 * client may retry elsewhere (RFC 9113 6.8). */
static void final_goaway(struct pl_srv_h2 *h)
{
	if (h->goaway)
		return;
	h->goaway = true;
	(void)nghttp2_submit_goaway(
		h->session, NGHTTP2_FLAG_NONE,
		nghttp2_session_get_last_proc_stream_id(h->session),
		NGHTTP2_NO_ERROR, NULL, 0);
}

/* A graceful stop in two steps (RFC 9113 6.8): a GOAWAY naming stream
 * 2^31-1 at once, which tells the client to open no more streams here,
 * then the final GOAWAY naming the last stream we took, once the
 * connection has been quiet for the drain grace (timed_out()). The RFC's
 * least wait is one round trip; waiting for quiet also covers a client
 * that reads the first GOAWAY late or keeps opening streams anyway. A
 * stream it sent before it saw the final GOAWAY would be refused, and
 * curl reports that as a failed transfer ("Error in the HTTP2 framing
 * layer", which a single GOAWAY at once caused across a reload). */
static void goaway(struct pl_srv_h2 *h)
{
	if (h->goaway || h->notice)
		return;
	h->notice = true;
	if (nghttp2_submit_shutdown_notice(h->session) != 0)
		final_goaway(h);
}

/* nghttp2's fatal errors, as the GOAWAY code that says why. */
static uint32_t fatal_code(ssize_t err)
{
	switch (err) {
	case NGHTTP2_ERR_FLOODED:
	case NGHTTP2_ERR_TOO_MANY_CONTINUATIONS:
		return NGHTTP2_ENHANCE_YOUR_CALM;
	case NGHTTP2_ERR_HEADER_COMP:
		return NGHTTP2_COMPRESSION_ERROR;
	case NGHTTP2_ERR_FLOW_CONTROL:
		return NGHTTP2_FLOW_CONTROL_ERROR;
	case NGHTTP2_ERR_NOMEM:
	case NGHTTP2_ERR_CALLBACK_FAILURE:
		return NGHTTP2_INTERNAL_ERROR;
	default:
		return NGHTTP2_PROTOCOL_ERROR;
	}
}

static void receive(pl_srv_conn_t *c, struct pl_srv_h2 *h)
{
	size_t len = pl_buf_size(&c->in);
	if (len == 0)
		return;
	ssize_t n = nghttp2_session_mem_recv(h->session, pl_buf_head(&c->in),
					     len);
	pl_buf_consume(&c->in, len);
	pl_srv_conn_set_phase(c, PL_SRV_PHASE_IDLE); /* re-arms the timeout */
	if (n < 0) {
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_INFO, "%s: HTTP/2: %s", c->peer,
				   nghttp2_strerror((int)n));
		(void)nghttp2_session_terminate_session(h->session,
							fatal_code(n));
		h->goaway = true;
	}
}

/* The frames of one turn are gathered here and go to the transport a
 * record's worth at a time: nghttp2 hands out each frame on its own (a
 * HEADERS, then a DATA of 1 KiB), and a record per frame would cost a
 * nonce set-up, a tag and 22 bytes on the wire each; a large frame (a
 * file's DATA) goes to the transport as it is, without the copy. One
 * buffer serves every connection of the worker (single-threaded): it is
 * empty between calls, and wiped after use like a record. */
#define STAGE_SIZE 16384
/* A chunk at least this large fills records well on its own. */
#define DIRECT_MIN 4096
static uint8_t stage[STAGE_SIZE];

static int stage_flush(pl_srv_conn_t *c, size_t *staged)
{
	if (*staged == 0)
		return PL_OK;
	int ret = c->transport->send(c, stage, *staged);
	pl_cleanse(stage, *staged);
	*staged = 0;
	return ret;
}

/* Frames out while the transport's output is small. */
static void send_frames(pl_srv_conn_t *c, struct pl_srv_h2 *h)
{
	size_t staged = 0;
	bool moved = false;
	while (pl_srv_conn_pending(c) + staged < OUTPUT_HIGH_WATER) {
		const uint8_t *p;
		ssize_t n = nghttp2_session_mem_send(h->session, &p);
		if (n < 0) {
			PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "%s: HTTP/2: %s",
					   c->peer, nghttp2_strerror((int)n));
			pl_cleanse(stage, staged);
			pl_srv_conn_close_now(c);
			return;
		}
		if (n == 0)
			break;
		moved = true;
		if ((size_t)n >= DIRECT_MIN) {
			/* a large DATA frame: its own records, not copied
			 * (what is staged goes first, to keep the order) */
			if (stage_flush(c, &staged) != PL_OK ||
			    c->transport->send(c, p, (size_t)n) != PL_OK) {
				pl_srv_conn_close_now(c);
				return;
			}
			continue;
		}
		while (n > 0) {
			size_t take = STAGE_SIZE - staged;
			if (take > (size_t)n)
				take = (size_t)n;
			memcpy(stage + staged, p, take);
			staged += take;
			p += take;
			n -= (ssize_t)take;
			if (staged == STAGE_SIZE &&
			    stage_flush(c, &staged) != PL_OK) {
				pl_srv_conn_close_now(c);
				return;
			}
		}
	}
	if (stage_flush(c, &staged) != PL_OK) {
		pl_srv_conn_close_now(c);
		return;
	}
	if (moved)
		pl_srv_conn_set_phase(c, PL_SRV_PHASE_IDLE);
}

static void on_data(pl_srv_conn_t *c)
{
	struct pl_srv_h2 *h = c->h2;
	if (h == NULL) {
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "%s: out of memory for an "
				   "HTTP/2 session", c->peer);
		pl_srv_conn_close_now(c);
		return;
	}
	h->busy = true;
	h->took_request = false;
	receive(c, h);
	if (c->draining)
		goaway(h);
	send_frames(c, h);
	h->busy = false;
	if (c->phase == PL_SRV_PHASE_DEAD)
		return;
	/* Both sides are done (GOAWAY and no stream left): close. */
	if (!nghttp2_session_want_read(h->session) &&
	    !nghttp2_session_want_write(h->session))
		c->close_after = true;
	else if (pl_buf_size(&c->in) == 0)
		pl_buf_free(&c->in);
	/* Stopping: the final GOAWAY after a quiet grace, not the idle
	 * timeout (every byte that moves re-arms it). */
	if (c->draining && !h->goaway && !c->close_after)
		pl_srv_conn_drain_grace(c);
}

static bool wants_write(pl_srv_conn_t *c)
{
	return c->h2 && nghttp2_session_want_write(c->h2->session);
}

/* FIRST/IDLE timed out. Stopping, after the drain grace: the final
 * GOAWAY; the streams it names may still finish. Otherwise nothing moved
 * for the idle timeout (a zero-window stall included): GOAWAY and close,
 * cutting the streams still open. Once more (the GOAWAY could not even be
 * sent): close at once. */
static void timed_out(pl_srv_conn_t *c)
{
	struct pl_srv_h2 *h = c->h2;
	if (h == NULL || h->terminated) {
		pl_srv_conn_close_now(c);
		return;
	}
	if (c->draining && !h->goaway) {
			final_goaway(h);
		return;
	}
	h->goaway = h->terminated = true;
	(void)nghttp2_session_terminate_session(h->session, NGHTTP2_NO_ERROR);
}

/* Nothing to send and no stream open: the transport gives back its
 * empty record buffers (the request buffer is already gone, on_data()).
 * Not after a turn that brought requests, though: more usually follow at
 * once, and the buffers would be wiped and made again for each batch; a
 * client that has finished for now sends only control frames last
 * (SETTINGS ACK, WINDOW_UPDATE, PING), or nothing (the idle timeout). */
static void quiet(pl_srv_conn_t *c)
{
	if (c->h2 && c->h2->streams == NULL && !c->h2->took_request)
		c->transport->shrink(c);
}

static void drain(pl_srv_conn_t *c)
{
	(void)c; /* on_data() sees c->draining and sends GOAWAY */
}

static bool produce(pl_srv_conn_t *c)
{
	(void)c; /* never in REPLY: on_data() sends */
	return true;
}

static void nothing(pl_srv_conn_t *c)
{
	(void)c;
}

const pl_srv_protocol_t pl_srv_h2 = {
	.name = "HTTP/2",
	.init = h2_init,
	.on_data = on_data,
	.produce = produce,
	.reply_sent = nothing,
	.timed_out = timed_out,
	.cut_short = nothing,
	.free = h2_free,
	.wants_write = wants_write,
	.drain = drain,
	.quiet = quiet,
};

const pl_srv_protocol_t *pl_srv_protocol_for_alpn(const char *alpn)
{
	return alpn && strcmp(alpn, "h2") == 0 ? &pl_srv_h2 : &pl_srv_http1;
}
