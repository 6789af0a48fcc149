/*
 * A request over HTTP/2 (RFC 9113) when ALPN chose h2. libnghttp2 does the
 * framing, HPACK (RFC 7541) and flow control; this file gives it padlock's
 * TLS connection as its transport (nghttp2's memory interface: bytes in,
 * bytes out) and maps the one response stream onto pl_client_response_t,
 * bounding what a hostile server can make it hold: the head fits in
 * resp->head or the fetch fails, interim responses are counted, and every
 * way the stream can end early is told in one sentence.
 */
#include <nghttp2/nghttp2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_internal.h"
#include "padlock/client.h"

/* Our receive windows: the body is passed on as it arrives (nghttp2
 * keeps no DATA), so the server may send well ahead of it (RFC 9113
 * 6.9.2). At 1 MiB a 5 MiB file took half again as long as over
 * HTTP/1.1 from padlock serve; at 16 MiB the two are alike. */
#define STREAM_WINDOW (16 << 20)
#define CONNECTION_WINDOW (32 << 20)
#define RECEIVE_CHUNK 16384
#define INTERIM_MAX 16       /* 1xx responses before the final one */
#define VERSION "HTTP/2"

/* One request and what came of it. */
struct h2_fetch {
	pl_client_io_t *io;
	const pl_client_url_t *url;
	const pl_client_request_t *req;
	pl_client_response_t *resp;
	nghttp2_session *session;
	int32_t stream_id;
	size_t head_used;      /* bytes of resp->head taken */
	int interim;           /* 1xx responses seen */
	bool head_done;        /* the final head went to on_head */
	bool trailers;         /* the header block being read is trailers */
	bool closed;           /* the stream is closed */
	uint32_t close_code;   /* with this error code (0: complete) */
	bool reset_by_server;  /* it came in a RST_STREAM from the server */
	bool goaway;           /* the server sent GOAWAY */
	uint32_t goaway_code;
	char goaway_debug[80];
	uint32_t sent_code;    /* an error code padlock sent (RST_STREAM or
				  GOAWAY): the server broke a rule */
	int failure;           /* a callback failed with io->err set */
	char invalid[200];     /* what nghttp2 found wrong, first only */
	uint64_t data_frames;  /* DATA frames of the stream, for -v */
	bool framed;           /* a whole frame came from the server */
	char first[24];        /* its first bytes, to name a server that
				  chose h2 but answers in HTTP/1.x */
	size_t first_len;
	size_t body_sent;      /* bytes of req->body given to nghttp2 */
};

/* One sentence into io->err; returns code. */
__attribute__((format(printf, 3, 4)))
static int fail(struct h2_fetch *f, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->io->err, sizeof f->io->err, fmt, ap);
	va_end(ap);
	return code;
}

/* A callback's failure: the sentence in io->err, nghttp2 told to stop. */
static int callback_failed(struct h2_fetch *f, int code)
{
	f->failure = code;
	return NGHTTP2_ERR_CALLBACK_FAILURE;
}

static int malformed(struct h2_fetch *f, const char *what)
{
	pl_client_fail(f->io->err, sizeof f->io->err, PL_ERR_DECODE,
		       "malformed HTTP/2 response: %s", what);
	return callback_failed(f, PL_ERR_DECODE);
}

/* ---- the response head ------------------------------------------------------ */

/* A new header block: an interim head is replaced by the next one. */
static void start_head(struct h2_fetch *f)
{
	pl_client_response_t *resp = f->resp;

	memcpy(resp->head, VERSION, sizeof VERSION);
	resp->version = resp->head;
	resp->reason = "";
	resp->status = 0;
	resp->header_count = 0;
	f->head_used = sizeof VERSION;
}

/* Copies len bytes and a NUL into resp->head; NULL when they do not fit. */
static const char *keep(struct h2_fetch *f, const uint8_t *p, size_t len)
{
	char *out = f->resp->head + f->head_used;

	if (len >= sizeof f->resp->head - f->head_used)
		return NULL;
	memcpy(out, p, len);
	out[len] = '\0';
	f->head_used += len + 1;
	return out;
}

