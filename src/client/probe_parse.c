/*
 * The probe's reading of a server's answer to one ClientHello: plaintext
 * records, handshake messages reassembled across them, and the first
 * flight up to ServerHelloDone (TLS <= 1.2) or the ServerHello or
 * HelloRetryRequest (TLS 1.3, whose later messages are encrypted).
 *
 * Nothing here is trusted: every byte goes through the reader of buf.h,
 * every length is capped, and anything that is not TLS as the ClientHello
 * asked for ends the probe as PL_PROBE_MALFORMED with a sentence that says
 * what was wrong. A server that answers with another version than offered
 * is reported as it answered: judging it is the caller's job.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_internal.h"
#include "client/probe_internal.h"
#include "tls/msg/msg.h"

enum { WAIT_HELLO, WAIT_FLIGHT, DONE };

const char *pl_probe_version_name(uint16_t version)
{
	return pl_tls_version_name(version);
}

static const char *suite_name(uint16_t suite)
{
	static _Thread_local char buf[32];
	const pl_tls_suite_info_t *info = pl_tls_suite_lookup(suite);

	if (info != NULL)
		return info->name;
	snprintf(buf, sizeof buf, "unknown suite 0x%04x", suite);
	return buf;
}

static void set_detail(pl_probe_result_t *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_detail(pl_probe_result_t *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof out->detail, fmt, ap);
	va_end(ap);
}

/* Ends the parse with outcome; the caller sets the detail. */
static void finish(pl_probe_parser_t *p, pl_probe_outcome_t outcome)
{
	p->state = DONE;
	p->out->outcome = outcome;
}

/* Ends the parse as MALFORMED. After a ServerHello the sentence says so,
 * and version and suite stay filled in. Returns PL_OK: a malformed answer
 * is a result, not an error of the probe. */
