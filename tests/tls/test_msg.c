/*
 * The handshake message codecs of src/tls/msg/: each message written and
 * parsed back field for field; the extension registry's rules (each type
 * once, in time linear in the count with no cap; pre_shared_key last;
 * foreign extensions noted, not parsed); version-aware messages; and the
 * ClientHello's record of where the PSK binders start, checked against
 * the RFC 8448 section 4 resumption ClientHello.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rfc8448_data.h"
#include "test.h"
#include "tls/msg/msg.h"

/* Wraps b's body (written after 4 placeholder bytes) into a message. */
static pl_reader_t body_of(pl_buf_t *b)
{
	pl_reader_t r;
	pl_reader_init(&r, b->data + 4, b->len - 4);
	return r;
}

static void client_hello_round_trip(void)
{
	static const uint16_t suites[] = {0x1301, 0x1302};
	static const uint16_t groups[] = {PL_GROUP_X25519, PL_GROUP_SECP256R1};
	static const uint16_t versions[] = {PL_TLS_VERSION_13};
	static const uint8_t key[32] = {9};
	static const uint8_t sid[32] = {7};
	pl_msg_share_t share = {PL_GROUP_X25519, key, sizeof(key)};
	pl_msg_client_hello_t ch, got;
	pl_msg_err_t err;
	pl_buf_t b = PL_BUF_INIT;

	memset(&ch, 0, sizeof(ch));
	ch.legacy_version = 0x0303;
	memset(ch.random, 0xab, 32);
	pl_reader_init(&ch.session_id, sid, sizeof(sid));
	ch.suites = pl_u16_list(suites, 2);
	ch.has_extensions = true;
	pl_reader_init(&ch.ext.server_name, (const uint8_t *)"example.com", 11);
	pl_exts_add(&ch.ext, PL_EXT_SERVER_NAME);
	ch.ext.versions = pl_u16_list(versions, 1);
	pl_exts_add(&ch.ext, PL_EXT_SUPPORTED_VERSIONS);
	ch.ext.groups = pl_u16_list(groups, 2);
	pl_exts_add(&ch.ext, PL_EXT_SUPPORTED_GROUPS);
	ch.ext.share_v = &share;
	ch.ext.n_share_v = 1;
	pl_exts_add(&ch.ext, PL_EXT_KEY_SHARE);
	pl_push_u32(&b, 0);
	pl_msg_client_hello_write(&b, &ch);
	CHECK(pl_buf_error(&b) == PL_OK);
	CHECK_EQ_INT(ch.binders_offset, 0);

	pl_reader_t body = body_of(&b);
	CHECK(pl_msg_client_hello_parse(&body, &got, &err) == PL_OK);
	CHECK_EQ_INT(got.legacy_version, 0x0303);
	CHECK(memcmp(got.random, ch.random, 32) == 0);
	CHECK(pl_reader_left(&got.session_id) == 32 &&
	      memcmp(got.session_id.p, sid, 32) == 0);
	CHECK(got.suites.n == 2 && pl_u16_list_at(&got.suites, 1) == 0x1302);
	CHECK(pl_exts_has(&got.ext, PL_EXT_SERVER_NAME) &&
	      pl_reader_left(&got.ext.server_name) == 11 &&
	      memcmp(got.ext.server_name.p, "example.com", 11) == 0);
	CHECK(pl_u16_list_has(&got.ext.versions, PL_TLS_VERSION_13));
	CHECK(pl_u16_list_has(&got.ext.groups, PL_GROUP_SECP256R1));
	uint16_t group = 0;
	pl_reader_t it = got.ext.shares, k;
	CHECK(pl_msg_share_next(&it, &group, &k) && group == PL_GROUP_X25519 &&
	      pl_reader_left(&k) == 32 && memcmp(k.p, key, 32) == 0);
	CHECK(!pl_msg_share_next(&it, &group, &k));
	/* written in the order added */
	CHECK(got.ext.n_order == 4 &&
	      pl_exts_type(got.ext.order[1]) == PL_EXT_SUPPORTED_VERSIONS);
	CHECK_EQ_INT(pl_exts_missing(PL_MSG_CH, &got.ext),
		     PL_EXT_SIGNATURE_ALGORITHMS);
	pl_buf_free(&b);
}

