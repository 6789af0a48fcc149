/*
 * Step 7 of padlock check: the grade, from the findings of steps 1 to 6,
 * by the rules of docs/padlock-check.md (modelled on SSL Labs' SSL Server
 * Rating Guide): every configuration starts at A; each problem caps the
 * grade (the lowest cap wins); a certificate clients cannot trust makes it
 * T, with the grade it would have otherwise beside it; A+ is an A with
 * HSTS of six months or more and no warning at all.
 */
#include <string.h>

#include "check/check_internal.h"

#define HSTS_MIN_AGE 15768000LL

/* A finding code that caps the grade. */
struct cap_rule {
	const char *code;
	const char *grade;
	const char *reason;
	bool failure_only; /* a warning of that code does not cap */
};

static const struct cap_rule rules[] = {
	{ "protocol.none", "F", "no version of TLS is accepted", false },
	{ "protocol.ssl3-accepted", "F", "SSL 3.0 is accepted", false },
	{ "suite.rc4", "F", "RC4 suites are accepted", false },
	{ "suite.export", "F", "EXPORT suites are accepted", false },
	{ "suite.null", "F", "NULL (unencrypted) suites are accepted", false },
	{ "suite.anon", "F", "anonymous suites are accepted", false },
	{ "key.weak", "F", "a certificate key is too weak", false },
	{ "cert.unavailable", "F", "no certificate could be obtained", false },
	{ "cert.unreadable", "F", "the certificate cannot be read", false },
	{ "suite.3des", "C", "3DES suites are accepted", false },
	{ "protocol.tls10-accepted", "B", "TLS 1.0 is accepted", false },
	{ "protocol.tls11-accepted", "B", "TLS 1.1 is accepted", false },
	{ "suite.no-forward-secrecy", "B",
	  "forward secrecy does not hold for every suite", false },
	{ "suite.no-aead", "B", "no AEAD suite is accepted", false },
	{ "suite.weak-dh", "B", "the DHE prime is shorter than 2048 bits", false },
	{ "protocol.no-secure-renegotiation", "B",
	  "secure renegotiation (RFC 5746) is not supported", false },
	{ "cert.expires-soon", "B", "the certificate has less than a tenth "
	  "of its lifetime (or less than a day) left", true },
	{ "port.refused", "B", "an address of the name refuses the port", false },
	{ "port.filtered", "B", "an address of the name does not answer", false },
	{ "port.unreachable", "B", "an address of the name is unreachable", false },
	{ "port.error", "B", "an address of the name cannot be connected", false },
	{ "run.incomplete", "B", "the run ran out of time: not all was checked", false },
	{ "protocol.tls13-refused", "A-", "TLS 1.3 is not accepted", false },
	{ "suite.cbc", "A-", "CBC suites are accepted", false },
};

static const char *const order[] = { "A+", "A", "A-", "B", "C", "D", "E",
				     "F" };

static int rank(const char *g)
{
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (strcmp(order[i], g) == 0)
			return (int)i;
	return 0;
}

static void add_cap(pl_check_result_t *r, const char *grade,
		    const char *code, const char *reason)
{
	pl_check_cap_t *c;

	for (size_t i = 0; i < r->cap_count; i++)
		if (strcmp(r->caps[i].code, code) == 0)
			return;
	if (r->cap_count == PL_CHECK_CAPS_MAX)
		return;
	c = &r->caps[r->cap_count++];
	snprintf(c->grade, sizeof c->grade, "%s", grade);
	c->code = code;
	c->reason = reason;
}

static const struct cap_rule *rule_for(const char *code)
{
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		if (strcmp(rules[i].code, code) == 0)
			return &rules[i];
	return NULL;
}

/* A failure of the certificate step that no rule names is a trust
 * problem: clients refuse the certificate (T). */
static bool is_trust_problem(const pl_check_finding_t *f)
{
	return f->step == PL_CHECK_STEP_CERTIFICATE &&
	       f->level == PL_CHECK_FAILURE && rule_for(f->code) == NULL;
}

static void collect_caps(pl_check_result_t *r)
{
	bool tls12 = r->protocols[3].accepted == PL_CHECK_YES;
	bool tls13 = r->protocols[4].accepted == PL_CHECK_YES;

	for (size_t i = 0; i < r->finding_count; i++) {
		const pl_check_finding_t *f = &r->findings[i];
		const struct cap_rule *rule = rule_for(f->code);

		if (is_trust_problem(f))
			add_cap(r, "T", f->code,
				"clients cannot trust the certificate");
		else if (rule != NULL && f->level >= PL_CHECK_WARNING &&
			 (!rule->failure_only || f->level == PL_CHECK_FAILURE))
			add_cap(r, rule->grade, rule->code, rule->reason);
	}
	if (!tls12 && !tls13 && r->legacy_version != 0)
		add_cap(r, "C", "protocol.tls12-refused",
			"neither TLS 1.2 nor TLS 1.3 is accepted");
	for (size_t i = 0; i < r->suite_count; i++)
		if (r->suites[i].dhe_bits != 0 && r->suites[i].dhe_bits < 1024)
			add_cap(r, "F", "suite.weak-dh",
				"the DHE prime is shorter than 1024 bits");
}

static bool a_plus_allowed(const pl_check_result_t *r)
{
	return r->hsts_max_age >= HSTS_MIN_AGE &&
	       pl_check_count(r, PL_CHECK_WARNING) == 0 &&
	       pl_check_count(r, PL_CHECK_FAILURE) == 0;
}

static void explain_not_a_plus(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	size_t warnings = pl_check_count(r, PL_CHECK_WARNING) +
			  pl_check_count(r, PL_CHECK_FAILURE);

	if (r->hsts_max_age < HSTS_MIN_AGE)
		check_add(run, PL_CHECK_STEP_GRADE, PL_CHECK_INFO,
			  "grade.not-a-plus", -1, "",
			  "A+ needs HSTS with a max-age of six months or more");
	else if (warnings > 0)
		check_add(run, PL_CHECK_STEP_GRADE, PL_CHECK_INFO,
			  "grade.not-a-plus", -1, "",
			  "A+ needs a check without warnings (%zu found)",
			  warnings);
}

void check_step_grade(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	const char *worst = "A";
	bool trust = false;

	if (!r->reachable) {
		r->grade[0] = '\0';
		return;
	}
	collect_caps(r);
	for (size_t i = 0; i < r->cap_count; i++) {
		if (strcmp(r->caps[i].grade, "T") == 0)
			trust = true;
		else if (rank(r->caps[i].grade) > rank(worst))
			worst = r->caps[i].grade;
	}
	if (strcmp(worst, "A") == 0 && a_plus_allowed(r))
		worst = "A+";
	if (trust) {
		snprintf(r->grade, sizeof r->grade, "T");
		snprintf(r->grade_if_trusted, sizeof r->grade_if_trusted, "%s",
			 worst);
	} else {
		snprintf(r->grade, sizeof r->grade, "%s", worst);
	}
	if (strcmp(worst, "A") == 0 && !trust)
		explain_not_a_plus(run);
}
