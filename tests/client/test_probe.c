/* Tests of src/client/probe.c and probe_parse.c without a socket: the
 * ClientHello each version gets, and the parser of the server's answer on
 * hand-made flights, fed in every chunking, well-formed and not. The same
 * code against real servers: tests/client/test_probe.py. */
#include "client/probe_internal.h"
#include "test.h"

/* ---- reading our ClientHello ---------------------------------------------- */

struct hello_view {
	uint16_t record_version;
	size_t records;
	uint16_t version;
	size_t session_id_len;
	uint16_t suites[16];
	size_t n_suites;
	bool has_extensions;
	uint16_t ext_types[32];
	pl_reader_t ext_data[32];
	size_t n_ext;
	size_t message_len;
	uint8_t message[70000];
};

static struct hello_view view;

/* Joins the records' bodies into view.message and reads the ClientHello. */
static int read_hello(const pl_buf_t *b)
{
	pl_reader_t r, rec, msg, body, sid, suites, comp, exts;
	uint8_t type;
	uint32_t len;

	memset(&view, 0, sizeof view);
	pl_reader_init(&r, pl_buf_head(b), pl_buf_size(b));
	while (pl_reader_left(&r) > 0) {
		const uint8_t *p;
		if (pl_read_u8(&r, &type) != PL_OK || type != 22 ||
		    pl_read_u16(&r, &view.record_version) != PL_OK ||
		    pl_read_vec16(&r, &rec) != PL_OK ||
		    pl_reader_left(&rec) > 16384 ||
		    pl_read_bytes(&rec, pl_reader_left(&rec), &p) != PL_OK)
			return -1;
		memcpy(view.message + view.message_len, p, (size_t)(rec.end - p));
		view.message_len += (size_t)(rec.end - p);
		view.records++;
	}
	pl_reader_init(&msg, view.message, view.message_len);
	if (pl_read_u8(&msg, &type) != PL_OK || type != 1 ||
	    pl_read_u24(&msg, &len) != PL_OK ||
	    pl_read_bytes(&msg, len, &body.p) != PL_OK ||
	    pl_reader_done(&msg) != PL_OK)
		return -2;
	pl_reader_init(&body, body.p, len);
	const uint8_t *random;
	if (pl_read_u16(&body, &view.version) != PL_OK ||
	    pl_read_bytes(&body, 32, &random) != PL_OK ||
	    pl_read_vec8(&body, &sid) != PL_OK ||
	    pl_read_vec16(&body, &suites) != PL_OK ||
	    pl_read_vec8(&body, &comp) != PL_OK)
		return -3;
	view.session_id_len = pl_reader_left(&sid);
	while (pl_reader_left(&suites) > 0 && view.n_suites < 16)
		if (pl_read_u16(&suites, &view.suites[view.n_suites++]) != PL_OK)
			return -4;
	uint8_t method;
	if (pl_read_u8(&comp, &method) != PL_OK || method != 0 ||
	    pl_reader_done(&comp) != PL_OK)
		return -5;
	if (pl_reader_left(&body) == 0)
		return 0;
	view.has_extensions = true;
	if (pl_read_vec16(&body, &exts) != PL_OK || pl_reader_done(&body) != PL_OK)
		return -6;
	while (pl_reader_left(&exts) > 0 && view.n_ext < 32) {
		if (pl_read_u16(&exts, &view.ext_types[view.n_ext]) != PL_OK ||
		    pl_read_vec16(&exts, &view.ext_data[view.n_ext]) != PL_OK)
			return -7;
		view.n_ext++;
	}
	return pl_reader_left(&exts) == 0 ? 0 : -8;
}

static pl_reader_t *extension(uint16_t type)
{
	for (size_t i = 0; i < view.n_ext; i++)
		if (view.ext_types[i] == type)
			return &view.ext_data[i];
	return NULL;
}

static const uint16_t ecdhe_suites[] = { 0xc02b, 0xc02f, 0x009c };
static const uint16_t tls13_suites[] = { 0x1301, 0x1302 };
static const uint16_t all_groups[] = { 0x001d, 0x0017, 0x0018 };

static int write_hello(const pl_probe_offer_t *offer, pl_buf_t *b, char *err)
{
	err[0] = '\0';
	pl_buf_reset(b);
	return pl_probe_write_hello(offer, b, err, 200);
}