static int malformed(pl_probe_parser_t *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int malformed(pl_probe_parser_t *p, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (p->state == WAIT_FLIGHT)
		set_detail(p->out, "%s; then %s", p->hello, what);
	else
		set_detail(p->out, "%s", what);
	finish(p, PL_PROBE_MALFORMED);
	return PL_OK;
}

/* ---- ServerHello -----------------------------------------------------------
 * Parsed by the engine's ServerHello codec (tls/msg/), which reads the
 * extensions as TLS 1.3's when supported_versions is there and as TLS
 * 1.2's otherwise; the probe judges what it reports. */

/* RFC 5746 3.4: on an initial handshake renegotiated_connection is empty. */
static int judge_extensions(pl_probe_parser_t *p,
			    const pl_msg_server_hello_t *sh, uint16_t *version)
{
	const pl_tls_exts_t *e = &sh->ext;

	if (pl_exts_has(e, PL_EXT_RENEGOTIATION_INFO)) {
		if (pl_reader_left(&e->renegotiation) != 0)
			return malformed(p, "ServerHello: renegotiation_info is "
					 "not empty on an initial handshake"),
			       PL_ERR_DECODE;
		p->out->secure_renegotiation = true;
	}
	p->out->extended_master_secret =
		pl_exts_has(e, PL_EXT_EXTENDED_MASTER_SECRET);
	p->status_acked = pl_exts_has(e, PL_EXT_STATUS_REQUEST);
	/* RFC 5077 3.2: the server will send a NewSessionTicket */
	p->out->session_ticket = !sh->tls13 &&
		pl_exts_has(e, PL_EXT_SESSION_TICKET);
	if (!sh->tls13)
		return PL_OK;
	/* RFC 8446 4.2.1: selected_version, which must be TLS 1.3 or later */
	if (e->version < PL_TLS_VERSION_13)
		return malformed(p, "ServerHello: supported_versions selects "
				 "%s, which must be negotiated without it",
				 pl_tls_version_name(e->version)), PL_ERR_DECODE;
	*version = e->version;
	/* RFC 8446 4.2.8: a HelloRetryRequest names a group; a ServerHello
	 * holds a KeyShareEntry with a non-empty key. */
	if (pl_exts_has(e, PL_EXT_KEY_SHARE)) {
		if (!sh->hrr && pl_reader_left(&e->share_key) == 0)
			return malformed(p, "ServerHello: key_share has no key"),
			       PL_ERR_DECODE;
		p->out->group = e->share_group;
	}
	return PL_OK;
}

/* The ServerHello sentence: "ServerHello: TLS 1.2, TLS_..." with the
 * version offered when the server chose another, and the TLS 1.3 group. */
static void describe_hello(pl_probe_parser_t *p)
{
	const pl_probe_result_t *out = p->out;
	char offered[48] = "", group[48] = "";

	if (out->version != p->offered)
		snprintf(offered, sizeof offered, " (%s was offered)",
			 pl_probe_version_name(p->offered));
	if (out->hrr && out->group == 0)
		snprintf(group, sizeof group, ", asks for no key share");
	else if (out->hrr)
		snprintf(group, sizeof group, ", asks for a key share in %s",
			 pl_tls_group_name(out->group));
	else if (out->version >= PL_TLS_VERSION_13 && out->group != 0)
		snprintf(group, sizeof group, ", %s",
			 pl_tls_group_name(out->group));
	snprintf(p->hello, sizeof p->hello, "%s: %s%s, %s%s",
		 out->hrr ? "HelloRetryRequest" : "ServerHello",
		 pl_probe_version_name(out->version), offered,
		 suite_name(out->suite), group);
}

/* RFC 5246 7.4.1.3: a server that resumes echoes the session ID offered;
 * one that does not gives a new one or none. */
static bool resumes(const pl_probe_parser_t *p)
{
	const pl_probe_result_t *out = p->out;

	return p->offered_id_len > 0 &&
	       out->session_id_len == p->offered_id_len &&
	       memcmp(out->session_id, p->offered_id, p->offered_id_len) == 0;
}

/* RFC 5246 7.4.1.3, RFC 8446 4.1.3 and 4.1.4. */
static int parse_server_hello(pl_probe_parser_t *p, pl_reader_t *r)
{
	pl_probe_result_t *out = p->out;
	pl_msg_server_hello_t sh;
	pl_msg_err_t err;

	if (pl_msg_server_hello_parse(r, &sh, &err) != PL_OK)
		return malformed(p, "%s", err.text);
	if (sh.compression != 0)
		return malformed(p, "ServerHello chose compression method %u, "
				 "which was not offered", sh.compression);
	uint16_t version = sh.legacy_version, suite = sh.suite;
	const uint8_t *random = sh.random;
	bool hrr = sh.hrr;
	if (judge_extensions(p, &sh, &version) != PL_OK)
		return PL_OK;
	/* RFC 8446 4.1.3: with supported_versions, legacy_version is 1.2 */
	if (sh.tls13 && version != sh.legacy_version &&
	    sh.legacy_version != PL_TLS_VERSION_12)
		return malformed(p, "ServerHello: legacy_version 0x%04x with "
				 "supported_versions (must be 0x0303)",
				 sh.legacy_version);
	out->version = version;
	out->suite = suite;
	out->hrr = hrr;
	/* RFC 5246 7.4.1.3: the ID of a session it may resume later (the
	 * probe's hello sent none, so none is being resumed) */
	out->session_id_len = (uint8_t)pl_reader_left(&sh.session_id);
	memcpy(out->session_id, sh.session_id.p, out->session_id_len);
	out->downgrade_sentinel = pl_msg_downgrade_sentinel(random);
	const pl_tls_suite_info_t *info = pl_tls_suite_lookup(suite);
	p->suite_known = info != NULL;
	p->suite_flags = info != NULL ? info->flags : 0;
	out->outcome = PL_PROBE_ACCEPTED;
	describe_hello(p);
	if (version >= PL_TLS_VERSION_13) {
		/* The rest of a TLS 1.3 flight is encrypted: the probe ends. */
		out->complete = true;
		set_detail(out, "%s", p->hello);
		finish(p, PL_PROBE_ACCEPTED);
		return PL_OK;
	}
	if (resumes(p)) {
		/* RFC 5246 7.3: ChangeCipherSpec and an encrypted Finished
		 * follow: nothing more the probe can read. */
		out->resumed = out->complete = true;
		set_detail(out, "%s, resumes the session offered (an "
			   "abbreviated handshake)", p->hello);
		finish(p, PL_PROBE_ACCEPTED);
		return PL_OK;
	}
	p->state = WAIT_FLIGHT;
	return PL_OK;
}

/* ---- the rest of a TLS <= 1.2 flight ------------------------------------- */

/* RFC 5246 7.4.2: a chain of DER certificates, each at least one byte. */
static int parse_certificate(pl_probe_parser_t *p, pl_reader_t *r)
{
	pl_probe_result_t *out = p->out;
	pl_reader_t list, walk, cert;
	size_t n = 0;

	if (pl_read_vec24(r, &list) != PL_OK || pl_reader_done(r) != PL_OK)
		return malformed(p, "Certificate: the list does not match its "
				 "length");
	walk = list;
	while (pl_reader_left(&walk) > 0) {
		if (pl_read_vec24(&walk, &cert) != PL_OK ||
		    pl_reader_left(&cert) == 0)
			return malformed(p, "Certificate: entry %zu is empty or "
					 "cut short", n + 1);
		n++;
	}
	if (n == 0)
		return PL_OK;
	out->certs = calloc(n, sizeof *out->certs);
	out->cert_lens = calloc(n, sizeof *out->cert_lens);
	if (out->certs == NULL || out->cert_lens == NULL)
		return PL_ERR_NOMEM;
	walk = list;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *der;
		size_t len;
		if (pl_read_vec24(&walk, &cert) != PL_OK)
			return PL_ERR_DECODE; /* counted above: cannot happen */
		len = pl_reader_left(&cert);
		if (pl_read_bytes(&cert, len, &der) != PL_OK)
			return PL_ERR_DECODE;
		out->certs[i] = malloc(len);
		if (out->certs[i] == NULL)
			return PL_ERR_NOMEM;
		memcpy(out->certs[i], der, len);
		out->cert_lens[i] = len;
		out->n_certs = i + 1;
	}
	return PL_OK;
}

