/*
 * The extension registry (RFC 8446 4.2): one row per extension padlock
 * knows, with the messages that may carry it, how its body is parsed and
 * written for each, and whether a message must carry it. Adding an
 * extension is adding a row (and a field to pl_tls_exts_t).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/msg/msg.h"

const uint8_t pl_msg_hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

int pl_msg_fail(pl_msg_err_t *err, int alert, const char *fmt, ...)
{
	va_list ap;
	err->alert = alert;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
	return PL_ERR_DECODE;
}

bool pl_u16_list_has(const pl_u16_list_t *l, uint16_t value)
{
	for (size_t i = 0; i < l->n; i++)
		if (pl_u16_list_at(l, i) == value)
			return true;
	return false;
}

uint16_t pl_u16_list_at(const pl_u16_list_t *l, size_t i)
{
	if (l->v != NULL)
		return l->v[i];
	return (uint16_t)(l->wire.p[2 * i] << 8 | l->wire.p[2 * i + 1]);
}

/* A list of uint16 with a width-byte length: even, not empty. */
static int read_list(pl_reader_t *r, int width, pl_u16_list_t *l)
{
	pl_reader_t list;
	int ret = width == 1 ? pl_read_vec8(r, &list) : pl_read_vec16(r, &list);
	if (ret || pl_reader_done(r) || pl_reader_left(&list) == 0 ||
	    pl_reader_left(&list) % 2)
		return PL_ERR_DECODE;
	l->wire = list;
	l->v = NULL;
	l->n = pl_reader_left(&list) / 2;
	return PL_OK;
}

static void write_list(pl_buf_t *b, int width, const pl_u16_list_t *l)
{
	pl_push_open(b, width);
	if (l->v != NULL)
		for (size_t i = 0; i < l->n; i++)
			pl_push_u16(b, l->v[i]);
	else
		pl_push_bytes(b, l->wire.p, pl_reader_left(&l->wire));
	pl_push_close(b);
}

void pl_msg_write_vec(pl_buf_t *b, int width, const pl_reader_t *bytes)
{
	pl_push_open(b, width);
	if (bytes->p != NULL)
		pl_push_bytes(b, bytes->p, pl_reader_left(bytes));
	pl_push_close(b);
}

bool pl_msg_share_next(pl_reader_t *it, uint16_t *group, pl_reader_t *key)
{
	if (pl_reader_left(it) == 0)
		return false;
	return pl_read_u16(it, group) == PL_OK && pl_read_vec16(it, key) == PL_OK;
}

bool pl_msg_alpn_next(pl_reader_t *it, pl_reader_t *name)
{
	return pl_reader_left(it) > 0 && pl_read_vec8(it, name) == PL_OK;
}

/* ---- the parsers and writers of the rows ---------------------------------
 * Each gets the extension body, the message (one PL_MSG_ bit) and the
 * message's name for the sentence. */

typedef int (*parse_fn)(pl_reader_t *r, unsigned msg, pl_tls_exts_t *e,
			const char *what, pl_msg_err_t *err);
typedef void (*write_fn)(pl_buf_t *b, unsigned msg, const pl_tls_exts_t *e,
			 size_t *mark);

static int empty(pl_reader_t *r, const char *what, const char *name,
		 pl_msg_err_t *err)
{
	if (pl_reader_left(r) != 0)
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "%s: %s is not empty", what, name);
	return PL_OK;
}

/* RFC 6066 3: one host_name in a ClientHello; empty in the answers. */
static int parse_server_name(pl_reader_t *r, unsigned msg, pl_tls_exts_t *e,
			     const char *what, pl_msg_err_t *err)
{
	pl_reader_t list;
	uint8_t type;
	if (msg != PL_MSG_CH) {
		if (pl_reader_left(r) != 0)
			return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
					   "%s: server_name must be empty",
					   what);
		return PL_OK;
	}
	if (pl_read_vec16(r, &list) || pl_reader_done(r) ||
	    pl_read_u8(&list, &type) || pl_read_vec16(&list, &e->server_name) ||
	    pl_reader_done(&list) || type != 0)
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "%s: malformed server_name", what);
	size_t n = pl_reader_left(&e->server_name);
	if (n == 0 || n > 253)
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "%s: server_name of %zu bytes", what, n);
	return PL_OK;
}

