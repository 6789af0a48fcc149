/*
 * Step 3 of padlock check: which protocol versions the server accepts.
 * SSL 3.0 to TLS 1.2 by probes (one ClientHello offering exactly that
 * version and every suite of it; the ServerHello or the alert tells), TLS
 * 1.3 by a probe and by a real handshake with padlock's engine
 * (check_engine.c).
 */
#include <stdlib.h>
#include <string.h>

#include "check/check_internal.h"

/* What every version probe offers besides its suites: the groups a probe
 * can make key shares for first, then the others a server may know. */
static const uint16_t offer_groups[] = {
	PL_GROUP_X25519, PL_GROUP_SECP256R1, PL_GROUP_SECP384R1, 0x0019,
};

size_t check_legacy_suites(uint16_t *out, size_t cap)
{
	size_t n, count = 0;
	const pl_tls_suite_info_t *t = pl_tls_suite_table(&n);

	for (size_t i = 0; i < n && count < cap; i++)
		if ((t[i].flags & (PL_SUITE_TLS13 | PL_SUITE_SCSV)) == 0)
			out[count++] = t[i].id;
	return count;
}

static const char *version_code(uint16_t v)
{
	switch (v) {
	case 0x0300: return "ssl3";
	case 0x0301: return "tls10";
	case 0x0302: return "tls11";
	case 0x0303: return "tls12";
	default: return "tls13";
	}
}

const char *check_version_name(uint16_t v)
{
	switch (v) {
	case 0x0300: return "SSL 3.0";
	case 0x0301: return "TLS 1.0";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	default: return "TLS 1.3";
	}
}

/* ---- the legacy chain, kept for step 5 ---------------------------------------- */

/* Keeps the chain of the highest version accepted: the one most clients
 * of that server get. */
static void keep_certs(struct check_run *run, const pl_probe_result_t *res)
{
	if (res->n_certs == 0 || res->version <= run->legacy_cert_version)
		return;
	check_free_legacy_certs(run);
	run->legacy_certs = calloc(res->n_certs, sizeof *run->legacy_certs);
	run->legacy_cert_lens = calloc(res->n_certs,
				       sizeof *run->legacy_cert_lens);
	if (run->legacy_certs == NULL || run->legacy_cert_lens == NULL) {
		run->nomem = true;
		return;
	}
	for (size_t i = 0; i < res->n_certs; i++) {
		run->legacy_certs[i] = malloc(res->cert_lens[i]);
		if (run->legacy_certs[i] == NULL) {
			run->nomem = true;
			return;
		}
		memcpy(run->legacy_certs[i], res->certs[i], res->cert_lens[i]);
		run->legacy_cert_lens[i] = res->cert_lens[i];
		run->legacy_cert_count = i + 1;
	}
	run->legacy_cert_version = res->version;
	run->legacy_ocsp_stapled = res->ocsp_stapled;
}

/* ---- one probe per version -------------------------------------------------- */

static pl_check_answer_t judge(uint16_t offered, const pl_probe_result_t *res)
{
	switch (res->outcome) {
	case PL_PROBE_ACCEPTED:
		/* A server that does not speak the version offered answers
		 * with a lower one (RFC 5246 E.1) or an alert: either way the
		 * version is refused. A higher one breaks the protocol. */
		if (res->version == offered)
			return PL_CHECK_YES;
		return res->version < offered ? PL_CHECK_NO : PL_CHECK_UNCLEAR;
	case PL_PROBE_ALERT:
	case PL_PROBE_CLOSED:
		return PL_CHECK_NO;
	default:
		return PL_CHECK_UNCLEAR;
	}
}

/* The ClientHello of one version's probe: every suite of that version. */
static pl_probe_offer_t version_offer(struct check_run *run, uint16_t version,
				      const uint16_t *suites, size_t n_suites)
{
	static const uint16_t tls13_share[] = { PL_GROUP_X25519 };
	pl_probe_offer_t offer = {
		.version = version,
		.suites = suites,
		.n_suites = n_suites,
		.groups = offer_groups,
		.n_groups = sizeof offer_groups / sizeof offer_groups[0],
		.sni = run->r->sni[0] != '\0' ? run->r->sni : NULL,
		.status_request = true,
	};

	if (version == PL_TLS_VERSION_13) {
		offer.key_shares = tls13_share;
		offer.n_key_shares = 1;
	}
	return offer;
}