/* RFC 9113 8.3.2: :status is the three-digit code, nothing else. */
static int take_status(struct h2_fetch *f, const uint8_t *v, size_t len)
{
	if (f->resp->status != 0)
		return malformed(f, ":status appears twice");
	if (len != 3 || v[0] < '1' || v[0] > '5' || v[1] < '0' || v[1] > '9' ||
	    v[2] < '0' || v[2] > '9')
		return malformed(f, ":status is not a code from 100 to 599");
	f->resp->status = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
	return 0;
}

static bool has_control(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			return true;
	return false;
}

static int take_field(struct h2_fetch *f, const uint8_t *name, size_t name_len,
		      const uint8_t *value, size_t value_len)
{
	pl_client_response_t *resp = f->resp;
	pl_client_header_t *h;

	/* nghttp2 checks names and values against RFC 9113 8.2.1; the same
	 * control characters HTTP/1.1 refuses are refused here too, so that
	 * what reaches a caller is alike in both. */
	if (has_control(value, value_len))
		return malformed(f, "control character in a header value");
	if (resp->header_count == PL_CLIENT_HEADERS_MAX) {
		pl_client_fail(f->io->err, sizeof f->io->err, PL_ERR_DECODE,
			"malformed HTTP/2 response: more than %d header fields",
			PL_CLIENT_HEADERS_MAX);
		return callback_failed(f, PL_ERR_DECODE);
	}
	h = &resp->headers[resp->header_count];
	h->name = keep(f, name, name_len);
	h->value = h->name != NULL ? keep(f, value, value_len) : NULL;
	if (h->value == NULL) {
		pl_client_fail(f->io->err, sizeof f->io->err, PL_ERR_DECODE,
			"malformed HTTP/2 response: the header fields exceed "
			"%d bytes", PL_CLIENT_HEAD_MAX);
		return callback_failed(f, PL_ERR_DECODE);
	}
	resp->header_count++;
	return 0;
}

static int on_begin_headers(nghttp2_session *session,
			    const nghttp2_frame *frame, void *user_data)
{
	struct h2_fetch *f = user_data;

	if (frame->hd.stream_id != f->stream_id)
		return 0;
	f->trailers = f->head_done;
	if (!f->trailers)
		start_head(f);
	return 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame,
		     const uint8_t *name, size_t name_len, const uint8_t *value,
		     size_t value_len, uint8_t flags, void *user_data)
{
	struct h2_fetch *f = user_data;

	/* Trailer fields are read (HPACK state needs them) and dropped,
	 * as HTTP/1.1's are. */
	if (frame->hd.type != NGHTTP2_HEADERS ||
	    frame->hd.stream_id != f->stream_id || f->trailers)
		return 0;
	if (name_len == 7 && memcmp(name, ":status", 7) == 0)
		return take_status(f, value, value_len);
	if (name_len > 0 && name[0] == ':')
		return malformed(f, "a pseudo-header other than :status");
	return take_field(f, name, name_len, value, value_len);
}

/* The end of a response header block: interim, or the final head. */
static int head_received(struct h2_fetch *f)
{
	pl_client_response_t *resp = f->resp;

	if (f->trailers)
		return 0;
	if (resp->status == 0)
		return malformed(f, "the response has no :status");
	if (resp->status == 101)
		return malformed(f, ":status 101 (switching protocols is not "
				    "allowed in HTTP/2)");
	if (resp->status < 200) {
		if (++f->interim > INTERIM_MAX) {
			pl_client_fail(f->io->err, sizeof f->io->err,
				PL_ERR_DECODE, "malformed HTTP/2 response: more "
				"than %d interim (1xx) responses", INTERIM_MAX);
			return callback_failed(f, PL_ERR_DECODE);
		}
		return 0;
	}
	f->head_done = true;
	if (f->req->on_head != NULL)
		f->req->on_head(f->req->arg, resp);
	return 0;
}