static void hello_tls12_carries_the_extensions_real_clients_send(void)
{
	pl_probe_offer_t offer = {
		.version = 0x0303, .suites = ecdhe_suites, .n_suites = 3,
		.groups = all_groups, .n_groups = 3, .sni = "example.com",
		.status_request = true,
	};
	pl_buf_t b = PL_BUF_INIT;
	char err[200];

	CHECK_EQ_INT(write_hello(&offer, &b, err), PL_OK);
	CHECK_EQ_INT(read_hello(&b), 0);
	CHECK_EQ_INT(view.record_version, 0x0303);
	CHECK_EQ_INT(view.version, 0x0303);
	CHECK_EQ_INT(view.session_id_len, 0);
	CHECK_EQ_INT(view.n_suites, 3);
	CHECK_EQ_INT(view.suites[0], 0xc02b);
	CHECK_EQ_INT(view.suites[2], 0x009c);
	pl_reader_t *sni = extension(0x0000);
	CHECK(sni != NULL && pl_reader_left(sni) == 2 + 1 + 2 + 11);
	CHECK(extension(0x0005) != NULL);
	pl_reader_t *groups = extension(0x000a);
	CHECK(groups != NULL && pl_reader_left(groups) == 2 + 6);
	pl_reader_t *formats = extension(0x000b);
	CHECK(formats != NULL && pl_reader_left(formats) == 2 &&
	      formats->p[0] == 1 && formats->p[1] == 0);
	CHECK(extension(0x000d) != NULL);
	CHECK(extension(0x0017) != NULL);
	pl_reader_t *reneg = extension(0xff01);
	CHECK(reneg != NULL && pl_reader_left(reneg) == 1 && reneg->p[0] == 0);
	/* RFC 5077 3.2: an empty session_ticket asks for a new ticket */
	pl_reader_t *ticket = extension(0x0023);
	CHECK(ticket != NULL && pl_reader_left(ticket) == 0);
	CHECK(extension(0x002b) == NULL);
	CHECK(extension(0x0033) == NULL);
	/* RFC 7685: never 256 to 511 bytes */
	CHECK(view.message_len < 256 || view.message_len >= 512);
	pl_buf_free(&b);
}

static void hello_tls10_has_no_signature_algorithms(void)
{
	pl_probe_offer_t offer = {
		.version = 0x0301, .suites = ecdhe_suites, .n_suites = 3,
	};
	pl_buf_t b = PL_BUF_INIT;
	char err[200];

	CHECK_EQ_INT(write_hello(&offer, &b, err), PL_OK);
	CHECK_EQ_INT(read_hello(&b), 0);
	CHECK_EQ_INT(view.record_version, 0x0301);
	CHECK_EQ_INT(view.version, 0x0301);
	CHECK(extension(0x000d) == NULL);
	CHECK(extension(0x000a) == NULL); /* no groups: none, no formats */
	CHECK(extension(0x000b) == NULL);
	CHECK(extension(0x0000) == NULL);
	CHECK(extension(0x0005) == NULL);
	CHECK(extension(0xff01) != NULL);
	CHECK(extension(0x0023) != NULL);
	pl_buf_free(&b);
}

static void hello_ssl3_has_no_extensions_but_the_scsv(void)
{
	pl_probe_offer_t offer = {
		.version = 0x0300, .suites = ecdhe_suites, .n_suites = 3,
		.groups = all_groups, .n_groups = 3, .sni = "example.com",
	};
	pl_buf_t b = PL_BUF_INIT;
	char err[200];

	CHECK_EQ_INT(write_hello(&offer, &b, err), PL_OK);
	CHECK_EQ_INT(read_hello(&b), 0);
	CHECK_EQ_INT(view.record_version, 0x0300);
	CHECK_EQ_INT(view.version, 0x0300);
	CHECK(!view.has_extensions);
	CHECK_EQ_INT(view.n_suites, 4);
	CHECK_EQ_INT(view.suites[3], 0x00ff);
	pl_buf_free(&b);
}

static void hello_tls13_has_versions_and_real_key_shares(void)
{
	static const uint16_t shares[] = { 0x001d, 0x0017, 0x0018 };
	pl_probe_offer_t offer = {
		.version = 0x0304, .suites = tls13_suites, .n_suites = 2,
		.groups = all_groups, .n_groups = 3, .key_shares = shares,
		.n_key_shares = 3, .sni = "localhost",
	};
	pl_buf_t b = PL_BUF_INIT;
	char err[200];

	CHECK_EQ_INT(write_hello(&offer, &b, err), PL_OK);
	CHECK_EQ_INT(read_hello(&b), 0);
	CHECK_EQ_INT(view.record_version, 0x0301);
	CHECK_EQ_INT(view.version, 0x0303);
	CHECK_EQ_INT(view.session_id_len, 32);
	pl_reader_t *versions = extension(0x002b);
	CHECK(versions != NULL && pl_reader_left(versions) == 3 &&
	      versions->p[0] == 2 && versions->p[1] == 3 && versions->p[2] == 4);
	pl_reader_t *ks = extension(0x0033);
	pl_reader_t list, key;
	uint16_t group;
	size_t lens[3] = { 32, 65, 97 };
	CHECK(ks != NULL && pl_read_vec16(ks, &list) == PL_OK);
	for (int i = 0; i < 3; i++) {
		CHECK(pl_read_u16(&list, &group) == PL_OK && group == shares[i]);
		CHECK(pl_read_vec16(&list, &key) == PL_OK &&
		      pl_reader_left(&key) == lens[i]);
	}
	CHECK(pl_reader_left(&list) == 0);
	CHECK(extension(0x000d) != NULL);
	CHECK(extension(0xff01) == NULL);
	CHECK(extension(0x0000) != NULL);
	pl_buf_free(&b);
}

static void hello_tls13_without_shares_sends_an_empty_key_share(void)
{
	pl_probe_offer_t offer = {
		.version = 0x0304, .suites = tls13_suites, .n_suites = 2,
		.groups = all_groups, .n_groups = 3,
	};
	pl_buf_t b = PL_BUF_INIT;
	char err[200];

	CHECK_EQ_INT(write_hello(&offer, &b, err), PL_OK);
	CHECK_EQ_INT(read_hello(&b), 0);
	pl_reader_t *ks = extension(0x0033);
	CHECK(ks != NULL && pl_reader_left(ks) == 2 && ks->p[0] == 0 &&
	      ks->p[1] == 0);
	pl_buf_free(&b);
}