static void take_answer(struct check_run *run, pl_check_protocol_t *p,
			const pl_probe_result_t *res)
{
	pl_check_result_t *r = run->r;

	p->accepted = judge(p->version, res);
	snprintf(p->detail, sizeof p->detail, "%s", res->detail);
	if (p->accepted == PL_CHECK_YES && p->version < PL_TLS_VERSION_13) {
		keep_certs(run, res);
		if (r->legacy_version < p->version) {
			r->legacy_version = p->version;
			r->secure_renegotiation = res->secure_renegotiation;
		}
	}
	if (p->accepted == PL_CHECK_YES && p->version == PL_TLS_VERSION_12) {
		/* With a ticket coming the ID may be left empty (OpenSSL
		 * does): whether clients without tickets get one is then
		 * not known from this answer. */
		r->tls12_session_id = res->session_id_len > 0 ? PL_CHECK_YES
				      : res->session_ticket ? PL_CHECK_UNCLEAR
							    : PL_CHECK_NO;
		r->tls12_session_ticket = res->session_ticket ? PL_CHECK_YES
							      : PL_CHECK_NO;
	}
}

/* TLS 1.3 first and alone: a server that accepts TCP and never answers
 * would make every other probe wait its whole timeout, so its silence
 * here skips them. The older versions are independent of each other and
 * go at once. */
static void probe_versions(struct check_run *run, const uint16_t *legacy,
			   size_t n_legacy, const uint16_t *tls13,
			   size_t n_tls13)
{
	pl_check_result_t *r = run->r;
	pl_probe_offer_t offers[5];
	pl_probe_result_t res[5];

	for (size_t i = 0; i < 5; i++) {
		r->protocols[i].version = (uint16_t)(0x0300 + i);
		offers[i] = i == 4 ? version_offer(run, PL_TLS_VERSION_13, tls13,
						   n_tls13)
				   : version_offer(run, r->protocols[i].version,
						   legacy, n_legacy);
	}
	check_progress(run, PL_CHECK_STEP_PROTOCOLS, "TLS 1.3 probe");
	if (!check_probe_batch(run, &offers[4], &res[4], 1))
		return;
	take_answer(run, &r->protocols[4], &res[4]);
	run->silent = res[4].outcome == PL_PROBE_TIMEOUT;
	pl_probe_result_free(&res[4]);
	if (run->silent) {
		for (size_t i = 0; i < 4; i++)
			snprintf(r->protocols[i].detail,
				 sizeof r->protocols[i].detail, "not probed: "
				 "the server answered no ClientHello");
		return;
	}
	check_progress(run, PL_CHECK_STEP_PROTOCOLS, "SSL 3.0 to TLS 1.2 probes");
	if (!check_probe_batch(run, offers, res, 4))
		return;
	for (size_t i = 0; i < 4; i++) {
		take_answer(run, &r->protocols[i], &res[i]);
		pl_probe_result_free(&res[i]);
	}
}

/* ---- findings ------------------------------------------------------------------- */

#define OLD_PROTOCOLS_FIX \
	"accept only TLS 1.2 and 1.3: nginx 'ssl_protocols TLSv1.2 " \
	"TLSv1.3;', Apache 'SSLProtocol -all +TLSv1.2 +TLSv1.3', HAProxy " \
	"'ssl-min-ver TLSv1.2' (padlock serve never accepts them)"