static void write_server_name(pl_buf_t *b, unsigned msg,
			      const pl_tls_exts_t *e, size_t *mark)
{
	(void)mark;
	if (msg != PL_MSG_CH)
		return;
	pl_push_open(b, 2);
	pl_push_u8(b, 0); /* host_name */
	pl_msg_write_vec(b, 2, &e->server_name);
	pl_push_close(b);
}

/* RFC 6066 8, RFC 8446 4.4.2.1. A ClientHello's request is not examined
 * (a server that does not staple has no use for it). */
static int parse_status_request(pl_reader_t *r, unsigned msg,
				pl_tls_exts_t *e, const char *what,
				pl_msg_err_t *err)
{
	if (msg == PL_MSG_CH || msg == PL_MSG_CR) {
		if (pl_read_u8(r, &e->status_type))
			e->status_type = 0;
		return PL_OK;
	}
	if (msg == PL_MSG_CT) {
		if (pl_read_u8(r, &e->status_type) ||
		    pl_read_vec24(r, &e->ocsp) || pl_reader_done(r))
			return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
					   "%s: malformed OCSP status", what);
		return PL_OK;
	}
	return empty(r, what, "status_request", err);
}

static void write_status_request(pl_buf_t *b, unsigned msg,
				 const pl_tls_exts_t *e, size_t *mark)
{
	(void)mark;
	if (msg == PL_MSG_CH) { /* ocsp, no responder ids, no extensions */
		pl_push_u8(b, 1);
		pl_push_u16(b, 0);
		pl_push_u16(b, 0);
	} else if (msg == PL_MSG_CT) {
		pl_push_u8(b, e->status_type);
		pl_msg_write_vec(b, 3, &e->ocsp);
	}
}

static int parse_groups(pl_reader_t *r, unsigned msg, pl_tls_exts_t *e,
			const char *what, pl_msg_err_t *err)
{
	(void)msg;
	if (read_list(r, 2, &e->groups))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "%s: malformed supported_groups", what);
	return PL_OK;
}

static void write_groups(pl_buf_t *b, unsigned msg, const pl_tls_exts_t *e,
			 size_t *mark)
{
	(void)msg, (void)mark;
	write_list(b, 2, &e->groups);
}

static int parse_point_formats(pl_reader_t *r, unsigned msg, pl_tls_exts_t *e,
			       const char *what, pl_msg_err_t *err)
{
	(void)msg;
	if (pl_read_vec8(r, &e->point_formats) || pl_reader_done(r))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "%s: malformed ec_point_formats", what);
	return PL_OK;
}

static void write_point_formats(pl_buf_t *b, unsigned msg,
				const pl_tls_exts_t *e, size_t *mark)
{
	(void)msg, (void)mark;
	pl_msg_write_vec(b, 1, &e->point_formats);
}

static int parse_schemes(pl_reader_t *r, unsigned msg, pl_tls_exts_t *e,
			 const char *what, pl_msg_err_t *err)
{
	(void)msg;
	if (read_list(r, 2, &e->schemes))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "%s: malformed signature_algorithms", what);
	return PL_OK;
}

static void write_schemes(pl_buf_t *b, unsigned msg, const pl_tls_exts_t *e,
			  size_t *mark)
{
	(void)msg, (void)mark;
	write_list(b, 2, &e->schemes);
}

/* RFC 7301 3.1: a list of non-empty names; the answer names one. */
static int parse_alpn(pl_reader_t *r, unsigned msg, pl_tls_exts_t *e,
		      const char *what, pl_msg_err_t *err)
{
	pl_reader_t list, name;
	if (msg != PL_MSG_CH) {
		if (pl_read_vec16(r, &list) || pl_reader_done(r) ||
		    pl_read_vec8(&list, &e->alpn) || pl_reader_done(&list) ||
		    pl_reader_left(&e->alpn) == 0)
			return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
					   "%s: ALPN must name exactly one "
					   "protocol",
					   what);
		return PL_OK;
	}
	if (pl_read_vec16(r, &list) || pl_reader_done(r) ||
	    pl_reader_left(&list) == 0)
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "%s: malformed ALPN", what);
	e->alpn = list;
	while (pl_reader_left(&list) > 0)
		if (pl_read_vec8(&list, &name) || pl_reader_left(&name) == 0)
			return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
					   "%s: empty or truncated ALPN "
					   "protocol name",
					   what);
	return PL_OK;
}