/* RFC 6066 8: status_type ocsp(1) and a non-empty OCSPResponse. */
static int parse_certificate_status(pl_probe_parser_t *p, pl_reader_t *r)
{
	pl_probe_result_t *out = p->out;
	pl_reader_t response;
	const uint8_t *der;
	uint8_t type;

	if (!p->asked_status)
		return malformed(p, "CertificateStatus came although the probe "
				 "did not ask for it");
	if (!p->status_acked)
		return malformed(p, "CertificateStatus came although "
				 "ServerHello did not accept status_request");
	if (pl_read_u8(r, &type) != PL_OK ||
	    pl_read_vec24(r, &response) != PL_OK ||
	    pl_reader_done(r) != PL_OK)
		return malformed(p, "CertificateStatus does not match its "
				 "length");
	if (type != 1)
		return malformed(p, "CertificateStatus of status_type %u (1 is "
				 "ocsp)", type);
	size_t len = pl_reader_left(&response);
	if (len == 0)
		return malformed(p, "CertificateStatus holds an empty OCSP "
				 "response");
	if (pl_read_bytes(&response, len, &der) != PL_OK)
		return PL_ERR_DECODE;
	out->ocsp = malloc(len);
	if (out->ocsp == NULL)
		return PL_ERR_NOMEM;
	memcpy(out->ocsp, der, len);
	out->ocsp_len = len;
	out->ocsp_stapled = true;
	return PL_OK;
}

/* The number of significant bits of a big-endian integer. */
static uint16_t bit_length(pl_reader_t number)
{
	size_t len = pl_reader_left(&number);
	uint8_t byte = 0;

	while (len > 0 && pl_read_u8(&number, &byte) == PL_OK && byte == 0)
		len--;
	if (len == 0)
		return 0;
	unsigned bits = (unsigned)(len - 1) * 8;
	for (; byte != 0; byte >>= 1)
		bits++;
	return bits > UINT16_MAX ? UINT16_MAX : (uint16_t)bits;
}

/* RFC 8422 5.4: ECParameters and the point. Explicit curves (deprecated)
 * are reported with their RFC 8422 code points 0xff01 / 0xff02 and not
 * parsed further. Returns 1 when the rest must be skipped. */
static int parse_ecdhe_params(pl_probe_parser_t *p, pl_reader_t *r)
{
	pl_reader_t point;
	uint8_t curve_type;
	uint16_t group;

	if (pl_read_u8(r, &curve_type) != PL_OK)
		return malformed(p, "ServerKeyExchange is empty"), -1;
	if (curve_type == 1 || curve_type == 2) {
		p->out->group = curve_type == 1 ? 0xff01 : 0xff02;
		return 1;
	}
	if (curve_type != 3)
		return malformed(p, "ServerKeyExchange: curve_type %u is not "
				 "named_curve", curve_type), -1;
	if (pl_read_u16(r, &group) != PL_OK ||
	    pl_read_vec8(r, &point) != PL_OK || pl_reader_left(&point) == 0)
		return malformed(p, "ServerKeyExchange: the ECDH parameters "
				 "are cut short"), -1;
	p->out->group = group;
	return 0;
}