/* ---- the body ---------------------------------------------------------------- */

static int on_data_chunk(nghttp2_session *session, uint8_t flags,
			 int32_t stream_id, const uint8_t *data, size_t len,
			 void *user_data)
{
	struct h2_fetch *f = user_data;
	pl_client_io_t *io = f->io;
	int rc;

	if (stream_id != f->stream_id || len == 0)
		return 0;
	f->resp->body_bytes += len;
	if (f->req->on_body == NULL)
		return 0;
	io->err[0] = '\0';
	rc = f->req->on_body(f->req->arg, data, len, io->err, sizeof io->err);
	if (rc == PL_OK)
		return 0;
	if (io->err[0] == '\0')
		pl_client_fail(io->err, sizeof io->err, rc,
			       "the response body could not be stored");
	return callback_failed(f, rc);
}

/* ---- frames for -v ------------------------------------------------------------ */

static const char *setting_name(int32_t id)
{
	switch (id) {
	case NGHTTP2_SETTINGS_HEADER_TABLE_SIZE: return "header_table_size";
	case NGHTTP2_SETTINGS_ENABLE_PUSH: return "enable_push";
	case NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS:
		return "max_concurrent_streams";
	case NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE: return "initial_window_size";
	case NGHTTP2_SETTINGS_MAX_FRAME_SIZE: return "max_frame_size";
	case NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE:
		return "max_header_list_size";
	case NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL:
		return "enable_connect_protocol";
	case NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES:
		return "no_rfc7540_priorities";
	default: return NULL;
	}
}

static void settings_text(const nghttp2_settings *s, uint8_t flags,
			  char *out, size_t cap)
{
	size_t used = 0;

	out[0] = '\0';
	if (flags & NGHTTP2_FLAG_ACK) {
		snprintf(out, cap, "ACK");
		return;
	}
	if (s->niv == 0)
		snprintf(out, cap, "(all defaults)");
	for (size_t i = 0; i < s->niv && used < cap; i++) {
		const char *name = setting_name(s->iv[i].settings_id);
		int n = name != NULL
			? snprintf(out + used, cap - used, "%s%s %u",
				   i > 0 ? ", " : "", name, s->iv[i].value)
			: snprintf(out + used, cap - used, "%s0x%x %u",
				   i > 0 ? ", " : "", s->iv[i].settings_id,
				   s->iv[i].value);
		if (n < 0)
			return;
		used += (size_t)n;
	}
}

static const char *end_stream(const nghttp2_frame *frame)
{
	return frame->hd.flags & NGHTTP2_FLAG_END_STREAM ? ", END_STREAM" : "";
}

static void headers_text(struct h2_fetch *f, bool sent,
			 const nghttp2_frame *frame, char *out, size_t cap)
{
	const pl_client_response_t *r = f->resp;

	if (sent)
		snprintf(out, cap, "stream %d: %s %.200s%s", frame->hd.stream_id,
			 f->req->method, f->url->path, end_stream(frame));
	else if (frame->hd.stream_id != f->stream_id)
		snprintf(out, cap, "stream %d", frame->hd.stream_id);
	else if (f->trailers)
		snprintf(out, cap, "stream %d: trailer fields (dropped)%s",
			 frame->hd.stream_id, end_stream(frame));
	else
		snprintf(out, cap, "stream %d: :status %d%s, %zu header "
			 "field%s%s", frame->hd.stream_id, r->status,
			 r->status < 200 ? " (interim)" : "", r->header_count,
			 r->header_count == 1 ? "" : "s", end_stream(frame));
}

/* DATA received: the first frame and the last; false for those between
 * (and for the request body's but its last). */