static void write_alpn(pl_buf_t *b, unsigned msg, const pl_tls_exts_t *e,
		       size_t *mark)
{
	(void)mark;
	pl_push_open(b, 2);
	if (msg == PL_MSG_CH)
		pl_push_bytes(b, e->alpn.p, pl_reader_left(&e->alpn));
	else
		pl_msg_write_vec(b, 1, &e->alpn);
	pl_push_close(b);
}

static int parse_record_size_limit(pl_reader_t *r, unsigned msg,
				   pl_tls_exts_t *e, const char *what,
				   pl_msg_err_t *err)
{
	(void)msg;
	if (pl_read_u16(r, &e->record_size_limit) || pl_reader_done(r))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "%s: malformed record_size_limit", what);
	return PL_OK;
}

static void write_record_size_limit(pl_buf_t *b, unsigned msg,
				    const pl_tls_exts_t *e, size_t *mark)
{
	(void)msg, (void)mark;
	pl_push_u16(b, e->record_size_limit);
}

/* RFC 8446 4.2.1: a list offered, one version selected. */
static int parse_versions(pl_reader_t *r, unsigned msg, pl_tls_exts_t *e,
			  const char *what, pl_msg_err_t *err)
{
	if (msg == PL_MSG_CH) {
		if (read_list(r, 1, &e->versions))
			return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
					   "%s: malformed supported_versions",
					   what);
		return PL_OK;
	}
	if (pl_read_u16(r, &e->version) || pl_reader_done(r))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "%s: supported_versions is not one version",
				   what);
	return PL_OK;
}

static void write_versions(pl_buf_t *b, unsigned msg, const pl_tls_exts_t *e,
			   size_t *mark)
{
	(void)mark;
	if (msg == PL_MSG_CH)
		write_list(b, 1, &e->versions);
	else
		pl_push_u16(b, e->version);
}

/* RFC 8446 4.2.8: KeyShareEntry list (ClientHello), one entry
 * (ServerHello), a group (HelloRetryRequest). */
static int parse_key_share(pl_reader_t *r, unsigned msg, pl_tls_exts_t *e,
			   const char *what, pl_msg_err_t *err)
{
	if (msg == PL_MSG_CH) {
		pl_reader_t it, key;
		uint16_t group;
		if (pl_read_vec16(r, &e->shares) || pl_reader_done(r))
			return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
					   "%s: malformed key_share", what);
		/* An empty key_exchange parses: the server judges it as an
		 * invalid share (illegal_parameter, like a point off the
		 * curve), not as a malformed message. */
		it = e->shares;
		while (pl_reader_left(&it) > 0)
			if (pl_read_u16(&it, &group) || pl_read_vec16(&it, &key))
				return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
						   "%s: malformed key_share "
						   "entry",
						   what);
		return PL_OK;
	}
	if (pl_read_u16(r, &e->share_group))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "%s: key_share names no group", what);
	if (msg == PL_MSG_SH && pl_read_vec16(r, &e->share_key))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "%s: key_share has no key", what);
	if (pl_reader_done(r))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "%s: key_share has trailing bytes", what);
	return PL_OK;
}

static void write_key_share(pl_buf_t *b, unsigned msg, const pl_tls_exts_t *e,
			    size_t *mark)
{
	(void)mark;
	if (msg == PL_MSG_CH && e->share_v == NULL) {
		pl_msg_write_vec(b, 2, &e->shares);
		return;
	}
	if (msg == PL_MSG_CH) {
		pl_push_open(b, 2);
		for (size_t i = 0; i < e->n_share_v; i++) {
			pl_push_u16(b, e->share_v[i].group);
			pl_push_open(b, 2);
			pl_push_bytes(b, e->share_v[i].key, e->share_v[i].key_len);
			pl_push_close(b);
		}
		pl_push_close(b);
		return;
	}
	pl_push_u16(b, e->share_group);
	if (msg == PL_MSG_SH)
		pl_msg_write_vec(b, 2, &e->share_key);
}