/* An extension block of n extensions: types first, first+1, ... each with
 * an empty body, then the last one repeated when dup. */
static void push_many(pl_buf_t *b, uint16_t first, size_t n, bool dup)
{
	pl_push_open(b, 2);
	for (size_t i = 0; i < n; i++) {
		pl_push_u16(b, (uint16_t)(first + i));
		pl_push_u16(b, 0);
	}
	if (dup) {
		pl_push_u16(b, (uint16_t)(first + n - 1));
		pl_push_u16(b, 0);
	}
	pl_push_close(b);
}

/* A ClientHello whose extensions are block (written by fill). */
static int parse_hello_with(void (*fill)(pl_buf_t *, void *), void *arg,
			    pl_msg_client_hello_t *got, pl_msg_err_t *err,
			    pl_buf_t *b)
{
	static const uint8_t random[32];
	pl_push_u32(b, 0);
	pl_push_u16(b, 0x0303);
	pl_push_bytes(b, random, 32);
	pl_push_u8(b, 0);
	pl_push_u16(b, 2);
	pl_push_u16(b, 0x1301);
	pl_push_u8(b, 1);
	pl_push_u8(b, 0);
	fill(b, arg);
	CHECK(pl_buf_error(b) == PL_OK);
	pl_reader_t body = body_of(b);
	return pl_msg_client_hello_parse(&body, got, err);
}

typedef struct {
	uint16_t first;
	size_t n;
	bool dup;
} many_t;

static void fill_many(pl_buf_t *b, void *arg)
{
	many_t *m = arg;
	push_many(b, m->first, m->n, m->dup);
}

static void thousands_of_unknown_extensions_parse(void)
{
	/* 10000 types from 0x2000: none known, none repeated. */
	many_t m = {0x2000, 10000, false};
	pl_msg_client_hello_t got;
	pl_msg_err_t err;
	pl_buf_t b = PL_BUF_INIT;
	CHECK_MSG(parse_hello_with(fill_many, &m, &got, &err, &b) == PL_OK,
		  "%s", err.text);
	CHECK_EQ_INT(got.ext.n_unknown, 10000);
	CHECK(got.ext.has_foreign && got.ext.foreign == 0x2000);
	pl_buf_free(&b);

	/* The same with the last one repeated: refused, after 10000. */
	m.dup = true;
	CHECK(parse_hello_with(fill_many, &m, &got, &err, &b) ==
	      PL_ERR_DECODE);
	CHECK_EQ_INT(err.alert, PL_ALERT_ILLEGAL_PARAMETER);
	CHECK_MSG(strstr(err.text, "0x470f appears twice") != NULL, "%s",
		  err.text);
	pl_buf_free(&b);

	/* A duplicate among the first few. */
	m.n = 3;
	CHECK(parse_hello_with(fill_many, &m, &got, &err, &b) ==
	      PL_ERR_DECODE);
	CHECK_EQ_INT(err.alert, PL_ALERT_ILLEGAL_PARAMETER);
	pl_buf_free(&b);
}

static void fill_psk_not_last(pl_buf_t *b, void *arg)
{
	(void)arg;
	pl_push_open(b, 2);
	pl_push_u16(b, PL_EXT_PRE_SHARED_KEY);
	pl_push_open(b, 2);
	pl_push_u16(b, 0);
	pl_push_u16(b, 0);
	pl_push_close(b);
	pl_push_u16(b, 0x7777);
	pl_push_u16(b, 0);
	pl_push_close(b);
}

static void pre_shared_key_must_be_last(void)
{
	pl_msg_client_hello_t got;
	pl_msg_err_t err;
	pl_buf_t b = PL_BUF_INIT;
	CHECK(parse_hello_with(fill_psk_not_last, NULL, &got, &err, &b) ==
	      PL_ERR_DECODE);
	CHECK_EQ_INT(err.alert, PL_ALERT_ILLEGAL_PARAMETER);
	pl_buf_free(&b);
}

/* RFC 8448 section 4: the resumed ClientHello ends with pre_shared_key;
 * the trace's "ClientHello prefix" (what the binder is computed over) is
 * the message up to its binders list. The codec finds that offset when it
 * parses, and writes the same bytes (and offset) back. */
