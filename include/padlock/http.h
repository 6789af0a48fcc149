/*
 * padlock http: the HTTP/1.1 request parser and response writer (RFC 9112
 * message syntax, RFC 9110 semantics), sans-I/O like the TLS engine.
 *
 * Nothing here touches a socket or a clock. The server reads bytes from
 * the TLS engine and gives them to pl_http_parse(); the parser answers with
 * one event per call: the request head is complete, here are body bytes,
 * the message is complete, or it needs more input. Responses are written
 * into a growable buffer the server then passes to pl_tls_write().
 *
 * The parser is strict where leniency has let requests be smuggled past a
 * front end (RFC 9112 11.2): it accepts the RFC 9112 grammar and nothing
 * looser (no bare LF, no obs-fold, one SP between request-line parts), and
 * every failure carries the status code to answer with and one sentence
 * that says why. After any failure the connection must be closed.
 *
 * Memory. The parser copies the request line and header section (at most
 * the limits below) into a buffer of its own and hands out slices of it:
 * the caller's input buffer can be reused as soon as a call returns, except
 * for body bytes, which are never copied (PL_HTTP_BODY points into the
 * caller's input). pl_http_parser_shrink() releases the parser's buffers
 * while the connection idles between requests.
 */
#ifndef PADLOCK_HTTP_H
#define PADLOCK_HTTP_H

#include <time.h>

#include "padlock/common.h"

/* ---- strings and fields --------------------------------------------------- */

/* A slice of text. Slices the parser hands out are also NUL-terminated (the
 * parser rejects NUL inside them), so ptr works as a C string too. */
typedef struct {
	const char *ptr;
	size_t len;
} pl_http_str_t;

/* One field line: the name as received (compare it case-insensitively),
 * the value with the optional whitespace around it removed (RFC 9112 5.1). */
typedef struct {
	pl_http_str_t name;
	pl_http_str_t value;
} pl_http_field_t;

/* ---- limits ---------------------------------------------------------------- */

#define PL_HTTP_DEFAULT_MAX_REQUEST_LINE 8192
#define PL_HTTP_DEFAULT_MAX_HEADER_BYTES 16384
#define PL_HTTP_DEFAULT_MAX_HEADER_COUNT 100
#define PL_HTTP_DEFAULT_MAX_BODY (1024 * 1024)
/* The largest value pl_http_parser_new() accepts for the first three
 * limits. */
#define PL_HTTP_LIMIT_MAX ((size_t)1 << 28)
/* Fixed bounds on chunked framing (not settable): one chunk-size line with
 * its extensions, and all chunk extensions of one message (RFC 9112 7.1.1
 * asks servers to limit them). Beyond either: 400. */
#define PL_HTTP_CHUNK_LINE_MAX 4096
#define PL_HTTP_CHUNK_EXT_TOTAL_MAX 16384
/* Empty lines (CRLF) ignored before a request line (RFC 9112 2.2); one more
 * is a 400. */
#define PL_HTTP_EMPTY_LINES_MAX 8

typedef struct {
	/* Bytes of the request line, CRLF excluded. Over it: 414. */
	size_t max_request_line;
	/* Bytes of all field lines, CRLFs included, request line excluded;
	 * trailer fields count too. Over it: 431. */
	size_t max_header_bytes;
	/* Field lines, trailer fields included. Over it: 431. */
	size_t max_header_count;
	/* Body bytes after the chunked coding is removed. Over it: 413, as
	 * soon as Content-Length or a chunk size announces it. */
	uint64_t max_body;
} pl_http_limits_t;

/* Fills limits with the defaults above. */
void pl_http_limits_default(pl_http_limits_t *limits);

/* ---- requests --------------------------------------------------------------- */

#define PL_HTTP_10 10
#define PL_HTTP_11 11

