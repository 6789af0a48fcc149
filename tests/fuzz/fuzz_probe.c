/*
 * libFuzzer harness: the parser of a server's answer to a probe
 * (src/client/probe_parse.c) - records, handshake reassembly, ServerHello
 * and HelloRetryRequest, Certificate, CertificateStatus, ServerKeyExchange,
 * CertificateRequest, ServerHelloDone, alerts.
 *
 * Input: a control byte, then the bytes a server sends. The control byte
 * picks the version the probe offered (bits 0-2: SSL 3.0 + n, n <= 4,
 * larger n wrap), whether it asked for OCSP (bit 3), how the bytes are cut
 * into pieces (bits 4-6: all at once, pieces of 1, 2, 3, 7 or 64 bytes,
 * pseudo-random pieces of 1-32) and how the answer ends when the parser
 * wants more (bit 7: the server closes, or the timeout). Bits 0-2 of 5 to
 * 7 (versions that wrap) also make the probe have offered a session ID
 * (32 bytes of 0x5a), so a ServerHello that echoes it resumes.
 *
 * The same bytes are also parsed in one piece, and both runs must give the
 * same result, byte for byte. Each result must keep the API's promises: a
 * final outcome with one sentence, non-empty certificates shorter than
 * the input, a stapled response only when asked, HelloRetryRequest
 * only for TLS 1.3, version and suite only after a ServerHello.
 *
 * Seeds: corpus/fuzz_probe/ holds real servers' answers (openssl s_server,
 * gnutls-serv, padlock_testserver) recorded behind a proxy, and a few
 * hand-made broken ones.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/probe_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VERSION(ctl) ((uint16_t)(0x0300 + ((ctl) & 7) % 5))
#define ASKED_STATUS(ctl) (((ctl) & 0x08) != 0)
#define CHUNK_SCHEME(ctl) (((ctl) >> 4) & 7)
#define ENDS_BY_TIMEOUT(ctl) (((ctl) & 0x80) != 0)
#define OFFERS_ID(ctl) (((ctl) & 7) >= 5)

static const uint8_t offered_id[32] = {
	0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
	0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
	0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
};

#define REQUIRE(cond)                                                        \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "fuzz_probe: %s:%d: %s\n", __FILE__, \
				__LINE__, #cond);                            \
			abort();                                             \
		}                                                            \
	} while (0)

/* The size of the next piece: scheme 0 all at once, 1-5 fixed sizes, 6-7
 * pseudo-random from a small generator seeded by the input's length. */
static size_t piece(unsigned scheme, size_t left, uint32_t *state)
{
	static const size_t fixed[] = { 1, 2, 3, 7, 64 };
	size_t n;

	if (scheme == 0)
		return left;
	if (scheme <= 5)
		n = fixed[scheme - 1];
	else {
		*state = *state * 1103515245u + 12345u;
		n = 1 + (*state >> 16) % 32;
	}
	return n < left ? n : left;
}

static void parse(uint8_t ctl, const uint8_t *data, size_t size,
		  unsigned scheme, pl_probe_result_t *out)
{
	pl_probe_parser_t parser;
	uint32_t state = (uint32_t)size;

	pl_probe_parser_init(&parser, VERSION(ctl), ASKED_STATUS(ctl), out);
	if (OFFERS_ID(ctl)) {
		parser.offered_id = offered_id;
		parser.offered_id_len = sizeof offered_id;
	}
	while (size > 0 && !pl_probe_parser_done(&parser)) {
		size_t n = piece(scheme, size, &state);
		/* The harness never runs out of memory on purpose. */
		REQUIRE(pl_probe_parser_feed(&parser, data, n) == PL_OK);
		data += n;
		size -= n;
	}
	if (!pl_probe_parser_done(&parser))
		pl_probe_parser_end(&parser, ENDS_BY_TIMEOUT(ctl)
						     ? PL_PROBE_END_TIMEOUT
						     : PL_PROBE_END_EOF, 5000);
	REQUIRE(pl_probe_parser_done(&parser));
	pl_probe_parser_free(&parser);
}