static void binders_offset_matches_rfc8448_resumption(void)
{
	const uint8_t *ch = rfc8448_s4_client_hello_record + 5;
	size_t len = sizeof(rfc8448_s4_client_hello_record) - 5;
	size_t prefix = sizeof(rfc8448_s4_client_hello_prefix);
	pl_msg_client_hello_t got;
	pl_msg_err_t err;
	pl_reader_t body;
	CHECK(memcmp(ch, rfc8448_s4_client_hello_prefix, prefix) == 0);
	pl_reader_init(&body, ch + 4, len - 4);
	CHECK_MSG(pl_msg_client_hello_parse(&body, &got, &err) == PL_OK, "%s",
		  err.text);
	CHECK_EQ_INT(got.binders_offset, prefix);
	CHECK(pl_reader_left(&got.ext.psk_binders) == len - prefix - 2);

	/* Written back from the parsed fields: the same bytes. */
	pl_buf_t b = PL_BUF_INIT;
	pl_push_bytes(&b, ch, 4);
	pl_msg_client_hello_write(&b, &got);
	CHECK(b.len == len && memcmp(b.data, ch, len) == 0);
	CHECK_EQ_INT(got.binders_offset, prefix);
	pl_buf_free(&b);
}

static void server_hello_is_version_aware(void)
{
	static const uint8_t key[65] = {4};
	pl_msg_server_hello_t sh, got;
	pl_msg_err_t err;
	pl_buf_t b = PL_BUF_INIT;

	memset(&sh, 0, sizeof(sh));
	sh.legacy_version = 0x0303;
	sh.suite = 0x1301;
	sh.tls13 = true;
	sh.has_extensions = true;
	sh.ext.share_group = PL_GROUP_SECP256R1;
	pl_reader_init(&sh.ext.share_key, key, sizeof(key));
	pl_exts_add(&sh.ext, PL_EXT_KEY_SHARE);
	sh.ext.version = PL_TLS_VERSION_13;
	pl_exts_add(&sh.ext, PL_EXT_SUPPORTED_VERSIONS);
	pl_push_u32(&b, 0);
	pl_msg_server_hello_write(&b, &sh);
	pl_reader_t body = body_of(&b);
	CHECK(pl_msg_server_hello_parse(&body, &got, &err) == PL_OK);
	CHECK(got.tls13 && !got.hrr && got.ext.version == PL_TLS_VERSION_13);
	CHECK(got.ext.share_group == PL_GROUP_SECP256R1 &&
	      pl_reader_left(&got.ext.share_key) == 65);
	pl_buf_reset(&b);

	/* A HelloRetryRequest: the key_share is a group only. */
	sh.hrr = true;
	pl_push_u32(&b, 0);
	pl_msg_server_hello_write(&b, &sh);
	body = body_of(&b);
	CHECK(pl_msg_server_hello_parse(&body, &got, &err) == PL_OK);
	CHECK(got.hrr && got.ext.share_group == PL_GROUP_SECP256R1);
	pl_buf_reset(&b);

	/* TLS 1.2: no supported_versions; ec_point_formats,
	 * extended_master_secret and renegotiation_info are read, a
	 * key_share is foreign. */
	static const uint8_t uncompressed[] = {0};
	memset(&sh, 0, sizeof(sh));
	sh.legacy_version = 0x0303;
	sh.suite = 0xc02b;
	sh.has_extensions = true;
	pl_reader_init(&sh.ext.point_formats, uncompressed, 1);
	pl_exts_add(&sh.ext, PL_EXT_EC_POINT_FORMATS);
	pl_exts_add(&sh.ext, PL_EXT_EXTENDED_MASTER_SECRET);
	pl_exts_add(&sh.ext, PL_EXT_RENEGOTIATION_INFO);
	pl_push_u32(&b, 0);
	pl_msg_server_hello_write(&b, &sh);
	pl_push_u16(&b, 0); /* patch in a foreign key_share below */
	b.len -= 2;
	body = body_of(&b);
	CHECK(pl_msg_server_hello_parse(&body, &got, &err) == PL_OK);
	CHECK(!got.tls13 && pl_exts_has(&got.ext, PL_EXT_EXTENDED_MASTER_SECRET) &&
	      pl_exts_has(&got.ext, PL_EXT_RENEGOTIATION_INFO) &&
	      pl_reader_left(&got.ext.renegotiation) == 0);
	pl_buf_free(&b);
}

