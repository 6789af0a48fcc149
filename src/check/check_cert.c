/*
 * Step 5 of padlock check: the certificate chain as clients get it (from
 * the engine's TLS 1.3 handshake, else from a TLS <= 1.2 probe's
 * Certificate message), verified against the trust store (the system's,
 * plus --ca-file) and diagnosed with pl_x509_diagnose, whose findings keep
 * their codes. Then OCSP stapling.
 */
#include <stdlib.h>
#include <string.h>

#include "check/check_internal.h"

#define DAY (24 * 60 * 60)

static pl_check_level_t level_of(pl_x509_severity_t s)
{
	switch (s) {
	case PL_X509_SEVERITY_ERROR: return PL_CHECK_FAILURE;
	case PL_X509_SEVERITY_WARNING: return PL_CHECK_WARNING;
	default: return PL_CHECK_INFO;
	}
}

/* The chain to judge: the engine's, or one built from the probe's DER. */
static pl_x509_chain_t *legacy_chain(struct check_run *run)
{
	pl_x509_chain_t *c = NULL;
	char err[256];

	if (run->legacy_cert_count == 0)
		return NULL;
	if (pl_x509_chain_from_der((const uint8_t *const *)run->legacy_certs,
				   run->legacy_cert_lens, run->legacy_cert_count,
				   &c, err, sizeof err) != PL_OK) {
		check_add(run, PL_CHECK_STEP_CERTIFICATE, PL_CHECK_FAILURE,
			  "cert.unreadable", -1, "",
			  "the server's certificate cannot be read: %s", err);
		return NULL;
	}
	return c;
}