static bool data_text(struct h2_fetch *f, bool sent,
		      const nghttp2_frame *frame, char *out, size_t cap)
{
	bool last = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;

	if (frame->hd.stream_id != f->stream_id)
		return false;
	if (sent) {
		/* the request body: its end only */
		snprintf(out, cap, "stream %d: %zu bytes, END_STREAM (the "
			 "request body: %zu bytes)", frame->hd.stream_id,
			 frame->hd.length, f->req->body_len);
		return last;
	}
	f->data_frames++;
	if (f->data_frames == 1 || !last)
		snprintf(out, cap, "stream %d: %zu bytes%s%s",
			 frame->hd.stream_id, frame->hd.length,
			 end_stream(frame), last ? "" : " (the next DATA "
			 "frames are not shown)");
	else
		snprintf(out, cap, "stream %d: %zu bytes, END_STREAM (the body: "
			 "%llu bytes in %llu DATA frames)", frame->hd.stream_id,
			 frame->hd.length,
			 (unsigned long long)f->resp->body_bytes,
			 (unsigned long long)f->data_frames);
	return f->data_frames == 1 || last;
}

static void goaway_text(const nghttp2_goaway *g, char *out, size_t cap)
{
	char debug[100] = "";

	if (g->opaque_data_len > 0)
		pl_client_quote((const char *)g->opaque_data,
				g->opaque_data_len, debug, sizeof debug);
	snprintf(out, cap, "%s, last stream %d%s%s%s",
		 nghttp2_http2_strerror(g->error_code), g->last_stream_id,
		 debug[0] != '\0' ? ", '" : "", debug,
		 debug[0] != '\0' ? "'" : "");
}

/* One -v line about a frame; WINDOW_UPDATE and PRIORITY are left out. */
static void trace(struct h2_fetch *f, bool sent, const nghttp2_frame *frame)
{
	const char *type;
	char text[300];

	if (f->req->on_frame == NULL)
		return;
	switch (frame->hd.type) {
	case NGHTTP2_SETTINGS:
		type = "SETTINGS";
		settings_text(&frame->settings, frame->hd.flags, text,
			      sizeof text);
		break;
	case NGHTTP2_HEADERS:
		type = "HEADERS";
		headers_text(f, sent, frame, text, sizeof text);
		break;
	case NGHTTP2_DATA:
		type = "DATA";
		if (!data_text(f, sent, frame, text, sizeof text))
			return;
		break;
	case NGHTTP2_RST_STREAM:
		type = "RST_STREAM";
		snprintf(text, sizeof text, "stream %d: %s", frame->hd.stream_id,
			 nghttp2_http2_strerror(frame->rst_stream.error_code));
		break;
	case NGHTTP2_GOAWAY:
		type = "GOAWAY";
		goaway_text(&frame->goaway, text, sizeof text);
		break;
	case NGHTTP2_PING:
		type = "PING";
		snprintf(text, sizeof text, "%s",
			 frame->hd.flags & NGHTTP2_FLAG_ACK ? "ACK" : "");
		break;
	default:
		return;
	}
	f->req->on_frame(f->req->frame_arg, sent, type, text);
}

/* ---- session callbacks ------------------------------------------------------------ */

static void note_invalid(struct h2_fetch *f, const char *text)
{
	if (f->invalid[0] == '\0')
		snprintf(f->invalid, sizeof f->invalid, "%s", text);
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame,
			 void *user_data)
{
	struct h2_fetch *f = user_data;

	f->framed = true;
	if (frame->hd.type == NGHTTP2_GOAWAY) {
		f->goaway = true;
		f->goaway_code = frame->goaway.error_code;
		if (frame->goaway.opaque_data_len > 0)
			pl_client_quote((const char *)frame->goaway.opaque_data,
					frame->goaway.opaque_data_len,
					f->goaway_debug, sizeof f->goaway_debug);
	}
	if (frame->hd.type == NGHTTP2_RST_STREAM &&
	    frame->hd.stream_id == f->stream_id)
		f->reset_by_server = true;
	trace(f, false, frame);
	if (frame->hd.type == NGHTTP2_HEADERS &&
	    frame->hd.stream_id == f->stream_id)
		return head_received(f);
	return 0;
}