/* RFC 5246 7.4.3: ServerDHParams (p, g, Ys). */
static int parse_dhe_params(pl_probe_parser_t *p, pl_reader_t *r)
{
	pl_reader_t prime, generator, public;

	if (pl_read_vec16(r, &prime) != PL_OK ||
	    pl_read_vec16(r, &generator) != PL_OK ||
	    pl_read_vec16(r, &public) != PL_OK ||
	    pl_reader_left(&prime) == 0)
		return malformed(p, "ServerKeyExchange: the DH parameters are "
				 "cut short"), -1;
	p->out->dhe_bits = bit_length(prime);
	return 0;
}

/* RFC 2246 7.4.3: an RSA_EXPORT server's temporary key. */
static int parse_rsa_export_params(pl_probe_parser_t *p, pl_reader_t *r)
{
	pl_reader_t modulus, exponent;

	if (pl_read_vec16(r, &modulus) != PL_OK ||
	    pl_read_vec16(r, &exponent) != PL_OK)
		return malformed(p, "ServerKeyExchange: the RSA parameters are "
				 "cut short"), -1;
	return 0;
}

/* The key exchange parameters, then (unless anonymous) the signature:
 * algorithm and signature in TLS 1.2 (RFC 5246 4.7), signature only
 * before. The signature is not verified: a probe trusts nothing it reads
 * and decides nothing on it. */
static int parse_server_key_exchange(pl_probe_parser_t *p, pl_reader_t *r)
{
	unsigned flags = p->suite_flags;
	pl_reader_t signature;
	uint16_t scheme;
	int rc;

	if (!p->suite_known)
		return PL_OK; /* its format is unknown: skipped */
	if (flags & PL_SUITE_ECDHE)
		rc = parse_ecdhe_params(p, r);
	else if (flags & PL_SUITE_DHE)
		rc = parse_dhe_params(p, r);
	else if ((flags & PL_SUITE_RSA_KX) && (flags & PL_SUITE_EXPORT))
		rc = parse_rsa_export_params(p, r);
	else
		return malformed(p, "ServerKeyExchange came for %s, whose key "
				 "exchange has none", suite_name(p->out->suite));
	if (rc != 0)
		return PL_OK; /* malformed, or explicit curve: skipped */
	if (flags & PL_SUITE_ANON)
		return pl_reader_done(r) == PL_OK
			       ? PL_OK
			       : malformed(p, "ServerKeyExchange has trailing "
					   "bytes");
	if ((p->out->version >= PL_TLS_VERSION_12 && pl_read_u16(r, &scheme) != PL_OK) ||
	    pl_read_vec16(r, &signature) != PL_OK ||
	    pl_reader_left(&signature) == 0 || pl_reader_done(r) != PL_OK)
		return malformed(p, "ServerKeyExchange: the signature does not "
				 "match its length");
	return PL_OK;
}

/* RFC 5246 7.4.4: certificate types, (TLS 1.2) signature algorithms, CA
 * names. */
static int parse_certificate_request(pl_probe_parser_t *p, pl_reader_t *r)
{
	pl_reader_t types, schemes, authorities;

	if (pl_read_vec8(r, &types) != PL_OK || pl_reader_left(&types) == 0 ||
	    (p->out->version >= PL_TLS_VERSION_12 &&
	     pl_read_vec16(r, &schemes) != PL_OK) ||
	    pl_read_vec16(r, &authorities) != PL_OK ||
	    pl_reader_done(r) != PL_OK)
		return malformed(p, "CertificateRequest does not match its "
				 "length");
	p->out->cert_requested = true;
	return PL_OK;
}