/* The four forms of a request-target (RFC 9112 3.2). */
typedef enum {
	PL_HTTP_TARGET_ORIGIN,    /* "/path?query" */
	PL_HTTP_TARGET_ABSOLUTE,  /* "http://host/path?query" */
	PL_HTTP_TARGET_AUTHORITY, /* "host:port", CONNECT only */
	PL_HTTP_TARGET_ASTERISK,  /* "*", OPTIONS only */
} pl_http_target_form_t;

/* How a message body is framed (RFC 9112 6.3). */
typedef enum {
	PL_HTTP_BODY_NONE,    /* no body */
	PL_HTTP_BODY_LENGTH,  /* Content-Length bytes */
	PL_HTTP_BODY_CHUNKED, /* Transfer-Encoding: chunked */
	/* Until the connection closes: a response with neither (RFC 9112
	 * 6.3 (8)), or one sent that way to an HTTP/1.0 client. Never a
	 * request. */
	PL_HTTP_BODY_CLOSE,
} pl_http_framing_t;

/* A parsed request head. Every slice points into the parser's buffer. */
typedef struct {
	pl_http_str_t method;  /* a token, case-sensitive ("GET") */
	pl_http_str_t target;  /* the request-target as received */
	pl_http_target_form_t target_form;
	/* PL_HTTP_10 or PL_HTTP_11. HTTP/1.2 to 1.9 are read as 1.1 (RFC 9110
	 * 6.2: the highest minor version we conform to). */
	int version;
	const pl_http_field_t *fields;  /* the header section, in order */
	size_t field_count;
	/* The trailer section of a chunked body, kept apart from the header
	 * fields (RFC 9112 7.1.2); valid from PL_HTTP_DONE. */
	const pl_http_field_t *trailers;
	size_t trailer_count;
	/* The Host field's value (empty when absent, which only HTTP/1.0
	 * allows). Checked against RFC 3986's uri-host [":" port]: no '/',
	 * '?', '#', '@', '\', whitespace or controls, so it can go into a
	 * Location URL as it is (but sub-delims such as ' and ( remain: escape
	 * it for HTML). With an absolute-form target the target's authority is
	 * the one to use (RFC 9112 3.2.2). */
	pl_http_str_t host;
	pl_http_framing_t framing;
	uint64_t content_length;  /* PL_HTTP_BODY_LENGTH */
	uint64_t body_received;   /* body bytes delivered so far */
	/* Whether the connection may carry another request after this one
	 * (RFC 9112 9.3): HTTP/1.1 unless "Connection: close", HTTP/1.0 only
	 * with "Connection: keep-alive". A 1.0 response that keeps the
	 * connection says "Connection: keep-alive" (the writer does). */
	bool keep_alive;
	/* "Expect: 100-continue" in an HTTP/1.1 request (ignored in 1.0, RFC
	 * 9110 10.1.1). The server decides: send "100 Continue" before reading
	 * the body, or a final status (and then close, or read the body). */
	bool expect_continue;
	/* Expect in an HTTP/1.1 request named something other than
	 * 100-continue; a server MAY answer 417 (RFC 9110 10.1.1). */
	bool expect_unknown;
	/* A response parser's (pl_http_parser_new_response) status code and
	 * reason phrase; method and target are then empty. 0 in a request. */
	int status;
	pl_http_str_t reason;
} pl_http_request_t;

/* The first field at index >= *pos named name (compared case-insensitively)
 * among fields[0..count), or NULL; *pos is then set past it, so repeated
 * calls walk every line of a repeated field. pos may be NULL (start at 0). */
const pl_http_field_t *pl_http_fields_find(const pl_http_field_t *fields,
					   size_t count, const char *name,
					   size_t *pos);

/* The value of the first header field named name, or NULL. */
const pl_http_str_t *pl_http_header(const pl_http_request_t *req,
				    const char *name);

/* ---- the parser ----------------------------------------------------------- */

typedef struct pl_http_parser pl_http_parser_t;