static void hello_too_long_for_one_record_is_split(void)
{
	static uint16_t many[9000];
	pl_probe_offer_t offer = {
		.version = 0x0303, .suites = many, .n_suites = 9000,
	};
	pl_buf_t b = PL_BUF_INIT;
	char err[200];

	for (size_t i = 0; i < 9000; i++)
		many[i] = (uint16_t)(0x0100 + i);
	CHECK_EQ_INT(write_hello(&offer, &b, err), PL_OK);
	CHECK_EQ_INT(read_hello(&b), 0);
	CHECK_EQ_INT(view.records, 2);
	CHECK(view.message_len > 18000);
	pl_buf_free(&b);
}

static void hello_refuses_what_it_cannot_offer(void)
{
	static const uint16_t secp256k1[] = { 0x0016 };
	pl_probe_offer_t offer = {
		.version = 0x0305, .suites = ecdhe_suites, .n_suites = 3,
	};
	pl_buf_t b = PL_BUF_INIT;
	char err[200], name[300];

	CHECK_EQ_INT(write_hello(&offer, &b, err), PL_ERR_ARG);
	CHECK(strstr(err, "0x0305") != NULL);
	offer.version = 0x0303;
	offer.n_suites = 0;
	CHECK_EQ_INT(write_hello(&offer, &b, err), PL_ERR_ARG);
	offer.n_suites = 3;
	memset(name, 'a', 299);
	name[299] = '\0';
	offer.sni = name;
	CHECK_EQ_INT(write_hello(&offer, &b, err), PL_ERR_ARG);
	offer.sni = NULL;
	offer.version = 0x0304;
	offer.key_shares = secp256k1;
	offer.n_key_shares = 1;
	CHECK_EQ_INT(write_hello(&offer, &b, err), PL_ERR_ARG);
	CHECK_MSG(strstr(err, "0x0016") != NULL, "%s", err);
	pl_buf_free(&b);

	pl_probe_result_t r;
	CHECK_EQ_INT(pl_probe_hello("localhost", 443, &offer, 1000, &r),
		     PL_ERR_ARG);
	CHECK(strstr(r.detail, "numeric") != NULL);
}

/* ---- server flights, written by hand ------------------------------------- */

/* A ServerHello body. exts: already-encoded extensions (type, len, data). */
static void push_server_hello(pl_buf_t *m, uint16_t version,
			      const uint8_t random[32], uint16_t suite,
			      const uint8_t *exts, size_t exts_len)
{
	pl_push_u8(m, 2);
	pl_push_open(m, 3);
	pl_push_u16(m, version);
	pl_push_bytes(m, random, 32);
	pl_push_u8(m, 0);
	pl_push_u16(m, suite);
	pl_push_u8(m, 0);
	if (exts != NULL) {
		pl_push_open(m, 2);
		pl_push_bytes(m, exts, exts_len);
		pl_push_close(m);
	}
	pl_push_close(m);
}

static void push_message(pl_buf_t *m, uint8_t type, const uint8_t *body,
			 size_t len)
{
	pl_push_u8(m, type);
	pl_push_u24(m, (uint32_t)len);
	pl_push_bytes(m, body, len);
}

/* Wraps handshake bytes into records of at most chunk bytes each. */
static void to_records(pl_buf_t *out, uint8_t type, const pl_buf_t *m,
		       size_t chunk)
{
	const uint8_t *p = pl_buf_head(m);
	size_t left = pl_buf_size(m);

	while (left > 0) {
		size_t n = left < chunk ? left : chunk;
		pl_push_u8(out, type);
		pl_push_u16(out, 0x0303);
		pl_push_u16(out, (uint16_t)n);
		pl_push_bytes(out, p, n);
		p += n;
		left -= n;
	}
}

static pl_probe_parser_t parser;
static pl_probe_result_t result;

/* Runs the parser over wire in pieces of step bytes; ends with how if it
 * is not done by then. */
static void parse_wire(uint16_t offered, bool status, const pl_buf_t *wire,
		       size_t step, pl_probe_end_t how)
{
	const uint8_t *p = pl_buf_head(wire);
	size_t left = pl_buf_size(wire);

	pl_probe_result_free(&result);
	pl_probe_parser_init(&parser, offered, status, &result);
	while (left > 0 && !pl_probe_parser_done(&parser)) {
		size_t n = left < step ? left : step;
		CHECK_EQ_INT(pl_probe_parser_feed(&parser, p, n), PL_OK);
		p += n;
		left -= n;
	}
	if (!pl_probe_parser_done(&parser))
		pl_probe_parser_end(&parser, how, 2000);
	pl_probe_parser_free(&parser);
}

static const uint8_t plain_random[32] = { 1, 2, 3 };

/* renegotiation_info (empty), extended_master_secret, status_request */
static const uint8_t tls12_exts[] = {
	0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x17, 0x00, 0x00,
	0x00, 0x05, 0x00, 0x00,
};