static int parse_cookie(pl_reader_t *r, unsigned msg, pl_tls_exts_t *e,
			const char *what, pl_msg_err_t *err)
{
	(void)msg;
	if (pl_read_vec16(r, &e->cookie) || pl_reader_done(r))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "%s: malformed cookie", what);
	return PL_OK;
}

static void write_cookie(pl_buf_t *b, unsigned msg, const pl_tls_exts_t *e,
			 size_t *mark)
{
	(void)msg, (void)mark;
	pl_msg_write_vec(b, 2, &e->cookie);
}

/* A ClientHello's modes: nothing uses them before resumption does, so a
 * malformed list is not refused (it is kept empty). */
static int parse_psk_modes(pl_reader_t *r, unsigned msg, pl_tls_exts_t *e,
			   const char *what, pl_msg_err_t *err)
{
	(void)msg, (void)what, (void)err;
	if (pl_read_vec8(r, &e->psk_modes) || pl_reader_done(r))
		pl_reader_init(&e->psk_modes, r->p, 0);
	return PL_OK;
}

static void write_psk_modes(pl_buf_t *b, unsigned msg, const pl_tls_exts_t *e,
			    size_t *mark)
{
	(void)msg, (void)mark;
	pl_msg_write_vec(b, 1, &e->psk_modes);
}

/* RFC 8446 4.2.11: identities and binders (ClientHello), the index of
 * the identity chosen (ServerHello). */
static int parse_psk(pl_reader_t *r, unsigned msg, pl_tls_exts_t *e,
		     const char *what, pl_msg_err_t *err)
{
	if (msg == PL_MSG_SH) {
		if (pl_read_u16(r, &e->psk_selected) || pl_reader_done(r))
			return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
					   "%s: malformed pre_shared_key", what);
		return PL_OK;
	}
	if (pl_read_vec16(r, &e->psk_identities))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "%s: malformed pre_shared_key", what);
	e->psk_binders_at = r->p;
	if (pl_read_vec16(r, &e->psk_binders) || pl_reader_done(r))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "%s: malformed pre_shared_key", what);
	return PL_OK;
}

static void write_psk(pl_buf_t *b, unsigned msg, const pl_tls_exts_t *e,
		      size_t *mark)
{
	if (msg == PL_MSG_SH) {
		pl_push_u16(b, e->psk_selected);
		return;
	}
	pl_msg_write_vec(b, 2, &e->psk_identities);
	if (mark != NULL)
		*mark = b->len;
	pl_msg_write_vec(b, 2, &e->psk_binders);
}

/* Empty where a client offers it (RFC 8446 4.2.10); a ticket's
 * max_early_data_size. A ClientHello's is not examined: 0-RTT is
 * skipped whatever it says. */
static int parse_early_data(pl_reader_t *r, unsigned msg, pl_tls_exts_t *e,
			    const char *what, pl_msg_err_t *err)
{
	if (msg == PL_MSG_NST) {
		if (pl_read_u32(r, &e->max_early_data) || pl_reader_done(r))
			return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
					   "%s: malformed early_data", what);
		return PL_OK;
	}
	if (msg == PL_MSG_CH)
		return PL_OK;
	return empty(r, what, "early_data", err);
}

static void write_early_data(pl_buf_t *b, unsigned msg, const pl_tls_exts_t *e,
			     size_t *mark)
{
	(void)mark;
	if (msg == PL_MSG_NST)
		pl_push_u32(b, e->max_early_data);
}

static int parse_ems(pl_reader_t *r, unsigned msg, pl_tls_exts_t *e,
		     const char *what, pl_msg_err_t *err)
{
	(void)msg, (void)e;
	return empty(r, what, "extended_master_secret", err);
}

/* RFC 5077 3.2: a ClientHello's ticket (opaque, possibly empty); empty in
 * a ServerHello. */
static int parse_session_ticket(pl_reader_t *r, unsigned msg,
				pl_tls_exts_t *e, const char *what,
				pl_msg_err_t *err)
{
	const uint8_t *p;
	if (msg != PL_MSG_CH)
		return empty(r, what, "session_ticket", err);
	size_t n = pl_reader_left(r);
	pl_read_bytes(r, n, &p);
	pl_reader_init(&e->session_ticket, p, n);
	return PL_OK;
}