static void describe_flight(pl_probe_parser_t *p)
{
	const pl_probe_result_t *out = p->out;
	char group[40] = "", certs[32] = "";

	if (out->group != 0)
		snprintf(group, sizeof group, ", %s",
			 pl_tls_group_name(out->group));
	else if (out->dhe_bits != 0)
		snprintf(group, sizeof group, ", DH %u bits",
			 (unsigned)out->dhe_bits);
	snprintf(certs, sizeof certs, ", %zu certificate%s", out->n_certs,
		 out->n_certs == 1 ? "" : "s");
	set_detail(p->out, "%s%s%s%s", p->hello, group, certs,
		   out->ocsp_stapled ? ", OCSP response stapled" : "");
}

/* The messages after ServerHello, in RFC 5246 7.3's order (CertificateStatus
 * after Certificate, RFC 6066 8), each at most once. */
static int rank_of(uint8_t type)
{
	switch (type) {
	case PL_HS_CERTIFICATE: return 1;
	case PL_HS_CERTIFICATE_STATUS: return 2;
	case PL_HS_SERVER_KEY_EXCHANGE: return 3;
	case PL_HS_CERTIFICATE_REQUEST: return 4;
	case PL_HS_SERVER_HELLO_DONE: return 5;
	default: return 0;
	}
}

static int flight_message(pl_probe_parser_t *p, uint8_t type, pl_reader_t *r)
{
	int rank = rank_of(type);

	if (rank == 0)
		return malformed(p, "%s came before ServerHelloDone",
				 pl_tls_handshake_name(type));
	if (rank <= p->last_rank)
		return malformed(p, "%s came out of order",
				 pl_tls_handshake_name(type));
	p->last_rank = rank;
	switch (type) {
	case PL_HS_CERTIFICATE:
		return parse_certificate(p, r);
	case PL_HS_CERTIFICATE_STATUS:
		return parse_certificate_status(p, r);
	case PL_HS_SERVER_KEY_EXCHANGE:
		return parse_server_key_exchange(p, r);
	case PL_HS_CERTIFICATE_REQUEST:
		return parse_certificate_request(p, r);
	default:
		if (pl_reader_left(r) != 0)
			return malformed(p, "ServerHelloDone is not empty");
		p->out->complete = true;
		describe_flight(p);
		finish(p, PL_PROBE_ACCEPTED);
		return PL_OK;
	}
}

static int handle_message(pl_probe_parser_t *p, uint8_t type, pl_reader_t *r)
{
	if (p->state == WAIT_FLIGHT)
		return flight_message(p, type, r);
	if (type == PL_HS_HELLO_REQUEST) {
		/* RFC 5246 7.4.1.1: ignored while negotiating. */
		if (pl_reader_left(r) != 0)
			return malformed(p, "HelloRequest is not empty");
		if (++p->skipped > PL_PROBE_SKIPPED_MAX)
			return malformed(p, "more than %d HelloRequests and "
					 "warning alerts before ServerHello",
					 PL_PROBE_SKIPPED_MAX);
		return PL_OK;
	}
	if (type != PL_HS_SERVER_HELLO)
		return malformed(p, "%s came instead of ServerHello",
				 pl_tls_handshake_name(type));
	return parse_server_hello(p, r);
}

/* ---- records ----------------------------------------------------------- */

/* Takes every whole handshake message out of p->messages. */
static int drain_messages(pl_probe_parser_t *p)
{
	while (p->state != DONE && pl_buf_size(&p->messages) >= 4) {
		pl_reader_t r, body;
		uint8_t type;
		uint32_t len;

		pl_reader_init(&r, pl_buf_head(&p->messages),
			       pl_buf_size(&p->messages));
		if (pl_read_u8(&r, &type) != PL_OK ||
		    pl_read_u24(&r, &len) != PL_OK)
			return PL_ERR_DECODE; /* 4 bytes are there */
		if (len > PL_PROBE_MSG_MAX)
			return malformed(p, "%s of %u bytes exceeds the %d KiB "
					 "cap", pl_tls_handshake_name(type), (unsigned)len,
					 PL_PROBE_MSG_MAX / 1024);
		if (pl_reader_left(&r) < len)
			return PL_OK; /* wait for more records */
		pl_reader_init(&body, r.p, len);
		int rc = handle_message(p, type, &body);
		if (rc != PL_OK)
			return rc;
		pl_buf_consume(&p->messages, 4 + (size_t)len);
	}
	return PL_OK;
}