static void check_promises(uint8_t ctl, const uint8_t *data, size_t size,
			   const pl_probe_result_t *r)
{
	size_t detail_len = strnlen(r->detail, sizeof r->detail);

	REQUIRE(r->outcome == PL_PROBE_ACCEPTED || r->outcome == PL_PROBE_ALERT ||
		r->outcome == PL_PROBE_CLOSED || r->outcome == PL_PROBE_TIMEOUT ||
		r->outcome == PL_PROBE_MALFORMED);
	REQUIRE(detail_len > 0 && detail_len < sizeof r->detail);
	if (r->outcome == PL_PROBE_ALERT)
		REQUIRE(r->alert >= 0 && r->alert <= 255 &&
			(r->alert_level == 1 || r->alert_level == 2));
	if (r->outcome == PL_PROBE_CLOSED || r->outcome == PL_PROBE_TIMEOUT ||
	    r->outcome == PL_PROBE_ALERT)
		REQUIRE(r->version == 0 && r->suite == 0 && r->n_certs == 0);
	if (r->complete)
		REQUIRE(r->outcome == PL_PROBE_ACCEPTED);
	if (r->hrr)
		REQUIRE(r->version >= 0x0304);
	REQUIRE(r->session_id_len <= 32);
	if (r->resumed)
		REQUIRE(OFFERS_ID(ctl) && r->outcome == PL_PROBE_ACCEPTED &&
			r->complete && r->version < 0x0304 && r->n_certs == 0 &&
			r->session_id_len == sizeof offered_id &&
			memcmp(r->session_id, offered_id, sizeof offered_id) == 0);
	if (r->version >= 0x0304)
		REQUIRE(r->n_certs == 0 && !r->ocsp_stapled);
	REQUIRE(r->ocsp_stapled == (r->ocsp != NULL));
	/* Copies of input bytes: shorter than the input. (Records may cut
	 * them anywhere, so they need not appear in it in one piece.) */
	if (r->ocsp_stapled)
		REQUIRE(ASKED_STATUS(ctl) && r->ocsp_len > 0 &&
			r->ocsp_len < size);
	REQUIRE((r->n_certs == 0) == (r->certs == NULL));
	for (size_t i = 0; i < r->n_certs; i++)
		REQUIRE(r->certs[i] != NULL && r->cert_lens[i] > 0 &&
			r->cert_lens[i] < size);
}

static void check_same(const pl_probe_result_t *a, const pl_probe_result_t *b)
{
	REQUIRE(a->outcome == b->outcome && a->version == b->version &&
		a->suite == b->suite && a->group == b->group &&
		a->hrr == b->hrr && a->alert == b->alert &&
		a->alert_level == b->alert_level && a->complete == b->complete &&
		a->secure_renegotiation == b->secure_renegotiation &&
		a->ocsp_stapled == b->ocsp_stapled &&
		a->ocsp_len == b->ocsp_len && a->n_certs == b->n_certs &&
		a->extended_master_secret == b->extended_master_secret &&
		a->cert_requested == b->cert_requested &&
		a->downgrade_sentinel == b->downgrade_sentinel &&
		a->dhe_bits == b->dhe_bits && a->resumed == b->resumed &&
		a->session_id_len == b->session_id_len &&
		memcmp(a->session_id, b->session_id, a->session_id_len) == 0);
	REQUIRE(strcmp(a->detail, b->detail) == 0);
	if (a->ocsp_len > 0)
		REQUIRE(memcmp(a->ocsp, b->ocsp, a->ocsp_len) == 0);
	for (size_t i = 0; i < a->n_certs; i++)
		REQUIRE(a->cert_lens[i] == b->cert_lens[i] &&
			memcmp(a->certs[i], b->certs[i], a->cert_lens[i]) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pl_probe_result_t whole, pieces;

	if (size < 1)
		return 0;
	uint8_t ctl = data[0];
	data++;
	size--;
	parse(ctl, data, size, 0, &whole);
	check_promises(ctl, data, size, &whole);
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "fuzz_probe: %s: %s\n",
			pl_probe_outcome_name(whole.outcome), whole.detail);
	if (CHUNK_SCHEME(ctl) != 0) {
		parse(ctl, data, size, CHUNK_SCHEME(ctl), &pieces);
		check_same(&whole, &pieces);
		pl_probe_result_free(&pieces);
	}
	pl_probe_result_free(&whole);
	return 0;
}