typedef enum {
	/* All input was taken; call again when more arrives. */
	PL_HTTP_NEED_MORE,
	/* The request head is complete: pl_http_parser_request(). */
	PL_HTTP_HEAD,
	/* Body bytes: step.body, step.body_len (inside the caller's input). */
	PL_HTTP_BODY,
	/* The request is complete (trailers too). The next call starts on the
	 * next request, from whatever input follows. */
	PL_HTTP_DONE,
} pl_http_event_t;

typedef struct {
	pl_http_event_t event;
	size_t consumed;      /* bytes of the input this call used */
	const uint8_t *body;  /* PL_HTTP_BODY */
	size_t body_len;
} pl_http_step_t;

/* A new parser with limits (copied; NULL for the defaults). NULL when out
 * of memory or when a limit is 0 or above PL_HTTP_LIMIT_MAX (max_body may
 * be anything, 0 included). */
pl_http_parser_t *pl_http_parser_new(const pl_http_limits_t *limits);

/* A parser of responses (an upstream's, RFC 9112 4 and 6.3): the same
 * strictness, events and limits (max_request_line bounds the status line,
 * max_body is not used), and the request's fields hold the response:
 * status and reason, version, fields, framing (LENGTH, CHUNKED, NONE for
 * 1xx, 204, 304 and answers to HEAD, CLOSE when neither length nor
 * chunked is given), keep_alive. A 1xx is a whole message (HEAD, then
 * DONE); the final response follows. Every failure's status is 502 (the
 * upstream's answer is not HTTP we can forward). Bytes and memory as for
 * requests. */
pl_http_parser_t *pl_http_parser_new_response(const pl_http_limits_t *limits);

/* The response parser's next response answers a HEAD (or is otherwise
 * without a body, RFC 9112 6.3 (1)): its framing is NONE whatever its
 * fields say. Holds until changed. */
void pl_http_parser_no_body(pl_http_parser_t *p, bool none);

/* The peer closed its side. PL_OK when that ends the message (a
 * close-delimited response body: the next call reports DONE, with len 0);
 * PL_ERR_DECODE when the message was cut short (or none had begun). */
int pl_http_parser_finish(pl_http_parser_t *p);

/* Frees the parser and everything it handed out (its copy of the head
 * wiped first, like the engine's buffers). NULL is ignored. */
void pl_http_parser_free(pl_http_parser_t *p);

/* Parses input in[0..len). Returns one event in *step and how much input
 * it used; the caller advances by step->consumed and calls again with the
 * rest. Input may be split anywhere, down to one byte per call; len 0 is
 * allowed (a request without a body reports PL_HTTP_DONE right after
 * PL_HTTP_HEAD, without input). Every request gives HEAD, any number of
 * BODY, then DONE.
 *
 * After DONE the remaining input is the next (pipelined) request: to
 * answer requests in order, stop calling until the response is written,
 * keeping the unused bytes. The request of pl_http_parser_request() stays
 * valid until the next call after DONE.
 *
 * Returns PL_OK; PL_ERR_DECODE when the request is invalid or over a limit
 * (answer pl_http_parser_status() if no response has begun, then close);
 * PL_ERR_NOMEM (status 500); PL_ERR_STATE when called after the DONE of a
 * request that does not keep the connection alive. Once failed, every call
 * fails the same way. */
int pl_http_parse(pl_http_parser_t *p, const uint8_t *in, size_t len,
		  pl_http_step_t *step);

/* The current request: from PL_HTTP_HEAD until the next call after DONE.
 * After a failure it holds what was parsed before the failure (for the
 * access log), or is NULL when the request line itself was not parsed. */
const pl_http_request_t *pl_http_parser_request(const pl_http_parser_t *p);

/* After a failure: the status code to answer (400, 413, 414, 431, 500,
 * 501, 505) and one sentence without a final period that says why. 0 and
 * NULL while the parser has not failed. */