static int handle_alert(pl_probe_parser_t *p, pl_reader_t *r)
{
	uint8_t level, description;
	pl_probe_result_t *out = p->out;
	size_t len = pl_reader_left(r);

	/* RFC 8446 5.1: alerts are never fragmented; one per record here. */
	if (pl_read_u8(r, &level) != PL_OK ||
	    pl_read_u8(r, &description) != PL_OK ||
	    pl_reader_done(r) != PL_OK)
		return malformed(p, "an alert record of %zu bytes (an alert is "
				 "2)", len);
	if (level != 1 && level != 2)
		return malformed(p, "alert level %u (1 warning, 2 fatal)", level);
	out->alert = description;
	out->alert_level = level;
	/* RFC 5246 7.2: a warning (other than close_notify) does not end the
	 * connection: some servers warn unrecognized_name, then go on. */
	if (level == 1 && description != 0) {
		if (++p->skipped > PL_PROBE_SKIPPED_MAX)
			return malformed(p, "more than %d warning alerts",
					 PL_PROBE_SKIPPED_MAX);
		return PL_OK;
	}
	if (p->state == WAIT_FLIGHT) {
		set_detail(out, "%s; then alert %s %s (%u) before "
			   "ServerHelloDone", p->hello,
			   level == 1 ? "warning" : "fatal",
			   pl_tls_alert_name(description), description);
		finish(p, PL_PROBE_ACCEPTED);
		return PL_OK;
	}
	set_detail(out, "alert: %s %s (%u)", level == 1 ? "warning" : "fatal",
		   pl_tls_alert_name(description), description);
	finish(p, PL_PROBE_ALERT);
	return PL_OK;
}

static int handle_record(pl_probe_parser_t *p, uint8_t type, pl_reader_t *body)
{
	const uint8_t *bytes;
	size_t len = pl_reader_left(body);

	switch (type) {
	case PL_CT_ALERT:
		return handle_alert(p, body);
	case PL_CT_HANDSHAKE:
		if (pl_read_bytes(body, len, &bytes) != PL_OK)
			return PL_ERR_DECODE;
		pl_push_bytes(&p->messages, bytes, len);
		if (pl_buf_error(&p->messages) != PL_OK)
			return PL_ERR_NOMEM;
		return drain_messages(p);
	default:
		return malformed(p, "%s came before %s",
				 type == PL_CT_CHANGE_CIPHER_SPEC
					 ? "ChangeCipherSpec"
					 : "application data",
				 p->state == WAIT_HELLO ? "ServerHello"
							: "ServerHelloDone");
	}
}

/* The first bytes are not a record: often a plain HTTP server ("HTTP/1.1
 * 400 Bad Request") or another protocol on the port. */
static int not_tls(pl_probe_parser_t *p, const uint8_t *head, size_t have)
{
	char quoted[64];
	size_t show = 0;

	if (p->any_record)
		return malformed(p, "a record of unknown content type %u",
				 head[0]);
	while (show < have && show < 40 && head[show] != '\r' &&
	       head[show] != '\n')
		show++;
	pl_client_quote((const char *)head, show, quoted, sizeof quoted);
	return malformed(p, "the answer is not TLS: it starts with '%s'",
			 quoted);
}

/* Whether enough of a non-TLS answer is there to quote it: a line, or 40
 * bytes. Later records are judged at once. */
static bool first_line_came(const pl_probe_parser_t *p, const uint8_t *head,
			    size_t have)
{
	return p->any_record || have >= 40 || memchr(head, '\n', have) != NULL;
}

/* Reads the whole records at the front of p->records. */
static int read_records(pl_probe_parser_t *p)
{
	while (p->state != DONE && pl_buf_size(&p->records) > 0) {
		const uint8_t *head = pl_buf_head(&p->records);
		size_t have = pl_buf_size(&p->records);
		pl_reader_t r, body;
		const uint8_t *bytes;
		uint8_t type;
		uint16_t version, len;

		if (head[0] < PL_CT_CHANGE_CIPHER_SPEC ||
		    head[0] > PL_CT_APPLICATION_DATA)
			return first_line_came(p, head, have)
				       ? not_tls(p, head, have)
				       : PL_OK;
		if (have < 5)
			return PL_OK;
		pl_reader_init(&r, head, have);
		if (pl_read_u8(&r, &type) != PL_OK ||
		    pl_read_u16(&r, &version) != PL_OK ||
		    pl_read_u16(&r, &len) != PL_OK)
			return PL_ERR_DECODE; /* 5 bytes are there */
		if (version >> 8 != 3)
			return malformed(p, "a record of version 0x%04x (TLS "
					 "is 0x03xx)", version);
		if (len > PL_PROBE_RECORD_MAX)
			return malformed(p, "a record of %u bytes (at most %d)",
					 len, PL_PROBE_RECORD_MAX);
		if (len == 0)
			return malformed(p, "an empty record of type %u", type);
		if (pl_read_bytes(&r, len, &bytes) != PL_OK)
			return PL_OK; /* wait for the rest of the record */
		pl_reader_init(&body, bytes, len);
		p->any_record = true;
		int rc = handle_record(p, type, &body);
		if (rc != PL_OK)
			return rc;
		pl_buf_consume(&p->records, 5 + (size_t)len);
	}
	return PL_OK;
}