static void write_session_ticket(pl_buf_t *b, unsigned msg,
				 const pl_tls_exts_t *e, size_t *mark)
{
	(void)mark;
	if (msg == PL_MSG_CH)
		pl_push_bytes(b, e->session_ticket.p,
			      pl_reader_left(&e->session_ticket));
}

/* RFC 5746 3.2: renegotiated_connection. */
static int parse_renegotiation(pl_reader_t *r, unsigned msg, pl_tls_exts_t *e,
			       const char *what, pl_msg_err_t *err)
{
	(void)msg;
	if (pl_read_vec8(r, &e->renegotiation) || pl_reader_done(r))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "%s: renegotiation_info does not match its "
				   "length",
				   what);
	return PL_OK;
}

static void write_renegotiation(pl_buf_t *b, unsigned msg,
				const pl_tls_exts_t *e, size_t *mark)
{
	(void)msg, (void)mark;
	pl_msg_write_vec(b, 1, &e->renegotiation);
}

/* RFC 7685: zero bytes; their count is kept. */
static int parse_padding(pl_reader_t *r, unsigned msg, pl_tls_exts_t *e,
			 const char *what, pl_msg_err_t *err)
{
	(void)msg, (void)what, (void)err;
	e->padding = pl_reader_left(r);
	return PL_OK;
}


static void write_padding(pl_buf_t *b, unsigned msg, const pl_tls_exts_t *e,
			  size_t *mark)
{
	static const uint8_t zeros[64];
	(void)msg, (void)mark;
	for (size_t left = e->padding; left > 0;) {
		size_t n = left < sizeof(zeros) ? left : sizeof(zeros);
		pl_push_bytes(b, zeros, n);
		left -= n;
	}
}

/* ---- the registry ------------------------------------------------------ */

#define CH PL_MSG_CH
#define SH PL_MSG_SH
#define HRR PL_MSG_HRR
#define EE PL_MSG_EE
#define CT PL_MSG_CT
#define CR PL_MSG_CR
#define NST PL_MSG_NST
#define SH12 PL_MSG_SH12

typedef struct {
	uint16_t type;
	const char *name;
	unsigned allowed;  /* messages that may carry it */
	unsigned required; /* messages that must (missing_extension) */
	parse_fn parse;    /* NULL: the body is not examined */
	write_fn write;    /* NULL: an empty body */
	/* What its absence means, where it is not simply "not offered". */
	const char *if_missing;
} row_t;