static void keep_infos(struct check_run *run, const pl_x509_chain_t *c)
{
	pl_check_result_t *r = run->r;
	size_t n = pl_x509_chain_count(c);

	r->chain = calloc(n, sizeof *r->chain);
	if (r->chain == NULL) {
		run->nomem = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (pl_x509_chain_info(c, i, &r->chain[i]) == PL_OK)
			r->chain_count = i + 1;
		else
			break;
}

static void verify(struct check_run *run, const pl_x509_chain_t *c)
{
	pl_check_result_t *r = run->r;
	pl_x509_verdict_t v;

	memset(&v, 0, sizeof v);
	r->trusted = pl_x509_verify(run->store, c, run->verify_name,
				    run->opt.now, &v) == PL_OK;
	snprintf(r->trust_reason, sizeof r->trust_reason, "%s",
		 r->trusted ? v.trusted_root : v.reason);
}

/* chain.missing-intermediate in the words of a remote site: the
 * diagnostics name the server's chain file, which exists only on its disk;
 * this names the certificate that is missing, where to get it, and the fix
 * in words that assume no file names. */
static void report_missing(struct check_run *run, const pl_x509_finding_t *x)
{
	const pl_check_result_t *r = run->r;
	const pl_x509_info_t *below;
	char fix[1024], where[320] = "";

	if (x->cert < 0 || (size_t)x->cert >= r->chain_count) {
		check_add(run, PL_CHECK_STEP_CERTIFICATE, level_of(x->severity),
			  x->code, x->cert, x->fix, "%s", x->message);
		return;
	}
	below = &r->chain[x->cert];
	if (below->ca_issuers[0] != '\0')
		snprintf(where, sizeof where, "; certificate %d names where to "
			 "download it: %s", x->cert + 1, below->ca_issuers);
	snprintf(fix, sizeof fix,
		 "configure the server to send, after its own certificate, the "
		 "intermediate '%s' (what CAs call the full chain or bundle)%s, "
		 "then reload it; if '%s' is a private root of your own, make "
		 "the clients trust it instead ('padlock cert --install' on each "
		 "machine, or --ca-file for this check)", below->issuer,
		 below->ca_issuers[0] != '\0' ? ", downloaded from the address "
		 "above" : " from the CA that issued the certificate",
		 below->issuer);
	check_add(run, PL_CHECK_STEP_CERTIFICATE, level_of(x->severity), x->code,
		  x->cert, fix, "the server does not send the certificate "
		  "'%s' that issued certificate %d ('%s'), and clients that "
		  "do not already hold it cannot connect the chain to a "
		  "root%s", below->issuer, x->cert + 1, below->subject, where);
}

static void diagnose(struct check_run *run, const pl_x509_chain_t *c)
{
	pl_x509_findings_t *f = pl_x509_findings_new();
	pl_x509_diagnose_opts_t opts = {
		.store = run->store,
		.now = run->opt.now,
		.host = run->verify_name,
		.chain_path = "chain.pem",
	};
	char err[512];

	if (f == NULL) {
		run->nomem = true;
		return;
	}
	if (pl_x509_diagnose(c, &opts, f, err, sizeof err) != PL_OK)
		check_add(run, PL_CHECK_STEP_CERTIFICATE, PL_CHECK_WARNING,
			  "cert.diagnosis-failed", -1, "",
			  "the chain could not be fully diagnosed: %s", err);
	for (size_t i = 0; i < pl_x509_findings_count(f); i++) {
		const pl_x509_finding_t *x = pl_x509_findings_get(f, i);

		if (strcmp(x->code, "chain.missing-intermediate") == 0) {
			report_missing(run, x);
			continue;
		}
		check_add(run, PL_CHECK_STEP_CERTIFICATE, level_of(x->severity),
			  x->code, x->cert, x->fix, "%s", x->message);
	}
	pl_x509_findings_free(f);
}

static bool has_certificate_failure(const pl_check_result_t *r)
{
	for (size_t i = 0; i < r->finding_count; i++)
		if (r->findings[i].step == PL_CHECK_STEP_CERTIFICATE &&
		    r->findings[i].level == PL_CHECK_FAILURE)
			return true;
	return false;
}

static bool has_finding(const pl_check_result_t *r, const char *code)
{
	for (size_t i = 0; i < r->finding_count; i++)
		if (strcmp(r->findings[i].code, code) == 0)
			return true;
	return false;
}

static void report_trust(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	const pl_x509_info_t *leaf = &r->chain[0];
	char date[32];
	struct tm tm;

	if (r->trusted)
		check_add(run, PL_CHECK_STEP_CERTIFICATE, PL_CHECK_OK,
			  "cert.trusted", -1, "", "the chain leads to the trusted "
			  "root '%s' and covers %s", r->trust_reason,
			  run->verify_name);
	else if (!has_certificate_failure(r))
		/* The diagnostics explain a failure in their words; when
		 * they found none, the verdict is all there is. */
		check_add(run, PL_CHECK_STEP_CERTIFICATE, PL_CHECK_FAILURE,
			  "cert.untrusted", -1,
			  "run 'padlock cert check' on the chain file for details",
			  "clients cannot verify the certificate: %s",
			  r->trust_reason);
	if (r->chain_count == 0 || has_finding(r, "cert.expired") ||
	    has_finding(r, "cert.expires-soon") ||
	    has_finding(r, "cert.not-yet-valid"))
		return;
	gmtime_r(&leaf->not_after, &tm);
	strftime(date, sizeof date, "%Y-%m-%d", &tm);
	check_add(run, PL_CHECK_STEP_CERTIFICATE, PL_CHECK_OK, "cert.valid", 0,
		  "", "the server certificate is valid until %s (%lld days "
		  "left): %s, signed with %s", date,
		  (long long)((leaf->not_after - run->opt.now) / DAY), leaf->key,
		  leaf->sig_alg);
}

static void report_ocsp(struct check_run *run, bool from_engine)
{
	pl_check_result_t *r = run->r;

	r->ocsp_checked = true;
	r->ocsp_stapled = from_engine ? run->engine_ocsp
				      : run->legacy_ocsp_stapled;
	if (r->ocsp_stapled)
		check_add(run, PL_CHECK_STEP_CERTIFICATE, PL_CHECK_OK,
			  "cert.ocsp-stapled", -1, "",
			  "the server staples an OCSP response");
	else
		check_add(run, PL_CHECK_STEP_CERTIFICATE, PL_CHECK_INFO,
			  "cert.no-ocsp-stapling", -1,
			  "for a certificate from a public CA with an OCSP "
			  "responder: nginx 'ssl_stapling on; ssl_stapling_verify "
			  "on;', Apache 'SSLUseStapling on'",
			  "the server does not staple an OCSP response: clients "
			  "ask the CA themselves (slower, and it tells the CA "
			  "who visits) or skip the check");
}

void check_step_certificate(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	pl_x509_chain_t *owned = NULL;
	const pl_x509_chain_t *c = run->engine_chain;
	bool from_engine = c != NULL;

	if (c == NULL)
		c = owned = legacy_chain(run);
	if (c == NULL || pl_x509_chain_count(c) == 0) {
		if (!run->out_of_time &&
		    (r->legacy_version != 0 || r->engine_handshake))
			check_add(run, PL_CHECK_STEP_CERTIFICATE,
				  PL_CHECK_FAILURE, "cert.unavailable", -1, "",
				  "no certificate could be obtained from the "
				  "server");
		else
			check_add(run, PL_CHECK_STEP_CERTIFICATE, PL_CHECK_INFO,
				  "cert.skipped", -1, "",
				  "no certificate to judge: %s",
				  check_skip_reason(run));
		goto out;
	}
	check_progress(run, PL_CHECK_STEP_CERTIFICATE, "judging the chain");
	if (from_engine)
		snprintf(r->cert_source, sizeof r->cert_source,
			 "%s handshake",
			 pl_tls_version_name(run->engine_version));
	else
		snprintf(r->cert_source, sizeof r->cert_source, "%s probe",
			 check_version_name(run->legacy_cert_version));
	keep_infos(run, c);
	verify(run, c);
	diagnose(run, c);
	report_trust(run);
	report_ocsp(run, from_engine);
out:
	pl_x509_chain_free(owned);
}