/* ---- the parser's interface ------------------------------------------- */

void pl_probe_parser_init(pl_probe_parser_t *p, uint16_t offered,
			  bool asked_status, pl_probe_result_t *out)
{
	memset(p, 0, sizeof *p);
	memset(out, 0, sizeof *out);
	p->offered = offered;
	p->asked_status = asked_status;
	p->state = WAIT_HELLO;
	p->out = out;
	out->alert = -1;
}

int pl_probe_parser_feed(pl_probe_parser_t *p, const uint8_t *data, size_t len)
{
	if (p->state == DONE || len == 0)
		return PL_OK;
	p->received += len;
	pl_push_bytes(&p->records, data, len);
	if (pl_buf_error(&p->records) != PL_OK)
		return PL_ERR_NOMEM;
	int rc = read_records(p);
	if (rc == PL_ERR_DECODE) /* a reader failed where it cannot */
		return malformed(p, "the answer could not be parsed");
	return rc;
}

bool pl_probe_parser_done(const pl_probe_parser_t *p)
{
	return p->state == DONE;
}

static const char *ending(pl_probe_end_t how)
{
	return how == PL_PROBE_END_RESET ? "reset" : "closed";
}

void pl_probe_parser_end(pl_probe_parser_t *p, pl_probe_end_t how,
			 int timeout_ms)
{
	pl_probe_result_t *out = p->out;
	bool timeout = how == PL_PROBE_END_TIMEOUT;

	if (p->state == DONE)
		return;
	const uint8_t *head = pl_buf_head(&p->records);
	size_t have = pl_buf_size(&p->records);
	if (have > 0 && !p->any_record &&
	    (head[0] < PL_CT_CHANGE_CIPHER_SPEC ||
	     head[0] > PL_CT_APPLICATION_DATA)) {
		not_tls(p, head, have); /* a short line of text */
		return;
	}
	if (p->state == WAIT_FLIGHT) {
		if (timeout)
			set_detail(out, "%s; then no ServerHelloDone within "
				   "%g s", p->hello, timeout_ms / 1000.0);
		else
			set_detail(out, "%s; then the server %s the connection "
				   "before ServerHelloDone", p->hello,
				   ending(how));
		finish(p, PL_PROBE_ACCEPTED);
		return;
	}
	if (out->alert >= 0) {
		set_detail(out, "alert: warning %s (%d), then the server %s",
			   pl_tls_alert_name(out->alert), out->alert,
			   timeout ? "went silent" : ending(how));
		finish(p, PL_PROBE_ALERT);
	} else if (timeout) {
		if (p->received > 0)
			set_detail(out, "only %zu bytes of an answer came "
				   "within %g s", p->received,
				   timeout_ms / 1000.0);
		else
			set_detail(out, "no answer within %g s",
				   timeout_ms / 1000.0);
		finish(p, PL_PROBE_TIMEOUT);
	} else if (p->received > 0) {
		set_detail(out, "the server %s the connection after %zu bytes, "
			   "in the middle of %s", ending(how), p->received,
			   pl_buf_size(&p->records) > 0 ? "a record"
							: "a handshake message");
		finish(p, PL_PROBE_MALFORMED);
	} else {
		set_detail(out, "the server %s the connection without an "
			   "answer", ending(how));
		finish(p, PL_PROBE_CLOSED);
	}
}

void pl_probe_parser_free(pl_probe_parser_t *p)
{
	pl_buf_free(&p->records);
	pl_buf_free(&p->messages);
}