static const row_t rows[] = {
	{PL_EXT_SERVER_NAME, "server_name", CH | EE | SH12, 0,
	 parse_server_name, write_server_name, NULL},
	{PL_EXT_MAX_FRAGMENT_LENGTH, "max_fragment_length", CH | EE | SH12, 0,
	 NULL, NULL, NULL},
	{PL_EXT_STATUS_REQUEST, "status_request", CH | CR | CT | SH12, 0,
	 parse_status_request, write_status_request, NULL},
	{PL_EXT_SUPPORTED_GROUPS, "supported_groups", CH | EE, CH,
	 parse_groups, write_groups,
	 "RFC 8446 9.2: a ClientHello without a PSK must offer groups"},
	{PL_EXT_EC_POINT_FORMATS, "ec_point_formats", CH | SH12, 0,
	 parse_point_formats, write_point_formats, NULL},
	{PL_EXT_SIGNATURE_ALGORITHMS, "signature_algorithms", CH | CR, CH | CR,
	 parse_schemes, write_schemes,
	 "RFC 8446 4.2.3: no certificate can be chosen without it"},
	{PL_EXT_USE_SRTP, "use_srtp", CH | EE, 0, NULL, NULL, NULL},
	{PL_EXT_HEARTBEAT, "heartbeat", CH | EE | SH12, 0, NULL, NULL, NULL},
	{PL_EXT_ALPN, "application_layer_protocol_negotiation",
	 CH | EE | SH12, 0, parse_alpn, write_alpn, NULL},
	{PL_EXT_SCT, "signed_certificate_timestamp", CH | CR | CT | SH12, 0,
	 NULL, NULL, NULL},
	{PL_EXT_CLIENT_CERT_TYPE, "client_certificate_type", CH | EE | SH12, 0,
	 NULL, NULL, NULL},
	{PL_EXT_SERVER_CERT_TYPE, "server_certificate_type", CH | EE | SH12, 0,
	 NULL, NULL, NULL},
	{PL_EXT_PADDING, "padding", CH, 0, parse_padding, write_padding,
	 NULL},
	{PL_EXT_EXTENDED_MASTER_SECRET, "extended_master_secret", CH | SH12, 0,
	 parse_ems, NULL, NULL},
	{PL_EXT_RECORD_SIZE_LIMIT, "record_size_limit", CH | EE | SH12, 0,
	 parse_record_size_limit, write_record_size_limit, NULL},
	{PL_EXT_SESSION_TICKET, "session_ticket", CH | SH12, 0,
	 parse_session_ticket, write_session_ticket, NULL},
	{PL_EXT_PRE_SHARED_KEY, "pre_shared_key", CH | SH, 0, parse_psk,
	 write_psk, NULL},
	{PL_EXT_EARLY_DATA, "early_data", CH | EE | NST, 0, parse_early_data,
	 write_early_data, NULL},
	{PL_EXT_SUPPORTED_VERSIONS, "supported_versions", CH | SH | HRR, 0,
	 parse_versions, write_versions,
	 "RFC 8446 4.2.1: the peer speaks TLS 1.2 or older"},
	{PL_EXT_COOKIE, "cookie", CH | HRR, 0, parse_cookie, write_cookie,
	 NULL},
	{PL_EXT_PSK_KEY_EXCHANGE_MODES, "psk_key_exchange_modes", CH, 0,
	 parse_psk_modes, write_psk_modes, NULL},
	{PL_EXT_CERTIFICATE_AUTHORITIES, "certificate_authorities", CH | CR, 0,
	 NULL, NULL, NULL},
	{PL_EXT_OID_FILTERS, "oid_filters", CR, 0, NULL, NULL, NULL},
	{PL_EXT_POST_HANDSHAKE_AUTH, "post_handshake_auth", CH, 0, NULL, NULL,
	 NULL},
	{PL_EXT_SIGNATURE_ALGORITHMS_CERT, "signature_algorithms_cert",
	 CH | CR, 0, NULL, NULL, NULL},
	{PL_EXT_KEY_SHARE, "key_share", CH | SH | HRR, CH, parse_key_share,
	 write_key_share,
	 "RFC 8446 9.2: a ClientHello without a PSK must send one, possibly "
	 "empty"},
	{PL_EXT_RENEGOTIATION_INFO, "renegotiation_info", CH | SH12, 0,
	 parse_renegotiation, write_renegotiation, NULL},
};

#define N_ROWS (sizeof(rows) / sizeof(rows[0]))
_Static_assert(N_ROWS <= 40, "pl_tls_exts_t.order holds 40 rows");

int pl_exts_row(uint16_t type)
{
	for (size_t i = 0; i < N_ROWS; i++)
		if (rows[i].type == type)
			return (int)i;
	return -1;
}

uint16_t pl_exts_type(int row)
{
	return rows[row].type;
}

const char *pl_exts_name(uint16_t type)
{
	int row = pl_exts_row(type);
	return row < 0 ? "unknown" : rows[row].name;
}

const char *pl_exts_if_missing(uint16_t type)
{
	int row = pl_exts_row(type);
	return row < 0 || rows[row].if_missing == NULL ? ""
						       : rows[row].if_missing;
}

unsigned pl_exts_allowed_in(uint16_t type)
{
	int row = pl_exts_row(type);
	return row < 0 ? 0 : rows[row].allowed;
}

void pl_exts_add(pl_tls_exts_t *e, uint16_t type)
{
	int row = pl_exts_row(type);
	if (row < 0 || (e->present >> row & 1))
		return;
	e->present |= (uint64_t)1 << row;
	e->order[e->n_order++] = (uint8_t)row;
}