static void build_tls12_flight(pl_buf_t *m, size_t cert_len, bool status)
{
	static uint8_t cert[40000];

	memset(cert, 0x30, sizeof cert);
	push_server_hello(m, 0x0303, plain_random, 0xc02b, tls12_exts,
			  status ? sizeof tls12_exts : 9);
	pl_push_u8(m, 11);
	pl_push_open(m, 3);
	pl_push_open(m, 3);
	pl_push_open(m, 3);
	pl_push_bytes(m, cert, cert_len);
	pl_push_close(m);
	pl_push_open(m, 3);
	pl_push_bytes(m, cert, 100);
	pl_push_close(m);
	pl_push_close(m);
	pl_push_close(m);
	if (status) {
		static const uint8_t ocsp[] = { 1, 0, 0, 3, 0x30, 0x01, 0x00 };
		push_message(m, 22, ocsp, sizeof ocsp);
	}
	/* ECDHE secp256r1, a 65-byte point, rsa_pss_rsae_sha256, 4-byte sig */
	pl_push_u8(m, 12);
	pl_push_open(m, 3);
	pl_push_u8(m, 3);
	pl_push_u16(m, 0x0017);
	pl_push_open(m, 1);
	pl_push_u8(m, 4);
	for (int i = 0; i < 64; i++)
		pl_push_u8(m, (uint8_t)i);
	pl_push_close(m);
	pl_push_u16(m, 0x0804);
	pl_push_u16(m, 4);
	pl_push_u32(m, 0xdeadbeef);
	pl_push_close(m);
	push_message(m, 14, NULL, 0);
}

static void parser_reads_a_tls12_flight_in_any_chunking(void)
{
	static const size_t record_sizes[] = { 16384, 1000, 7, 1 };
	static const size_t steps[] = { 100000, 4096, 5, 1 };

	for (size_t i = 0; i < 4; i++) {
		pl_buf_t m = PL_BUF_INIT, wire = PL_BUF_INIT;
		build_tls12_flight(&m, 30000, true);
		to_records(&wire, 22, &m, record_sizes[i]);
		parse_wire(0x0303, true, &wire, steps[i], PL_PROBE_END_EOF);
		CHECK_EQ_INT(result.outcome, PL_PROBE_ACCEPTED);
		CHECK(result.complete);
		CHECK_EQ_INT(result.version, 0x0303);
		CHECK_EQ_INT(result.suite, 0xc02b);
		CHECK_EQ_INT(result.group, 0x0017);
		CHECK(result.secure_renegotiation);
		CHECK(result.extended_master_secret);
		CHECK(result.ocsp_stapled);
		CHECK_EQ_INT(result.ocsp_len, 3);
		CHECK_EQ_INT(result.n_certs, 2);
		CHECK_EQ_INT(result.cert_lens[0], 30000);
		CHECK_EQ_INT(result.cert_lens[1], 100);
		CHECK(!result.downgrade_sentinel);
		CHECK_EQ_INT(result.alert, -1);
		CHECK_MSG(strcmp(result.detail, "ServerHello: TLS 1.2, "
				 "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "
				 "secp256r1, 2 certificates, OCSP response "
				 "stapled") == 0, "%s", result.detail);
		pl_buf_free(&m);
		pl_buf_free(&wire);
	}
}

static void parser_reports_another_version_than_offered(void)
{
	pl_buf_t m = PL_BUF_INIT, wire = PL_BUF_INIT;
	uint8_t random[32] = { 0 };

	memcpy(random + 24, "DOWNGRD\x01", 8);
	push_server_hello(&m, 0x0303, random, 0x002f, NULL, 0);
	push_message(&m, 14, NULL, 0);
	to_records(&wire, 22, &m, 16384);
	parse_wire(0x0302, false, &wire, 1000, PL_PROBE_END_EOF);
	CHECK_EQ_INT(result.outcome, PL_PROBE_ACCEPTED);
	CHECK_EQ_INT(result.version, 0x0303);
	CHECK(result.downgrade_sentinel);
	CHECK(!result.secure_renegotiation);
	CHECK_EQ_INT(result.group, 0);
	CHECK_MSG(strstr(result.detail, "TLS 1.2 (TLS 1.1 was offered)") != NULL,
		  "%s", result.detail);
	pl_buf_free(&m);
	pl_buf_free(&wire);
}

static void parser_reads_tls13_server_hello_and_hrr(void)
{
	static const uint8_t sh_exts[] = {
		0x00, 0x2b, 0x00, 0x02, 0x03, 0x04,
		0x00, 0x33, 0x00, 0x08, 0x00, 0x1d, 0x00, 0x04, 1, 2, 3, 4,
	};
	static const uint8_t hrr_exts[] = {
		0x00, 0x2b, 0x00, 0x02, 0x03, 0x04,
		0x00, 0x33, 0x00, 0x02, 0x00, 0x17,
	};
	static const uint8_t hrr_random[32] = {
		0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d,
		0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16,
		0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8,
		0x33, 0x9c,
	};
	pl_buf_t m = PL_BUF_INIT, wire = PL_BUF_INIT;

	push_server_hello(&m, 0x0303, plain_random, 0x1302, sh_exts,
			  sizeof sh_exts);
	to_records(&wire, 22, &m, 16384);
	parse_wire(0x0304, false, &wire, 3, PL_PROBE_END_EOF);
	CHECK_EQ_INT(result.outcome, PL_PROBE_ACCEPTED);
	CHECK_EQ_INT(result.version, 0x0304);
	CHECK_EQ_INT(result.suite, 0x1302);
	CHECK_EQ_INT(result.group, 0x001d);
	CHECK(!result.hrr);
	CHECK(result.complete);

	pl_buf_reset(&m);
	pl_buf_reset(&wire);
	push_server_hello(&m, 0x0303, hrr_random, 0x1301, hrr_exts,
			  sizeof hrr_exts);
	to_records(&wire, 22, &m, 16384);
	parse_wire(0x0304, false, &wire, 100, PL_PROBE_END_EOF);
	CHECK_EQ_INT(result.outcome, PL_PROBE_ACCEPTED);
	CHECK(result.hrr);
	CHECK_EQ_INT(result.group, 0x0017);
	CHECK_MSG(strcmp(result.detail, "HelloRetryRequest: TLS 1.3, "
			 "TLS_AES_128_GCM_SHA256, asks for a key share in "
			 "secp256r1") == 0, "%s", result.detail);
	pl_buf_free(&m);
	pl_buf_free(&wire);
}