int pl_http_parser_status(const pl_http_parser_t *p);
const char *pl_http_parser_reason(const pl_http_parser_t *p);

/* Whether the connection must be closed: after a failure, or after the
 * DONE of a request without keep_alive. */
bool pl_http_parser_must_close(const pl_http_parser_t *p);

/* Releases the parser's buffers when no request is in progress (before
 * the first byte of a request, or after DONE: the request is then gone).
 * Does nothing otherwise. For connections that idle between requests. */
void pl_http_parser_shrink(pl_http_parser_t *p);

/* ---- request-target helpers ------------------------------------------------ */

/* Splits a request-target into its path and query (RFC 9112 3.2), without
 * decoding. origin-form: path before the first '?', query after it (empty
 * when there is no '?'). absolute-form: the same after "scheme://authority"
 * (an empty path means "/"); *authority is set to the authority.
 * authority-form and "*": path is the whole target. authority may be NULL;
 * it is empty except for absolute-form. The slices point into target. */
void pl_http_target_split(pl_http_str_t target, pl_http_target_form_t form,
			  pl_http_str_t *path, pl_http_str_t *query,
			  pl_http_str_t *authority);

/* What pl_http_percent_decode() met on the way, for the static-file module
 * to refuse what it must (none of them is an error here). */
#define PL_HTTP_PCT_SLASH 0x01     /* %2F: a '/' that is not a separator */
#define PL_HTTP_PCT_DOT 0x02       /* %2E: an encoded '.' */
#define PL_HTTP_PCT_PERCENT 0x04   /* %25: the output holds a '%' (double
				    * encoding if decoded again) */
#define PL_HTTP_PCT_BACKSLASH 0x08 /* '\' in the output, raw or %5C */
#define PL_HTTP_PCT_NONASCII 0x10  /* a decoded byte >= 0x80 */
#define PL_HTTP_PCT_CONTROL 0x20   /* a decoded control byte (%01-%1F, %7F) */

/* Strictly percent-decodes in[0..in_len) (RFC 3986 2.1) into out, which
 * must hold in_len + 1 bytes (out may be in: decoding only shrinks). Writes
 * a terminating NUL and the decoded length to *out_len. '+' stays '+'.
 * flags (may be NULL) gets the PL_HTTP_PCT_ bits of what was seen.
 * Returns PL_OK; PL_ERR_DECODE on a '%' not followed by two hex digits, on
 * %00 or a raw NUL (the output would end early as a C string); PL_ERR_ARG
 * when out_cap < in_len + 1. On error *out_len is the offset in in where
 * the bad escape or NUL starts. */
int pl_http_percent_decode(const char *in, size_t in_len, char *out,
			   size_t out_cap, size_t *out_len, unsigned *flags);

/* ---- the writer -------------------------------------------------------------- */

/* A growable output buffer. Initialise with PL_HTTP_BUF_INIT; writers
 * append to data[0..len). Free with pl_http_buf_free(). */
typedef struct {
	uint8_t *data;
	size_t len;
	size_t cap;
} pl_http_buf_t;

#define PL_HTTP_BUF_INIT {0}

/* Empties the buffer (keeps its memory); frees it. */
void pl_http_buf_reset(pl_http_buf_t *b);
void pl_http_buf_free(pl_http_buf_t *b);

/* The reason phrase of a status code ("Not Found"), or "" for a code this
 * table does not know (RFC 9112 4: the reason phrase may be empty). */
const char *pl_http_reason_phrase(int status);

/* IMF-fixdate (RFC 9110 5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT", 29
 * characters and a NUL. PL_ERR_ARG for a time outside years 0-9999. */
#define PL_HTTP_DATE_LEN 29
int pl_http_format_date(time_t t, char out[PL_HTTP_DATE_LEN + 1]);