static void report_version(struct check_run *run, const pl_check_protocol_t *p)
{
	const char *name = check_version_name(p->version);
	char code[48];
	bool old = p->version < PL_TLS_VERSION_12;

	if (p->accepted == PL_CHECK_NOT_TESTED)
		return;
	if (p->accepted == PL_CHECK_UNCLEAR) {
		snprintf(code, sizeof code, "protocol.%s-unclear",
			 version_code(p->version));
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_WARNING, code,
			  -1, "", "%s: no clear answer (%s)", name, p->detail);
		return;
	}
	snprintf(code, sizeof code, "protocol.%s-%s", version_code(p->version),
		 p->accepted == PL_CHECK_YES ? "accepted" : "refused");
	if (old && p->accepted == PL_CHECK_YES)
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_FAILURE, code,
			  -1, OLD_PROTOCOLS_FIX, "%s is accepted: %s", name,
			  p->version == 0x0300
				  ? "it is broken (POODLE) and forbidden by "
				    "RFC 7568"
				  : "it is deprecated by RFC 8996 and lacks "
				    "modern cipher suites");
	else if (old)
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_OK, code, -1, "",
			  "%s is refused", name);
	else if (p->accepted == PL_CHECK_YES)
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_OK, code, -1, "",
			  "%s is accepted", name);
	else if (p->version == PL_TLS_VERSION_12)
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_INFO, code, -1,
			  "", "TLS 1.2 is refused: clients without TLS 1.3 "
			  "(older Android, Java 8, Windows 7 and 8) cannot "
			  "connect");
	else
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_WARNING, code,
			  -1, "turn TLS 1.3 on: nginx 'ssl_protocols TLSv1.2 "
			  "TLSv1.3;' with OpenSSL 1.1.1 or later, Apache "
			  "'SSLProtocol -all +TLSv1.2 +TLSv1.3'",
			  "TLS 1.3 is refused: it is faster (one round trip) "
			  "and safer (only forward-secret AEAD suites)");
}

static void report_silent(struct check_run *run)
{
	check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_FAILURE,
		  "protocol.silent", -1,
		  "check what listens on the port ('ss -ltnp' on the server) "
		  "and that it serves TLS there; a server that accepts and never "
		  "answers is often overloaded, stuck, or behind a proxy whose "
		  "backend is down",
		  "the server accepts TCP connections on port %u but answered "
		  "no ClientHello within %g s; the other probes and the "
		  "handshake were skipped, since they would wait as long",
		  (unsigned)run->r->port, run->opt.timeout_ms / 1000.0);
}

static void report_summary(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	bool any = false;

	for (size_t i = 0; i < 5; i++)
		any = any || r->protocols[i].accepted == PL_CHECK_YES;
	/* Also when the run's time ran out: a server that showed no TLS in
	 * the time given is not graded as if it had. */
	if (!any)
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_FAILURE,
			  "protocol.none", -1,
			  "check that the port serves TLS (not plain HTTP or "
			  "another protocol) and that the server has a "
			  "certificate for this name",
			  "the server accepted no version of TLS or SSL on port "
			  "%u%s", (unsigned)r->port,
			  run->out_of_time ? " before the run's time ran out" : "");
	if (r->legacy_version != 0 && !r->secure_renegotiation)
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_WARNING,
			  "protocol.no-secure-renegotiation", -1,
			  "update the TLS library: every maintained one "
			  "supports RFC 5746",
			  "the %s answer has no renegotiation_info (RFC 5746): "
			  "the server may be open to renegotiation attacks",
			  check_version_name(r->legacy_version));
}

void check_step_protocols(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	uint16_t *legacy = calloc(LEGACY_SUITES_MAX, sizeof *legacy);
	size_t n_legacy, n_table;
	uint16_t tls13[8];
	size_t n_tls13 = 0;
	const pl_tls_suite_info_t *t = pl_tls_suite_table(&n_table);

	if (legacy == NULL) {
		run->nomem = true;
		return;
	}
	n_legacy = check_legacy_suites(legacy, LEGACY_SUITES_MAX);
	for (size_t i = 0; i < n_table && n_tls13 < 8; i++)
		if (t[i].flags & PL_SUITE_TLS13)
			tls13[n_tls13++] = t[i].id;
	probe_versions(run, legacy, n_legacy, tls13, n_tls13);
	free(legacy);
	for (size_t i = 0; i < 5; i++)
		report_version(run, &r->protocols[i]);
	if (run->silent)
		report_silent(run);
	else if (check_timeout(run) > 0) {
		check_engine_handshake(run);
		check_resumption(run);
	}
	report_summary(run);
}