static void parser_reports_alerts(void)
{
	pl_buf_t m = PL_BUF_INIT, wire = PL_BUF_INIT;
	static const uint8_t fatal[] = { 2, 70 };
	static const uint8_t warning[] = { 1, 112 };

	pl_push_bytes(&m, fatal, 2);
	to_records(&wire, 21, &m, 16384);
	parse_wire(0x0302, false, &wire, 1, PL_PROBE_END_EOF);
	CHECK_EQ_INT(result.outcome, PL_PROBE_ALERT);
	CHECK_EQ_INT(result.alert, 70);
	CHECK_EQ_INT(result.alert_level, 2);
	CHECK(strcmp(result.detail, "alert: fatal protocol_version (70)") == 0);

	/* a warning, then the hello: accepted, the warning kept */
	pl_buf_reset(&m);
	pl_buf_reset(&wire);
	pl_push_bytes(&m, warning, 2);
	to_records(&wire, 21, &m, 16384);
	pl_buf_reset(&m);
	build_tls12_flight(&m, 500, false);
	to_records(&wire, 22, &m, 16384);
	parse_wire(0x0303, false, &wire, 4096, PL_PROBE_END_EOF);
	CHECK_EQ_INT(result.outcome, PL_PROBE_ACCEPTED);
	CHECK_EQ_INT(result.alert, 112);
	CHECK(result.complete);

	/* a warning, then nothing */
	pl_buf_reset(&m);
	pl_buf_reset(&wire);
	pl_push_bytes(&m, warning, 2);
	to_records(&wire, 21, &m, 16384);
	parse_wire(0x0303, false, &wire, 4096, PL_PROBE_END_EOF);
	CHECK_EQ_INT(result.outcome, PL_PROBE_ALERT);
	CHECK_EQ_INT(result.alert, 112);
	CHECK_EQ_INT(result.alert_level, 1);
	pl_buf_free(&m);
	pl_buf_free(&wire);
}

static void parser_ends_without_an_answer(void)
{
	pl_buf_t m = PL_BUF_INIT, wire = PL_BUF_INIT;

	parse_wire(0x0303, false, &wire, 1, PL_PROBE_END_EOF);
	CHECK_EQ_INT(result.outcome, PL_PROBE_CLOSED);
	parse_wire(0x0303, false, &wire, 1, PL_PROBE_END_RESET);
	CHECK_EQ_INT(result.outcome, PL_PROBE_CLOSED);
	CHECK(strstr(result.detail, "reset") != NULL);
	parse_wire(0x0303, false, &wire, 1, PL_PROBE_END_TIMEOUT);
	CHECK_EQ_INT(result.outcome, PL_PROBE_TIMEOUT);
	CHECK(strcmp(result.detail, "no answer within 2 s") == 0);

	/* a ServerHello (a record of 53 bytes), then the end: accepted, but
	 * not complete */
	build_tls12_flight(&m, 500, false);
	to_records(&wire, 22, &m, 53);
	pl_buf_t cut = PL_BUF_INIT;
	pl_push_bytes(&cut, pl_buf_head(&wire), 60);
	parse_wire(0x0303, false, &cut, 7, PL_PROBE_END_EOF);
	CHECK_EQ_INT(result.outcome, PL_PROBE_ACCEPTED);
	CHECK(!result.complete);
	CHECK_EQ_INT(result.suite, 0xc02b);
	CHECK_MSG(strstr(result.detail, "; then the server closed the "
			 "connection before ServerHelloDone") != NULL, "%s",
		  result.detail);
	parse_wire(0x0303, false, &cut, 7, PL_PROBE_END_TIMEOUT);
	CHECK_EQ_INT(result.outcome, PL_PROBE_ACCEPTED);
	CHECK(strstr(result.detail, "no ServerHelloDone within 2 s") != NULL);

	/* half a ServerHello, then the end */
	pl_buf_reset(&cut);
	pl_push_bytes(&cut, pl_buf_head(&wire), 30);
	parse_wire(0x0303, false, &cut, 7, PL_PROBE_END_EOF);
	CHECK_EQ_INT(result.outcome, PL_PROBE_MALFORMED);
	CHECK(strstr(result.detail, "in the middle of a record") != NULL);
	parse_wire(0x0303, false, &cut, 7, PL_PROBE_END_TIMEOUT);
	CHECK_EQ_INT(result.outcome, PL_PROBE_TIMEOUT);
	pl_buf_free(&m);
	pl_buf_free(&wire);
	pl_buf_free(&cut);
}

/* Parses hex wire bytes as an answer to a TLS 1.2 offer (status asked)
 * and checks that it is malformed with why in the sentence. */