static int on_frame_send(nghttp2_session *session, const nghttp2_frame *frame,
			 void *user_data)
{
	struct h2_fetch *f = user_data;

	if (frame->hd.type == NGHTTP2_RST_STREAM && f->sent_code == 0)
		f->sent_code = frame->rst_stream.error_code;
	if (frame->hd.type == NGHTTP2_GOAWAY && f->sent_code == 0) {
		f->sent_code = frame->goaway.error_code;
		/* nghttp2 puts its reason for a connection error in the
		 * GOAWAY's debug data ("HEADERS: max frame size exceeded"). */
		if (frame->goaway.opaque_data_len > 0) {
			char why[160];
			pl_client_quote((const char *)frame->goaway.opaque_data,
					frame->goaway.opaque_data_len, why,
					sizeof why);
			note_invalid(f, why);
		}
	}
	trace(f, true, frame);
	return 0;
}

static int on_invalid_frame(nghttp2_session *session,
			    const nghttp2_frame *frame, int lib_error,
			    void *user_data)
{
	note_invalid(user_data, nghttp2_strerror(lib_error));
	return 0;
}

/* nghttp2's own sentence on a connection error ("SETTINGS: too many
 * SETTINGS"); only the first is kept. */
static int on_error(nghttp2_session *session, int lib_error, const char *msg,
		    size_t len, void *user_data)
{
	char text[160];

	pl_client_quote(msg, len, text, sizeof text);
	note_invalid(user_data, text);
	return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id,
			   uint32_t error_code, void *user_data)
{
	struct h2_fetch *f = user_data;

	if (stream_id == f->stream_id) {
		f->closed = true;
		f->close_code = error_code;
	}
	return 0;
}

static int make_session(struct h2_fetch *f)
{
	nghttp2_session_callbacks *cb = NULL;
	int rc;

	if (nghttp2_session_callbacks_new(&cb) != 0)
		return PL_ERR_NOMEM;
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb,
		on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
	nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb,
		on_data_chunk);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb,
		on_stream_close);
	nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cb,
		on_invalid_frame);
	nghttp2_session_callbacks_set_error_callback2(cb, on_error);
	rc = nghttp2_session_client_new(&f->session, cb, f);
	nghttp2_session_callbacks_del(cb);
	return rc == 0 ? PL_OK : PL_ERR_NOMEM;
}

/* ---- the exchange ------------------------------------------------------------------ */

/* The request body for DATA frames: copied as nghttp2 asks, END_STREAM
 * with the last piece (RFC 9113 8.1). */
static ssize_t read_body(nghttp2_session *session, int32_t stream_id,
			 uint8_t *buf, size_t length, uint32_t *data_flags,
			 nghttp2_data_source *source, void *user_data)
{
	struct h2_fetch *f = user_data;
	size_t left = f->req->body_len - f->body_sent;
	size_t n = left < length ? left : length;

	(void)session;
	(void)stream_id;
	(void)source;
	if (n > 0)
		memcpy(buf, f->req->body + f->body_sent, n);
	f->body_sent += n;
	if (f->body_sent == f->req->body_len)
		*data_flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

/* RFC 9113 3.4: the preface (nghttp2 writes the magic) and SETTINGS: no
 * server push, a wider window; then the request, END_STREAM at once when
 * it has no body. */
static int submit(struct h2_fetch *f)
{
	const nghttp2_settings_entry settings[] = {
		{ NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW },
	};
	const char *path = f->url->path[0] != '\0' ? f->url->path : "/";
	const char *type = f->req->content_type;
	char length[24];
	nghttp2_data_provider body = { .read_callback = read_body };

	snprintf(length, sizeof length, "%zu", f->req->body_len);
#define FIELD(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, \
		      strlen(v), NGHTTP2_NV_FLAG_NONE }
	const nghttp2_nv fields[] = {
		FIELD(":method", f->req->method),
		FIELD(":scheme", "https"),
		FIELD(":authority", f->url->authority),
		FIELD(":path", path),
		FIELD("user-agent", "padlock/0.1"),
		FIELD("accept", "*/*"),
		FIELD("content-type", type != NULL ? type : ""),
		FIELD("content-length", length),
	};
#undef FIELD
	size_t n_fields = sizeof fields / sizeof fields[0] - (type ? 0 : 2);

	if (nghttp2_submit_settings(f->session, NGHTTP2_FLAG_NONE, settings,
				    sizeof settings / sizeof settings[0]) != 0 ||
	    nghttp2_session_set_local_window_size(f->session, NGHTTP2_FLAG_NONE,
						  0, CONNECTION_WINDOW) != 0)
		return fail(f, PL_ERR_NOMEM, "out of memory");
	f->stream_id = nghttp2_submit_request(f->session, NULL, fields,
		n_fields, type != NULL ? &body : NULL, f);
	if (f->stream_id < 0)
		return fail(f, PL_ERR_ARG, "the HTTP/2 request cannot be sent: "
			    "%s", nghttp2_strerror(f->stream_id));
	return PL_OK;
}