/* Certificate, CertificateRequest and NewSessionTicket differ between
 * TLS 1.3 and 1.2; the same codec reads both. */
static void version_aware_messages_parse_both_versions(void)
{
	static const uint8_t cert13[] = {0x00, 0x00, 0x00, 0x07, 0x00, 0x00,
					 0x02, 0x30, 0x00, 0x00, 0x00};
	static const uint8_t cert12[] = {0x00, 0x00, 0x05, 0x00, 0x00,
					 0x02, 0x30, 0x00};
	static const uint8_t nst12[] = {0, 0, 0x1c, 0x20, 0x00, 0x02, 0xaa,
					0xbb};
	static const uint8_t cr12[] = {0x01, 0x40, 0x00, 0x02, 0x04,
				       0x03, 0x00, 0x00};
	pl_msg_certificate_t m;
	pl_msg_cert_entry_t e;
	pl_msg_new_session_ticket_t t;
	pl_msg_certificate_request_t cr;
	pl_msg_err_t err;
	pl_reader_t r, it;

	pl_reader_init(&r, cert13, sizeof(cert13));
	CHECK(pl_msg_certificate_parse(&r, PL_TLS_VERSION_13, &m, &err) ==
	      PL_OK);
	it = m.list;
	CHECK(m.n == 1 && pl_msg_certificate_next(&it, m.version, &e) &&
	      pl_reader_left(&e.cert) == 2 && !e.has_ext);
	/* The TLS 1.3 bytes are not a TLS 1.2 Certificate. */
	pl_reader_init(&r, cert13, sizeof(cert13));
	CHECK(pl_msg_certificate_parse(&r, PL_TLS_VERSION_12, &m, &err) ==
	      PL_ERR_DECODE);
	pl_reader_init(&r, cert12, sizeof(cert12));
	CHECK(pl_msg_certificate_parse(&r, PL_TLS_VERSION_12, &m, &err) ==
	      PL_OK && m.n == 1);

	pl_reader_init(&r, nst12, sizeof(nst12));
	CHECK(pl_msg_new_session_ticket_parse(&r, PL_TLS_VERSION_12, &t,
					      &err) == PL_OK);
	CHECK(t.lifetime == 7200 && pl_reader_left(&t.ticket) == 2);

	pl_reader_init(&r, cr12, sizeof(cr12));
	CHECK(pl_msg_certificate_request_parse(&r, PL_TLS_VERSION_12, &cr,
					       &err) == PL_OK);
	CHECK(cr.schemes.n == 1 && pl_u16_list_at(&cr.schemes, 0) == 0x0403);
}

static void small_messages_refuse_extra_bytes(void)
{
	static const uint8_t ku[] = {1, 0};
	static const uint8_t fin[33] = {0};
	pl_msg_key_update_t k;
	pl_msg_finished_t f;
	pl_msg_err_t err;
	pl_reader_t r;

	pl_reader_init(&r, ku, 1);
	CHECK(pl_msg_key_update_parse(&r, &k, &err) == PL_OK &&
	      k.request_update == 1);
	pl_reader_init(&r, ku, 2);
	CHECK(pl_msg_key_update_parse(&r, &k, &err) == PL_ERR_DECODE &&
	      err.alert == PL_ALERT_DECODE_ERROR);
	pl_reader_init(&r, fin, 32);
	CHECK(pl_msg_finished_parse(&r, 32, &f, &err) == PL_OK);
	pl_reader_init(&r, fin, 33);
	CHECK(pl_msg_finished_parse(&r, 32, &f, &err) == PL_ERR_DECODE &&
	      err.alert == PL_ALERT_DECODE_ERROR);
}

int main(void)
{
	RUN(client_hello_round_trip);
	RUN(thousands_of_unknown_extensions_parse);
	RUN(pre_shared_key_must_be_last);
	RUN(binders_offset_matches_rfc8448_resumption);
	RUN(server_hello_is_version_aware);
	RUN(version_aware_messages_parse_both_versions);
	RUN(small_messages_refuse_extra_bytes);
	return test_finish();
}