static void expect_malformed(const char *hex, const char *why)
{
	static uint8_t bytes[4096];
	size_t n = test_unhex(hex, bytes, sizeof bytes);
	pl_buf_t wire = PL_BUF_INIT;

	pl_push_bytes(&wire, bytes, n);
	parse_wire(0x0303, true, &wire, 3, PL_PROBE_END_EOF);
	CHECK_MSG(result.outcome == PL_PROBE_MALFORMED &&
		  strstr(result.detail, why) != NULL,
		  "outcome %d, detail '%s', wanted '%s'", result.outcome,
		  result.detail, why);
	pl_buf_free(&wire);
}

/* A ServerHello record (TLS 1.2, suite, a zero random and session id)
 * whose body ends with ext_hex (the extensions block with its length, or
 * nothing), then the records of after_hex; must be malformed for why. */
static void expect_malformed_hello(uint16_t suite, const char *ext_hex,
				   const char *after_hex, const char *why)
{
	static uint8_t ext[512], after[512];
	static const uint8_t zero[32];
	size_t ext_len = test_unhex(ext_hex, ext, sizeof ext);
	size_t after_len = test_unhex(after_hex, after, sizeof after);
	pl_buf_t wire = PL_BUF_INIT;

	pl_push_u8(&wire, 22);
	pl_push_u16(&wire, 0x0303);
	pl_push_open(&wire, 2);
	pl_push_u8(&wire, 2);
	pl_push_open(&wire, 3);
	pl_push_u16(&wire, 0x0303);
	pl_push_bytes(&wire, zero, 32);
	pl_push_u8(&wire, 0);
	pl_push_u16(&wire, suite);
	pl_push_u8(&wire, 0);
	pl_push_bytes(&wire, ext, ext_len);
	pl_push_close(&wire);
	pl_push_close(&wire);
	pl_push_bytes(&wire, after, after_len);
	parse_wire(0x0303, true, &wire, 3, PL_PROBE_END_EOF);
	CHECK_MSG(result.outcome == PL_PROBE_MALFORMED &&
		  strstr(result.detail, why) != NULL,
		  "outcome %d, detail '%s', wanted '%s'", result.outcome,
		  result.detail, why);
	pl_buf_free(&wire);
}

static void parser_calls_malformed_answers_so(void)
{
	expect_malformed("485454502f312e3120343030204261642052657175657374"
			 "0d0a", "not TLS: it starts with 'HTTP/1.1 400 Bad "
			 "Request'");
	expect_malformed("16 0303 ffff", "a record of 65535 bytes");
	expect_malformed("16 0203 0001 00", "version 0x0203");
	expect_malformed("16 0303 0000", "an empty record");
	expect_malformed("16 0303 0004 02ffffff", "ServerHello of 16777215 "
			 "bytes exceeds the 64 KiB cap");
	expect_malformed("16 0303 0005 0b00000100", "Certificate came instead "
			 "of ServerHello");
	expect_malformed("14 0303 0001 01", "ChangeCipherSpec came before "
			 "ServerHello");
	expect_malformed("17 0303 0001 01", "application data came before");
	expect_malformed("15 0303 0003 02 28 00", "an alert record of 3 bytes");
	expect_malformed("15 0303 0002 03 28", "alert level 3");
	expect_malformed("16 0303 0008 02000004 0303 0000",
			 "ServerHello is cut short");
	expect_malformed("16 0303 0005 0000000100", "HelloRequest is not empty");
}

static void parser_calls_malformed_hellos_and_flights_so(void)
{
	static const char *none = "";

	expect_malformed_hello(0xc02f, "0004 ff01 0000", none,
			       "renegotiation_info does not match its length");
	expect_malformed_hello(0xc02f, "0006 ff01 0002 0100", none,
			       "renegotiation_info is not empty on an initial");
	expect_malformed_hello(0xc02f, "0008 0017 0000 0017 0000", none,
			       "extension 0x0017 appears twice");
	expect_malformed_hello(0xc02f, "0003 0017 00", none,
			       "an extension is cut short");
	expect_malformed_hello(0xc02f, "0001", none,
			       "extensions block does not match");
	expect_malformed_hello(0xc02f, "0000 00", none,
			       "extensions block does not match");
	expect_malformed_hello(0xc02f, "0005 0017 0001 00", none,
			       "extended_master_secret is not empty");
	expect_malformed_hello(0xc02f, "0006 002b 0002 0303", none,
			       "supported_versions selects TLS 1.2");
	expect_malformed_hello(0xc02f, "000a 002b 0002 0304 0033 0000", none,
			       "key_share names no group");
	/* After the ServerHello: the flight. */
	expect_malformed_hello(0xc02f, "0000",
			       "16 0303 000b 16000007 01 000003 300100",
			       "CertificateStatus came although");
	expect_malformed_hello(0xc02f, "0004 0005 0000",
			       "16 0303 000b 16000007 02 000003 300100",
			       "status_type 2");
	expect_malformed_hello(0xc02f, "0004 0005 0000",
			       "16 0303 0008 16000004 01 000000",
			       "empty OCSP response");
	expect_malformed_hello(0xc02f, "0000", "16 0303 0004 0d000000",
			       "CertificateRequest does not match");
	expect_malformed_hello(0xc02f, "0000",
			       "16 0303 000b 0b000003 000000 0b000000",
			       "Certificate came out of order");
	expect_malformed_hello(0xc02f, "0000", "16 0303 0005 0e000001 00",
			       "ServerHelloDone is not empty");
	expect_malformed_hello(0xc02f, "0000", "16 0303 0004 04000000",
			       "NewSessionTicket came before ServerHelloDone");
	expect_malformed_hello(0xc02f, "0000", "16 0303 000a 0b000006 000003 000000",
			       "entry 1 is empty");
	expect_malformed_hello(0xc02f, "0000", "16 0303 0007 0b000003 000004",
			       "the list does not match");
	expect_malformed_hello(0x002f, "0000", "16 0303 0005 0c000001 03",
			       "key exchange has none");
	expect_malformed_hello(0xc02f, "0000", "16 0303 0005 0c000001 04",
			       "curve_type 4 is not named_curve");
	expect_malformed_hello(0xc02f, "0000", "16 0303 0008 0c000004 03001700",
			       "ECDH parameters are cut short");
	expect_malformed_hello(0xc02f, "0000",
			       "16 0303 000b 0c000007 030017 0104 0804",
			       "signature does not match");
	expect_malformed_hello(0x009e, "0000", "16 0303 0006 0c000002 0000",
			       "DH parameters are cut short");
	expect_malformed_hello(0xc02f, "0000", "14 0303 0001 01",
			       "ChangeCipherSpec came before ServerHelloDone");
	/* After a ServerHello the sentence starts with it; version and suite
	 * stay filled in. */
	const char *prefix = "ServerHello: TLS 1.2, "
			     "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256; then ";
	CHECK_MSG(strncmp(result.detail, prefix, strlen(prefix)) == 0, "%s",
		  result.detail);
	CHECK_EQ_INT(result.version, 0x0303);
	CHECK_EQ_INT(result.suite, 0xc02f);
}