/* Sends every frame nghttp2 has queued. */
static int send_pending(struct h2_fetch *f)
{
	for (;;) {
		const uint8_t *data = NULL;
		ssize_t n = nghttp2_session_mem_send(f->session, &data);

		if (n < 0 && f->failure != 0)
			return f->failure;
		if (n < 0)
			return fail(f, PL_ERR_STATE, "HTTP/2: %s",
				    nghttp2_strerror((int)n));
		if (n == 0)
			return PL_OK;
		int rc = pl_client_write(f->io, data, (size_t)n);
		if (rc != PL_OK)
			return rc;
	}
}

/* The first bytes the server sent. */
static void keep_first(struct h2_fetch *f, const uint8_t *p, size_t n)
{
	size_t take = sizeof f->first - f->first_len;

	if (take > n)
		take = n;
	memcpy(f->first + f->first_len, p, take);
	f->first_len += take;
}

/* A server that chose h2 in ALPN yet answers as HTTP/1.x: its first
 * bytes are a status line, not the SETTINGS frame RFC 9113 3.4 wants. */
static int http1_answer(struct h2_fetch *f)
{
	char line[sizeof f->first * 4 + 4];
	size_t len = strcspn(f->first, "\r\n");

	if (len > f->first_len)
		len = f->first_len;
	pl_client_quote(f->first, len, line, sizeof line);
	return fail(f, PL_ERR_DECODE, "the server chose h2 in ALPN but "
		    "answers in HTTP/1.x ('%s...'), not with HTTP/2 frames",
		    line);
}

/* Why the stream ended without a complete response, in one sentence. */
static int stream_failed(struct h2_fetch *f)
{
	const char *length = f->head_done ? pl_client_header(f->resp,
		"content-length") : NULL;
	char code[64];

	if (f->failure != 0)
		return f->failure;
	if (!f->framed && f->first_len >= 5 &&
	    memcmp(f->first, "HTTP/", 5) == 0)
		return http1_answer(f);
	if (f->sent_code != 0 && !f->reset_by_server) {
		snprintf(code, sizeof code, "%s",
			 nghttp2_http2_strerror(f->sent_code));
		if (f->invalid[0] == '\0' && f->head_done &&
		    strcmp(f->req->method, "HEAD") == 0)
			return fail(f, PL_ERR_DECODE, "malformed HTTP/2 from the "
				    "server: its response to HEAD carries a body "
				    "(RFC 9110 9.3.2; padlock answered %s)", code);
		if (f->invalid[0] == '\0' && length != NULL)
			return fail(f, PL_ERR_DECODE, "malformed HTTP/2 from the "
				    "server: the DATA frames do not add up to "
				    "the content-length of %s bytes (RFC 9113 "
				    "8.1.1; padlock answered %s)", length, code);
		return fail(f, PL_ERR_DECODE, "malformed HTTP/2 from the server: "
			    "%s (padlock answered %s)",
			    f->invalid[0] != '\0' ? f->invalid
						  : "it broke RFC 9113", code);
	}
	if (f->reset_by_server)
		return fail(f, PL_ERR_DECODE, "the server reset the HTTP/2 "
			    "stream %s(RST_STREAM %s)",
			    f->head_done ? "in the middle of the body "
					 : "before answering ",
			    nghttp2_http2_strerror(f->close_code));
	if (f->goaway) {
		snprintf(code, sizeof code, "%s",
			 nghttp2_http2_strerror(f->goaway_code));
		return fail(f, PL_ERR_DECODE, "the server ended the HTTP/2 "
			    "connection (GOAWAY %s%s%s%s) before the response "
			    "was complete", code,
			    f->goaway_debug[0] != '\0' ? ": '" : "",
			    f->goaway_debug,
			    f->goaway_debug[0] != '\0' ? "'" : "");
	}
	if (f->close_code != 0)
		return fail(f, PL_ERR_DECODE, "the HTTP/2 stream ended with %s",
			    nghttp2_http2_strerror(f->close_code));
	return fail(f, PL_ERR_DECODE, "malformed HTTP/2 response: the stream "
		    "ended without a final response");
}