/* A response head to write. */
typedef struct {
	int status;          /* 100-599 */
	const char *reason;  /* NULL: pl_http_reason_phrase(status) */
	/* The request's version (PL_HTTP_10 or PL_HTTP_11): a 1.0 client gets
	 * "Connection: keep-alive" when kept, and never chunked. */
	int version;
	bool keep_alive;     /* false: "Connection: close" */
	/* Date header from this time (RFC 9110 6.6.1), or (time_t)-1 for
	 * none. */
	time_t date;
	const char *server;  /* Server header, or NULL for none */
	/* LENGTH: "Content-Length: content_length" (also right for HEAD and
	 * 304, with the length a GET would have had). CHUNKED:
	 * "Transfer-Encoding: chunked" (HTTP/1.1 only). NONE: no framing
	 * header, only for 1xx, 204 and 304, which never have a body;
	 * close-delimited responses are not offered. */
	pl_http_framing_t framing;
	uint64_t content_length;
	/* More header fields, written in order. Names must be tokens, values
	 * visible characters, SP and HTAB (no CR, LF, NUL or other controls:
	 * header injection), without leading or trailing whitespace. The
	 * fields the writer owns are refused here: Content-Length,
	 * Transfer-Encoding, Connection, Date, Server. */
	const pl_http_field_t *fields;
	size_t field_count;
} pl_http_response_t;

/* Appends the status line and header section of resp, ending with the
 * empty line, to out. 1xx heads get the status line and resp->fields
 * only. Returns PL_OK; PL_ERR_ARG for a bad status, reason, field or
 * framing (out is then unchanged); PL_ERR_NOMEM. */
int pl_http_write_head(pl_http_buf_t *out, const pl_http_response_t *resp);

/* PL_OK when pl_http_write_head() would write resp, else PL_ERR_ARG (the
 * same checks, nothing written). */
int pl_http_head_valid(const pl_http_response_t *resp);

/* Appends one chunk of a chunked body (RFC 9112 7.1): size line, data,
 * CRLF. len 0 appends the last chunk and the empty trailer section
 * ("0\r\n\r\n"). PL_ERR_NOMEM on failure (out unchanged). */
int pl_http_write_chunk(pl_http_buf_t *out, const void *data, size_t len);

/* Appends a whole error response for a parser failure, or for any other
 * final status with a body (200-599 except 204 and 304): the head
 * (Content-Type: text/plain; charset=utf-8, X-Content-Type-Options:
 * nosniff, Content-Length, Connection: close, Date unless date is
 * (time_t)-1, Server unless NULL) and the body "STATUS PHRASE: detail\n".
 * detail may be NULL; it is the parser's reason, written as plain text,
 * with CR, LF and other control bytes turned into spaces. Answering HEAD,
 * the server drops the body itself. Returns PL_OK; PL_ERR_ARG for another
 * status or an invalid server value; PL_ERR_NOMEM (out unchanged). */
int pl_http_write_error(pl_http_buf_t *out, int status, const char *detail,
			time_t date, const char *server);


/* ---- serving: static files, redirects, the welcome page -------------------
 * What the server's protocols call once a request is parsed. The answer
 * is a pl_http_reply_t, the same whatever the protocol: a status, header
 * fields and a body (bytes, then for a file a range of an open file the
 * server streams through TLS without reading it whole). */

/* What the welcome page shows of the visitor's own connection, and what
 * the access log uses. Strings are never NULL ("" when unknown). */
typedef struct {
	const char *peer;        /* "203.0.113.7" */
	const char *tls_version; /* "TLS 1.3" */
	const char *suite;       /* "TLS_AES_128_GCM_SHA256" */
	const char *group;       /* "x25519" */
	const char *sigscheme;   /* "ecdsa_secp256r1_sha256" */
	const char *sni;         /* "" without SNI */
	const char *alpn;        /* "" without ALPN */
	bool hello_retry;
	/* The chain the server presented, one entry per certificate, leaf
	 * first: a few lines of text each (subject, issuer, names, key,
	 * validity). */
	const char *const *chain_text;
	size_t chain_len;
	/* The handshake as the server saw it: one line per step, with the
	 * microseconds since the connection was accepted. */
	const char *const *step_text;
	const uint32_t *step_us;
	size_t n_steps;
} pl_http_conninfo_t;