static void parser_reads_dhe_and_anonymous_key_exchange(void)
{
	pl_buf_t m = PL_BUF_INIT, wire = PL_BUF_INIT;
	uint8_t prime[256];

	memset(prime, 0xff, sizeof prime);
	prime[0] = 0x7f; /* 2047 bits */
	push_server_hello(&m, 0x0303, plain_random, 0x009e, NULL, 0);
	pl_push_u8(&m, 12);
	pl_push_open(&m, 3);
	pl_push_u16(&m, 256);
	pl_push_bytes(&m, prime, 256);
	pl_push_u16(&m, 1);
	pl_push_u8(&m, 2);
	pl_push_u16(&m, 1);
	pl_push_u8(&m, 9);
	pl_push_u16(&m, 0x0401);
	pl_push_u16(&m, 1);
	pl_push_u8(&m, 0);
	pl_push_close(&m);
	push_message(&m, 14, NULL, 0);
	to_records(&wire, 22, &m, 16384);
	parse_wire(0x0303, false, &wire, 50, PL_PROBE_END_EOF);
	CHECK_EQ_INT(result.outcome, PL_PROBE_ACCEPTED);
	CHECK_EQ_INT(result.dhe_bits, 2047);
	CHECK_EQ_INT(result.group, 0);
	CHECK(strstr(result.detail, "DH 2047 bits, 0 certificates") != NULL);

	/* ECDH_anon in TLS 1.0: no certificate, no signature */
	pl_buf_reset(&m);
	pl_buf_reset(&wire);
	push_server_hello(&m, 0x0301, plain_random, 0xc018, NULL, 0);
	static const uint8_t anon[] = { 3, 0x00, 0x1d, 2, 0xaa, 0xbb };
	push_message(&m, 12, anon, sizeof anon);
	push_message(&m, 14, NULL, 0);
	to_records(&wire, 22, &m, 16384);
	parse_wire(0x0301, false, &wire, 50, PL_PROBE_END_EOF);
	CHECK_EQ_INT(result.outcome, PL_PROBE_ACCEPTED);
	CHECK_EQ_INT(result.group, 0x001d);
	CHECK_EQ_INT(result.n_certs, 0);
	pl_buf_free(&m);
	pl_buf_free(&wire);
}

/* A TLS 1.2 ServerHello with a session id of id_len bytes and, with
 * ticket, an empty session_ticket extension; then ServerHelloDone. */
static void build_resumption_hello(pl_buf_t *m, size_t id_len, bool ticket)
{
	static const uint8_t ticket_ext[] = { 0x00, 0x23, 0x00, 0x00 };

	pl_push_u8(m, 2);
	pl_push_open(m, 3);
	pl_push_u16(m, 0x0303);
	pl_push_bytes(m, plain_random, 32);
	pl_push_open(m, 1);
	for (size_t i = 0; i < id_len; i++)
		pl_push_u8(m, (uint8_t)(0xa0 + i));
	pl_push_close(m);
	pl_push_u16(m, 0xc02f);
	pl_push_u8(m, 0);
	pl_push_open(m, 2);
	pl_push_bytes(m, tls12_exts, 9);
	if (ticket)
		pl_push_bytes(m, ticket_ext, sizeof ticket_ext);
	pl_push_close(m);
	pl_push_close(m);
	push_message(m, 14, NULL, 0);
}