/* The transport failed: the server closed, or a timeout (io->err). */
static int read_failed(struct h2_fetch *f, int rc)
{
	char got[80];

	if (rc != PL_ERR_CLOSED && !f->io->tcp_closed)
		return rc;
	if (f->goaway)
		return stream_failed(f);
	snprintf(got, sizeof got, "%llu body bytes",
		 (unsigned long long)f->resp->body_bytes);
	return fail(f, PL_ERR_DECODE, "the server closed the connection %s%s "
		    "of the HTTP/2 response", f->head_done ? "after " : "before "
		    "the head", f->head_done ? got : "");
}

/* Until the stream closes: send what nghttp2 queued, read, feed. */
static int exchange(struct h2_fetch *f)
{
	uint8_t buf[RECEIVE_CHUNK];

	for (;;) {
		int rc = send_pending(f);
		if (rc != PL_OK)
			return rc;
		if (f->closed)
			return f->close_code == 0 && f->head_done
			       ? PL_OK : stream_failed(f);
		if (!nghttp2_session_want_read(f->session))
			return stream_failed(f);
		size_t n = 0;
		rc = pl_client_read(f->io, buf, sizeof buf, &n);
		if (rc != PL_OK)
			return read_failed(f, rc);
		keep_first(f, buf, n);
		ssize_t used = nghttp2_session_mem_recv(f->session, buf, n);
		if (used < 0) {
			/* The GOAWAY nghttp2 may have queued says why to the
			 * server; the sentence for the user is ours. */
			(void)send_pending(f);
			if (f->failure != 0)
				return f->failure;
			note_invalid(f, nghttp2_strerror((int)used));
			if (f->sent_code == 0)
				f->sent_code = NGHTTP2_PROTOCOL_ERROR;
			return stream_failed(f);
		}
	}
}

int pl_client_h2_fetch(pl_client_io_t *io, const pl_client_url_t *url,
		       const pl_client_request_t *req,
		       pl_client_response_t *resp)
{
	struct h2_fetch f = { .io = io, .url = url, .req = req, .resp = resp };
	int rc;

	io->err[0] = '\0';
	if (make_session(&f) != PL_OK)
		return pl_client_fail(io->err, sizeof io->err, PL_ERR_NOMEM,
				      "out of memory");
	start_head(&f);
	rc = submit(&f);
	if (rc == PL_OK)
		rc = exchange(&f);
	if (rc == PL_OK) {
		/* RFC 9113 6.8: say goodbye before close_notify. A failure
		 * here costs nothing: the response is complete. */
		(void)nghttp2_session_terminate_session(f.session,
							NGHTTP2_NO_ERROR);
		(void)send_pending(&f);
		io->err[0] = '\0';
	}
	nghttp2_session_del(f.session);
	return rc;
}