typedef struct pl_x509_chain pl_x509_chain_t;

/* The host a request names, for choosing its site: an absolute-form
 * target's authority, which wins over Host (RFC 9112 3.2.2), else Host;
 * without its port ("example.com:8443" gives "example.com", "[::1]:8443"
 * gives "[::1]"). Points into req; *len gets its length. NULL (and 0)
 * when the request names no host. */
const char *pl_http_host_name(const pl_http_request_t *req, size_t *len);

/* The welcome page's text of a certificate chain: one string per
 * certificate, leaf first, at most max (subject, issuer, names, key and
 * signature, validity, one per line). The caller frees each string.
 * Returns how many were written. */
size_t pl_http_chain_text(const pl_x509_chain_t *chain, char **text,
			  size_t max);

/* A worker's open files for one site: the root directory kept open and
 * the files asked for most recently, each with its stat. */
typedef struct pl_http_files pl_http_files_t;

/* A cache for one site's root, holding at most max_files files open
 * (least recently used out first). The root is re-checked (one stat() of
 * its path, then re-opened if it is another directory or gone) and each
 * file re-opened beneath it and compared (device, inode, size, mtime,
 * ctime, mode) at most once per second of the now passed to
 * pl_http_serve(): a file replaced, changed, deleted or made unreadable,
 * or a root swapped or removed, is seen by the first request of the next
 * second. A failed open (404) re-checks the root at once. For one process
 * and one thread: each worker needs its own (one made empty before fork
 * is each child's own). NULL when out of memory. */
pl_http_files_t *pl_http_files_new(size_t max_files);
/* Closes the root and the files (a file still attached to a reply stays
 * open until the reply lets it go) and frees the cache. NULL is fine. */
void pl_http_files_free(pl_http_files_t *files);

/* A site as the http layer serves it. */
typedef struct {
	const char *root;       /* directory of files; NULL: the welcome page */
	bool follow_symlinks;   /* symlinks leaving root are refused unless set */
	long hsts_max_age;      /* Strict-Transport-Security max-age; < 0: none */
	const char *server;     /* Server header value, or NULL */
	/* kept open between requests, or NULL: the root and the file are
	 * opened for each request (a change is seen at once) */
	pl_http_files_t *files;
} pl_http_site_t;

/* ---- streamed bodies ---------------------------------------------------------
 * A body that is not all there when its handler starts: a request body,
 * which the protocol pushes into the handler's sink as it arrives, and a
 * response body, which the protocol pulls from the handler's source as
 * the client takes it (a proxied response). Both carry backpressure: a
 * full sink makes the protocol stop reading its peer (HTTP/1 leaves the
 * bytes in the socket; HTTP/2 would hold back the stream's
 * WINDOW_UPDATE), and an empty source makes it wait (HTTP/1 leaves the
 * reply pending; HTTP/2 would defer the stream's DATA) until the handler
 * wakes the connection. Neither ever holds a whole body. */
typedef struct {
	/* Takes all n body bytes. Returns true while it can take more now;
	 * false once it is full: the protocol reads no more until the
	 * handler wakes it. */
	bool (*write)(void *arg, const uint8_t *p, size_t n);
	/* The body is complete (a chunked body's trailers are dropped). */
	void (*end)(void *arg);
	void *arg;
} pl_http_body_sink_t;

typedef struct {
	/* Copies up to cap body bytes into buf and returns how many; 0 and
	 * *end false: none now (the handler wakes the protocol when there
	 * are). *end is set with the last bytes (or alone). Negative: the
	 * body cannot be finished; the connection is cut. */
	long (*read)(void *arg, uint8_t *buf, size_t cap, bool *end);
	void *arg;
} pl_http_body_source_t;