int pl_u16_set_add(pl_u16_set_t *s, uint16_t v)
{
	if (s->bits == NULL && s->n < PL_U16_SET_FEW) {
		for (size_t i = 0; i < s->n; i++)
			if (s->few[i] == v)
				return 1;
		s->few[s->n++] = v;
		return 0;
	}
	if (s->bits == NULL) {
		s->bits = calloc(65536 / 8, 1);
		if (s->bits == NULL)
			return PL_ERR_NOMEM;
		for (size_t i = 0; i < s->n; i++)
			s->bits[s->few[i] >> 3] |= (uint8_t)(1 << (s->few[i] & 7));
	}
	if (s->bits[v >> 3] & (1 << (v & 7)))
		return 1;
	s->bits[v >> 3] |= (uint8_t)(1 << (v & 7));
	return 0;
}

bool pl_u16_set_has(const pl_u16_set_t *s, uint16_t v)
{
	if (s->bits != NULL)
		return s->bits[v >> 3] & (1 << (v & 7));
	for (size_t i = 0; i < s->n; i++)
		if (s->few[i] == v)
			return true;
	return false;
}

void pl_u16_set_free(pl_u16_set_t *s)
{
	free(s->bits);
	s->bits = NULL;
	s->n = 0;
}

static int parse_one(uint16_t type, pl_reader_t *body, unsigned msg,
		     pl_tls_exts_t *e, const char *what, pl_msg_err_t *err)
{
	int row = pl_exts_row(type);
	if (row < 0)
		e->n_unknown++;
	if (row < 0 || !(rows[row].allowed & msg)) {
		if (!e->has_foreign) {
			e->has_foreign = true;
			e->foreign = type;
		}
		return PL_OK;
	}
	e->present |= (uint64_t)1 << row;
	e->order[e->n_order++] = (uint8_t)row;
	return rows[row].parse ? rows[row].parse(body, msg, e, what, err)
			       : PL_OK;
}

int pl_exts_parse(pl_reader_t *block, unsigned msg, pl_tls_exts_t *e,
		  const char *what, pl_msg_err_t *err)
{
	/* RFC 8446 4.2: each type at most once, found in time linear in
	 * the count of extensions, with no cap on it */
	pl_u16_set_t seen = {{0}, 0, NULL};
	bool after_psk = false;
	int ret = PL_OK;
	memset(e, 0, sizeof(*e));
	while (pl_reader_left(block) > 0) {
		uint16_t type;
		pl_reader_t body;
		if (pl_read_u16(block, &type) || pl_read_vec16(block, &body)) {
			ret = pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
					  "%s: an extension is cut short", what);
			break;
		}
		int again = pl_u16_set_add(&seen, type);
		if (again < 0) {
			ret = pl_msg_fail(err, PL_ALERT_INTERNAL_ERROR,
					  "%s: out of memory", what);
			ret = PL_ERR_NOMEM;
			break;
		}
		if (again) {
			ret = pl_msg_fail(err, PL_ALERT_ILLEGAL_PARAMETER,
					  "%s: extension 0x%04x appears twice",
					  what, type);
			break;
		}
		if (after_psk) { /* RFC 8446 4.2.11 */
			ret = pl_msg_fail(err, PL_ALERT_ILLEGAL_PARAMETER,
					  "%s: pre_shared_key is not the last "
					  "extension",
					  what);
			break;
		}
		after_psk = msg == PL_MSG_CH && type == PL_EXT_PRE_SHARED_KEY;
		if ((ret = parse_one(type, &body, msg, e, what, err)))
			break;
	}
	pl_u16_set_free(&seen);
	return ret;
}

void pl_exts_write(pl_buf_t *b, unsigned msg, const pl_tls_exts_t *e,
		   size_t *binders)
{
	pl_push_open(b, 2);
	for (size_t i = 0; i < e->n_order; i++) {
		const row_t *row = &rows[e->order[i]];
		pl_push_u16(b, row->type);
		pl_push_open(b, 2);
		if (row->write)
			row->write(b, msg, e, binders);
		pl_push_close(b);
	}
	pl_push_close(b);
}

int pl_exts_missing(unsigned msg, const pl_tls_exts_t *e)
{
	for (size_t i = 0; i < N_ROWS; i++)
		if ((rows[i].required & msg) && !(e->present >> i & 1))
			return rows[i].type;
	return -1;
}
