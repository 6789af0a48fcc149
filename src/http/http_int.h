/*
 * What the files of the http layer share: character classes of RFC 9110
 * and 9112, the parser's state, and the functions one file calls in
 * another. Not a public header.
 */
#ifndef PL_HTTP_INT_H
#define PL_HTTP_INT_H

#include "padlock/http.h"

/* ---- character classes ------------------------------------------------------
 * RFC 5234 B.1 and RFC 9110 5.6.2: the few sets the grammar is built on. */

static inline bool pl_http_is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static inline bool pl_http_is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The value of a hex digit, or -1. */
static inline int pl_http_hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Character classes (chars.c), one bit each. */
enum {
	PL_HTTP_C_TCHAR = 0x01,   /* tchar (RFC 9110 5.6.2): tokens */
	PL_HTTP_C_VCHAR = 0x02,   /* field-vchar: VCHAR / obs-text (5.5) */
	PL_HTTP_C_WS = 0x04,      /* SP / HTAB */
	PL_HTTP_C_QDTEXT = 0x08,  /* qdtext (5.6.4) */
	PL_HTTP_C_REGNAME = 0x10, /* unreserved / sub-delims (RFC 3986) */
};

extern const uint8_t pl_http_char_class[256];

/* What tokens (methods, field names, codings) are made of. */
static inline bool pl_http_is_tchar(uint8_t c)
{
	return pl_http_char_class[c] & PL_HTTP_C_TCHAR;
}

static inline bool pl_http_is_ws(uint8_t c)
{
	return pl_http_char_class[c] & PL_HTTP_C_WS;
}

static inline bool pl_http_is_field_vchar(uint8_t c)
{
	return pl_http_char_class[c] & PL_HTTP_C_VCHAR;
}

/* Anything a field value may hold: field-vchar, SP, HTAB. */
static inline bool pl_http_is_field_content(uint8_t c)
{
	return pl_http_char_class[c] & (PL_HTTP_C_VCHAR | PL_HTTP_C_WS);
}

/* Inside a quoted-string, besides quoted-pair. */
static inline bool pl_http_is_qdtext(uint8_t c)
{
	return pl_http_char_class[c] & PL_HTTP_C_QDTEXT;
}

/* A reg-name without its pct-encoded triplets. */
static inline bool pl_http_is_regname_char(uint8_t c)
{
	return pl_http_char_class[c] & PL_HTTP_C_REGNAME;
}

/* ASCII case-insensitive comparison of a slice with a C string. */
bool pl_http_str_ieq(const char *p, size_t len, const char *lit);

/* ---- the parser's state ------------------------------------------------------ */

/* A part of a section's buffer, as an offset: the buffer may move while the
 * section grows, so pointers are made only once it is complete. */
typedef struct {
	uint32_t off;
	uint32_t len;
} pl_http_span_t;

typedef struct {
	pl_http_span_t name;
	pl_http_span_t value;
} pl_http_field_span_t;

/* The lines of the head (request line and header fields) or of the trailer
 * section: their bytes, where each field lies, and the pointers published
 * once the section is complete. */
typedef struct {
	uint8_t *buf;
	size_t len;
	size_t cap;
	size_t line_start;  /* where the line being read begins in buf */
	pl_http_field_span_t *spans;
	size_t count;
	size_t spans_cap;
	pl_http_field_t *fields;
	size_t fields_cap;
} pl_http_section_t;

enum pl_http_state {
	PL_HTTP_ST_REQUEST_LINE,
	PL_HTTP_ST_FIELDS,
	PL_HTTP_ST_BODY_LENGTH,
	PL_HTTP_ST_CHUNK_LINE,   /* chunk-size [ chunk-ext ] CRLF */
	PL_HTTP_ST_CHUNK_DATA,
	PL_HTTP_ST_CHUNK_CR,     /* the CRLF after chunk-data */
	PL_HTTP_ST_CHUNK_LF,
	PL_HTTP_ST_TRAILERS,
	PL_HTTP_ST_BODY_CLOSE,   /* a response body up to the close */
	PL_HTTP_ST_DONE_PENDING, /* body complete: report DONE next */
	PL_HTTP_ST_DONE,         /* DONE reported; next call starts anew */
	PL_HTTP_ST_CLOSED,       /* DONE of a request without keep-alive */
	PL_HTTP_ST_FAILED,
};