/* A response as every protocol sends it: what the handlers (files, the
 * welcome page, redirects, errors) produce, whatever the protocol. Its
 * head is a status and header fields (pl_http_reply_fields(); HTTP/1
 * writes them with pl_http_reply_head(), HTTP/2 will send them as
 * HEADERS); its body is body[0..len), then, when file_fd >= 0, file_len
 * bytes of that file from file_offset, streamed without reading it whole. */
#define PL_HTTP_REPLY_MAX_FIELDS 16

typedef struct {
	int status;            /* also for the access log */
	int version;           /* the request's: PL_HTTP_10 or PL_HTTP_11 */
	time_t date;           /* the Date field's time; (time_t)-1: none */
	const char *server;    /* the Server field, or NULL (static) */
	/* LENGTH: content_length is the body's length (for HEAD and 304 the
	 * one a GET would have had); NONE: no length field (304). */
	pl_http_framing_t framing;
	uint64_t content_length;
	/* the header fields: names and values in text, where field_at says */
	pl_http_buf_t text;
	struct {
		uint32_t name, name_len, value, value_len;
	} field_at[PL_HTTP_REPLY_MAX_FIELDS];
	size_t field_count;
	pl_http_buf_t body;    /* the body's first bytes (none for HEAD) */
	int file_fd;           /* -1: no file; owned by the reply */
	/* non-NULL: file_fd belongs to this file of a pl_http_files_t,
	 * which the reply holds until it is emptied (not closed by it) */
	struct pl_http_open_file *file_ref;
	uint64_t file_offset;
	uint64_t file_len;
	uint64_t body_bytes;   /* body bytes in all, for the access log */
	bool close;            /* close the connection after this response */
	/* For an error status (4xx, 5xx): why, in a few words, for the
	 * error log ("open: a symbolic link leaves the root"); a static
	 * string, never sent to the client. NULL otherwise. */
	const char *why;
	/* More header fields after the reply's own, owned by whoever made
	 * the reply (a proxied response's, pointing into the upstream's
	 * parsed head); they must outlive the reply's head. */
	const pl_http_field_t *extra;
	size_t extra_count;
	/* read != NULL: after body, the bytes of this source (a proxied
	 * response), as framing says: LENGTH (content_length in all),
	 * CHUNKED (HTTP/1.1) or CLOSE (HTTP/1.0, then close). */
	pl_http_body_source_t source;
} pl_http_reply_t;

/* The reply's header fields (its own, then extra), in order, into
 * out[0..max); they point into the reply (and extra) and live as long as
 * it. Returns how many there are (which may be more than max). */
size_t pl_http_reply_fields(const pl_http_reply_t *r, pl_http_field_t *out,
			    size_t max);

/* HTTP/1: appends the reply's status line and header section (with
 * Content-Length, Connection, Date and Server as the reply says) to out.
 * Returns PL_OK, PL_ERR_ARG (a field the writer refuses), PL_ERR_NOMEM. */
int pl_http_reply_head(const pl_http_reply_t *r, pl_http_buf_t *out);

/* An empty reply (file_fd -1). pl_http_serve() and pl_http_redirect()
 * empty a reply before filling it (keeping out's memory, closing any file
 * it still holds), so one reply can serve every request of a connection. */
void pl_http_reply_init(pl_http_reply_t *r);
/* Frees the buffer and closes the file; the reply can be used again. */
void pl_http_reply_free(pl_http_reply_t *r);

/* Reads up to cap bytes of the reply's file (at file_offset, at most
 * file_len) into buf and moves file_offset and file_len on: from memory
 * when the file is a small one a pl_http_files_t keeps, else with
 * pread(). Returns how many bytes, 0 when the file has no more to give
 * (file_len 0, or the file shrank), or -errno. */