static void parser_reads_tls12_session_id_and_ticket(void)
{
	static const struct {
		size_t id_len;
		bool ticket;
	} cases[] = { { 32, false }, { 0, true }, { 32, true }, { 0, false },
		      { 1, false } };

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pl_buf_t m = PL_BUF_INIT, wire = PL_BUF_INIT;
		build_resumption_hello(&m, cases[i].id_len, cases[i].ticket);
		to_records(&wire, 22, &m, 16384);
		parse_wire(0x0303, false, &wire, 7, PL_PROBE_END_EOF);
		CHECK_EQ_INT(result.outcome, PL_PROBE_ACCEPTED);
		CHECK_EQ_INT(result.session_id_len, cases[i].id_len);
		CHECK_EQ_INT(result.session_ticket, cases[i].ticket);
		CHECK(result.secure_renegotiation);
		pl_buf_free(&m);
		pl_buf_free(&wire);
	}
	/* RFC 5246 7.4.1.3: at most 32 bytes */
	pl_buf_t m = PL_BUF_INIT, wire = PL_BUF_INIT;
	build_resumption_hello(&m, 33, true);
	to_records(&wire, 22, &m, 16384);
	parse_wire(0x0303, false, &wire, 100, PL_PROBE_END_EOF);
	CHECK_EQ_INT(result.outcome, PL_PROBE_MALFORMED);
	CHECK_EQ_INT(result.session_id_len, 0);
	CHECK(!result.session_ticket);
	pl_buf_free(&m);
	pl_buf_free(&wire);
}

/* RFC 5246 7.4.1.2 and 7.3: the hello carries the session ID to resume;
 * a ServerHello that echoes it resumes (the probe ends there), one with
 * another ID does not. */
static void probe_offers_a_session_id_and_sees_it_resumed(void)
{
	uint8_t id[33];
	pl_probe_offer_t offer = {
		.version = 0x0303, .suites = ecdhe_suites, .n_suites = 3,
		.groups = all_groups, .n_groups = 3, .session_id = id,
		.session_id_len = 32,
	};
	pl_buf_t b = PL_BUF_INIT;
	char err[200];

	for (size_t i = 0; i < sizeof id; i++)
		id[i] = (uint8_t)(0xa0 + i);
	CHECK_EQ_INT(write_hello(&offer, &b, err), PL_OK);
	CHECK_EQ_INT(read_hello(&b), 0);
	CHECK_EQ_INT(view.session_id_len, 32);
	offer.session_id_len = 33;
	CHECK_EQ_INT(write_hello(&offer, &b, err), PL_ERR_ARG);
	CHECK(strstr(err, "a session ID has at most 32 bytes") != NULL);
	pl_buf_free(&b);

	for (int same = 0; same < 2; same++) {
		pl_buf_t m = PL_BUF_INIT, wire = PL_BUF_INIT;
		id[31] = same ? 0xbf : 0x00;
		build_resumption_hello(&m, 32, false);
		to_records(&wire, 22, &m, 16384);
		pl_probe_result_free(&result);
		pl_probe_parser_init(&parser, 0x0303, false, &result);
		parser.offered_id = id;
		parser.offered_id_len = 32;
		CHECK_EQ_INT(pl_probe_parser_feed(&parser, pl_buf_head(&wire),
						  pl_buf_size(&wire)), PL_OK);
		CHECK(pl_probe_parser_done(&parser));
		pl_probe_parser_free(&parser);
		CHECK_EQ_INT(result.outcome, PL_PROBE_ACCEPTED);
		CHECK_EQ_INT(result.resumed, same);
		CHECK_EQ_INT(result.complete, true);
		CHECK_EQ_INT(result.session_id[0], 0xa0);
		CHECK_EQ_INT(strstr(result.detail, "resumes the session offered")
				     != NULL, same);
		pl_buf_free(&m);
		pl_buf_free(&wire);
	}
}

static void parser_ignores_bytes_after_it_is_done(void)
{
	pl_buf_t m = PL_BUF_INIT, wire = PL_BUF_INIT;

	build_tls12_flight(&m, 500, false);
	to_records(&wire, 22, &m, 16384);
	pl_push_bytes(&wire, "garbage after the flight", 24);
	parse_wire(0x0303, false, &wire, 100000, PL_PROBE_END_EOF);
	CHECK_EQ_INT(result.outcome, PL_PROBE_ACCEPTED);
	CHECK(result.complete);
	pl_buf_free(&m);
	pl_buf_free(&wire);
}

int main(void)
{
	RUN(hello_tls12_carries_the_extensions_real_clients_send);
	RUN(hello_tls10_has_no_signature_algorithms);
	RUN(hello_ssl3_has_no_extensions_but_the_scsv);
	RUN(hello_tls13_has_versions_and_real_key_shares);
	RUN(hello_tls13_without_shares_sends_an_empty_key_share);
	RUN(hello_too_long_for_one_record_is_split);
	RUN(hello_refuses_what_it_cannot_offer);
	RUN(parser_reads_a_tls12_flight_in_any_chunking);
	RUN(parser_reports_another_version_than_offered);
	RUN(parser_reads_tls13_server_hello_and_hrr);
	RUN(parser_reports_alerts);
	RUN(parser_ends_without_an_answer);
	RUN(parser_calls_malformed_answers_so);
	RUN(parser_calls_malformed_hellos_and_flights_so);
	RUN(parser_reads_dhe_and_anonymous_key_exchange);
	RUN(parser_reads_tls12_session_id_and_ticket);
	RUN(probe_offers_a_session_id_and_sees_it_resumed);
	RUN(parser_ignores_bytes_after_it_is_done);
	pl_probe_result_free(&result);
	return test_finish();
}