/* Where the chunk-size line parser is (chunked.c). */
enum pl_http_chunk_state {
	PL_HTTP_CK_SIZE_FIRST,   /* the first hex digit */
	PL_HTTP_CK_SIZE,         /* more hex digits */
	PL_HTTP_CK_BEFORE_SEMI,  /* BWS, then ';' */
	PL_HTTP_CK_NAME_START,   /* BWS, then chunk-ext-name */
	PL_HTTP_CK_NAME,
	PL_HTTP_CK_AFTER_NAME,   /* BWS, then '=' or ';' */
	PL_HTTP_CK_VALUE_START,  /* BWS, then token or quoted-string */
	PL_HTTP_CK_VALUE_TOKEN,
	PL_HTTP_CK_QUOTED,
	PL_HTTP_CK_QUOTED_PAIR,  /* after '\' in a quoted-string */
	PL_HTTP_CK_AFTER_QUOTED,
	PL_HTTP_CK_LF,           /* CR seen, LF must follow */
};

/* What the header fields said about framing and the connection, gathered
 * line by line and judged when the section ends (fields.c). */
typedef struct {
	unsigned host_count;
	unsigned content_length_count;
	unsigned te_count;          /* Transfer-Encoding field lines */
	unsigned te_chunked;        /* times "chunked" was listed */
	bool te_last_chunked;       /* the last coding listed is chunked */
	bool te_other;              /* a coding other than chunked */
	bool te_malformed;          /* a member that is not a bare token */
	bool conn_close;
	bool conn_keep_alive;
	bool expect_continue;
	bool expect_unknown;
	uint64_t content_length;
	pl_http_span_t host;
} pl_http_framing_info_t;

struct pl_http_parser {
	pl_http_limits_t limits;
	enum pl_http_state state;
	int status;           /* after a failure */
	const char *reason;
	int error;            /* the PL_ERR_ code every call returns once failed */

	pl_http_section_t head;
	pl_http_section_t trailers;
	size_t scanned;           /* request-line bytes checked early */
	bool method_ended;        /* ... up to the end of the method */
	unsigned empty_lines;     /* CRLFs before this request line */
	bool have_request_line;
	pl_http_span_t method;
	pl_http_span_t target;
	pl_http_span_t reason_span; /* a response's reason phrase */
	size_t field_bytes;       /* field lines so far, header and trailer */
	size_t field_count;
	pl_http_framing_info_t info;

	uint64_t remaining;       /* body or chunk-data bytes still to come */
	enum pl_http_chunk_state chunk_state;
	size_t chunk_line_len;
	size_t chunk_ext_total;
	uint64_t chunk_size;

	pl_http_request_t req;
	bool published;           /* req's head pointers are set */
	bool response;            /* parses responses (an upstream's) */
	bool no_body;             /* the next response answers a HEAD */
};

/* Marks the parser failed with status and reason; returns PL_ERR_DECODE
 * (or PL_ERR_NOMEM for status 500). */
int pl_http_fail(struct pl_http_parser *p, int status, const char *reason);

/* fields.c: checks one field line (line[0..len), CRLF removed) of the
 * header section (trailer false) or trailer section, NUL-terminates its
 * name and value in place and records where they lie (offsets from base,
 * the start of the section's buffer). Fails the parser on a bad line. */
int pl_http_field_line(struct pl_http_parser *p, pl_http_section_t *s,
		       uint8_t *line, size_t len, bool trailer);

/* fields.c: judges the header section as a whole (Host, framing,
 * connection) and fills the request's semantics. */
int pl_http_head_semantics(struct pl_http_parser *p);

/* chunked.c: runs the chunked body states on in[*used..len), advancing
 * *used. Sets step to BODY when chunk data is available; moves the state
 * to PL_HTTP_ST_TRAILERS after the last chunk. */
int pl_http_chunked(struct pl_http_parser *p, const uint8_t *in, size_t len,
		    size_t *used, pl_http_step_t *step);

/* target.c: checks a request-target (RFC 9112 3.2) for method and returns
 * its form, or -1 with *why set. */
int pl_http_target_check(const char *method, size_t method_len,
			 const uint8_t *target, size_t len, const char **why);

/* target.c: whether value is a valid Host (RFC 9110 7.2: uri-host
 * [ ":" port ]; empty is valid). */
bool pl_http_host_valid(const uint8_t *value, size_t len);

/* ---- appending to a pl_http_buf_t ------------------------------------------
 * One sticky error: the first failure is kept, later appends do nothing,
 * and pl_http_out_end() takes the buffer back to where it began. The
 * writer and the serving code both build their output with it (writer.c). */
typedef struct {
	pl_http_buf_t *b;
	size_t start;
	int err;
} pl_http_out_t;

pl_http_out_t pl_http_out_begin(pl_http_buf_t *b);
void pl_http_out_put(pl_http_out_t *o, const void *p, size_t n);
void pl_http_out_str(pl_http_out_t *o, const char *s);
void pl_http_out_dec(pl_http_out_t *o, uint64_t v);
/* Returns the first error (PL_ERR_NOMEM), the buffer then as it was. */
int pl_http_out_end(pl_http_out_t *o);

#endif