long pl_http_reply_read_file(pl_http_reply_t *r, void *buf, size_t cap);

/* Answers over HTTPS a request that never reached pl_http_serve(): one
 * the parser refused (400, 413, 414, 431, 501, 505, with its reason as
 * detail), or any other error found before a site answers. Like
 * pl_http_write_error() (text/plain "STATUS PHRASE: detail", control
 * bytes in detail made spaces, Connection: close), plus
 * Strict-Transport-Security: max-age=hsts_max_age when it is >= 0 (RFC
 * 6797 8.1: on every response over TLS, errors included). reply is
 * emptied first; reply->status, body_bytes, close (true) and why (NULL)
 * are set. head_only leaves the body out (the answer to a HEAD). Returns
 * PL_OK, PL_ERR_ARG (a status without content: 1xx, 204, 304, or an
 * invalid server value), PL_ERR_NOMEM. */
int pl_http_reply_error(pl_http_reply_t *reply, int status, const char *detail,
			long hsts_max_age, bool head_only, time_t now,
			const char *server);

/* Answers req for site (RFC 9110): GET and HEAD of files under root, with
 * index.html for directories, MIME types, ETag/Last-Modified and
 * If-None-Match/If-Modified-Since (304), If-Match/If-Unmodified-Since
 * (412), a single byte range with If-Range (206, or 416 when
 * unsatisfiable); 405 with Allow for other methods; 404 for dotfiles
 * and anything outside root whatever its encoding; the welcome page (from
 * info, which may then be NULL) at "/" when root is NULL. Every answer
 * carries HSTS when configured; reply->close follows req->keep_alive (the
 * server still reads or discards a request body before the next
 * request). now is the time for Date and conditionals, and the clock of
 * site->files. Without site->files the root is opened for each request.
 * docs/padlock-serve-files.md has the rules. Returns PL_OK with the reply
 * filled (an error status is still PL_OK), PL_ERR_NOMEM, PL_ERR_ARG (NULL
 * arguments, or a site->server value the writer refuses). */
int pl_http_serve(const pl_http_site_t *site, const pl_http_request_t *req,
		  const pl_http_conninfo_t *info, time_t now,
		  pl_http_reply_t *reply);

/* Answers a request that came over plain HTTP with a redirect to
 * https://HOST[:https_port]/same/path?query (the port only when it is not
 * 443; path and query exactly as received): 301 for GET and HEAD, 308 for
 * other methods (a form POST stays a POST). HOST is the request's Host
 * (an absolute-form target's authority first), its port dropped, or,
 * without one, default_host (a name or an IP address; a bare IPv6 address
 * is bracketed); 400 when neither is usable, and for "*" and
 * authority-form targets. A tiny HTML body; no HSTS (RFC 6797 7.2); the
 * connection is closed after it (reply->close). The path
 * /.well-known/acme-challenge/ is answered 404 (reserved for ACME).
 * Returns PL_OK, PL_ERR_NOMEM, PL_ERR_ARG (NULL req or reply, a port
 * outside 1-65535, an invalid server value). */
int pl_http_redirect(const pl_http_request_t *req, const char *default_host,
		     int https_port, time_t now, const char *server,
		     pl_http_reply_t *reply);

/* pl_http_redirect, but to https://host whatever host the request names
 * (a server that redirects only the names it serves sends the others to
 * its own). 400 when host cannot go into a URL. PL_ERR_ARG for a NULL
 * host, as pl_http_redirect otherwise. */
int pl_http_redirect_to(const pl_http_request_t *req, const char *host,
			int https_port, time_t now, const char *server,
			pl_http_reply_t *reply);

/* The host a request names, without its port: an absolute-form target's
 * authority (RFC 9112 3.2.2: it wins over Host), else the Host field;
 * empty when neither (HTTP/1.0 without Host). Points into req. */
pl_http_str_t pl_http_request_host(const pl_http_request_t *req);

#endif
