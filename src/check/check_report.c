/*
 * The findings of step 4 of padlock check, from the suites, groups and
 * HelloRetryRequest answers its probes collected (check_suites.c).
 */
#include <string.h>

#include "check/check_internal.h"

#define SUITES_FIX \
	"offer only ECDHE with AES-GCM or ChaCha20-Poly1305 (Mozilla's " \
	"intermediate profile): nginx 'ssl_ciphers ECDHE-ECDSA-AES128-GCM-" \
	"SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-" \
	"CHACHA20-POLY1305;', the same list in Apache's SSLCipherSuite"

/* One kind of weak suite: the flag that marks it and what to say. */
struct weakness {
	unsigned flag;
	const char *code;
	pl_check_level_t level;
	const char *what;
	const char *why;
};

/* RSA key transport is not among them: it is the usual reason forward
 * secrecy fails, and suite.no-forward-secrecy says so in one finding. */
static const struct weakness weaknesses[] = {
	{ PL_SUITE_CBC, "suite.cbc", PL_CHECK_WARNING, "CBC mode",
	  "open to padding-oracle attacks such as Lucky "
	  "Thirteen; AEAD suites (GCM, ChaCha20-Poly1305) replace them" },
	{ PL_SUITE_3DES, "suite.3des", PL_CHECK_FAILURE, "3DES",
	  "a 64-bit block cipher broken by Sweet32" },
	{ PL_SUITE_RC4, "suite.rc4", PL_CHECK_FAILURE, "RC4",
	  "forbidden by RFC 7465" },
	{ PL_SUITE_NULL, "suite.null", PL_CHECK_FAILURE, "NULL encryption",
	  "the traffic is not encrypted at all" },
	{ PL_SUITE_EXPORT, "suite.export", PL_CHECK_FAILURE, "EXPORT strength",
	  "40- or 56-bit keys (FREAK, Logjam)" },
	{ PL_SUITE_ANON, "suite.anon", PL_CHECK_FAILURE, "anonymous key exchange",
	  "the server is not authenticated, so anyone on the "
	  "path can pose as it" },
};

/* The names of the accepted suites that have (or, with without, lack)
 * flag, comma-separated, into out; how many there are. */
static size_t names_with(const pl_check_result_t *r, unsigned flag,
			 bool without, char *out, size_t cap)
{
	size_t used = 0, count = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->suite_count; i++) {
		bool has = (r->suites[i].flags & flag) != 0;

		if (has == without)
			continue;
		count++;
		if (used < cap)
			used += (size_t)snprintf(out + used, cap - used, "%s%s",
						 count > 1 ? ", " : "",
						 r->suites[i].name);
	}
	return count;
}

static void list_groups(const uint16_t *groups, size_t n, char *out,
			size_t cap);

/* The ECDHE groups a TLS <= 1.2 server accepts, each probed alone. */
static void report_legacy_groups(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	char list[256];
	bool ecdhe = false;

	for (size_t i = 0; i < r->suite_count; i++)
		ecdhe = ecdhe || (r->suites[i].flags & PL_SUITE_ECDHE);
	if (!ecdhe)
		return;
	list_groups(r->legacy_groups, r->legacy_group_count, list, sizeof list);
	check_add(run, PL_CHECK_STEP_SUITES, PL_CHECK_INFO, "suite.groups", -1,
		  "", "%s ECDHE groups accepted (each offered alone): %s",
		  check_version_name(r->legacy_version),
		  list[0] != '\0' ? list : "none answered clearly");
}

static void report_list(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	char list[4096];
	size_t used = 0;

	list[0] = '\0';
	for (size_t i = 0; i < r->suite_count && used < sizeof list; i++) {
		const pl_check_suite_t *s = &r->suites[i];

		used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
					 i > 0 ? ", " : "", s->name);
	}
	check_add(run, PL_CHECK_STEP_SUITES, PL_CHECK_INFO, "suite.list", -1, "",
		  "%s: %zu suite%s accepted%s: %s",
		  check_version_name(r->legacy_version), r->suite_count,
		  r->suite_count == 1 ? "" : "s",
		  r->order == PL_CHECK_ORDER_SERVER ? ", in the server's order" : "",
		  list);
	if (r->suites_truncated)
		check_add(run, PL_CHECK_STEP_SUITES, PL_CHECK_WARNING,
			  "suite.unclear", -1, "",
			  "the list may be incomplete: a probe got no clear answer");
	report_legacy_groups(run);
}

/* One finding for the suites without forward secrecy, saying how many of
 * them are RSA key transport and what that means. */
static void report_no_forward_secrecy(struct check_run *run, size_t n,
				      const char *names)
{
	char rsa_names[2048], why[400] = "";
	size_t rsa = names_with(run->r, PL_SUITE_RSA_KX, false, rsa_names,
				sizeof rsa_names);

	if (rsa > 0)
		snprintf(why, sizeof why, " (%s RSA key transport: the premaster "
			 "secret is encrypted with the server's key, so whoever "
			 "gets that key later decrypts every recorded session; "
			 "TLS 1.3 removed it)",
			 rsa == n ? (n == 1 ? "it is" : "all are")
				  : rsa == 1 ? "one is" : "some are");
	check_add(run, PL_CHECK_STEP_SUITES, PL_CHECK_FAILURE,
		  "suite.no-forward-secrecy", -1, SUITES_FIX,
		  "forward secrecy does not hold for every suite: %zu accepted "
		  "suite%s lack%s an ephemeral key exchange%s: %s", n,
		  n == 1 ? "" : "s", n == 1 ? "s" : "", why, names);
}

static void report_weaknesses(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	char names[2048];
	size_t n;

	for (size_t i = 0; i < sizeof weaknesses / sizeof weaknesses[0]; i++) {
		const struct weakness *w = &weaknesses[i];

		n = names_with(r, w->flag, false, names, sizeof names);
		if (n > 0)
			check_add(run, PL_CHECK_STEP_SUITES, w->level, w->code, -1,
				  SUITES_FIX, "%s in %zu accepted suite%s (%s): %s",
				  w->what, n, n == 1 ? "" : "s", w->why, names);
	}
	n = names_with(r, PL_SUITE_FS, true, names, sizeof names);
	if (n > 0)
		report_no_forward_secrecy(run, n, names);
	else
		check_add(run, PL_CHECK_STEP_SUITES, PL_CHECK_OK,
			  "suite.forward-secrecy", -1, "",
			  "forward secrecy holds for every %s suite (ECDHE or "
			  "DHE)", check_version_name(r->legacy_version));
}

static void report_dh_and_aead(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	unsigned smallest = 0;
	char names[2048];

	for (size_t i = 0; i < r->suite_count; i++) {
		unsigned bits = r->suites[i].dhe_bits;

		if (bits != 0 && (smallest == 0 || bits < smallest))
			smallest = bits;
	}
	if (smallest != 0 && smallest < 2048)
		check_add(run, PL_CHECK_STEP_SUITES, PL_CHECK_FAILURE,
			  "suite.weak-dh", -1,
			  "use a 2048-bit or larger DH group (RFC 7919 ffdhe2048), "
			  "or drop DHE for ECDHE",
			  "the DHE key exchange uses a %u-bit prime, too small "
			  "(Logjam)", smallest);
	if (r->protocols[4].accepted != PL_CHECK_YES &&
	    names_with(r, PL_SUITE_AEAD, false, names, sizeof names) == 0)
		check_add(run, PL_CHECK_STEP_SUITES, PL_CHECK_FAILURE,
			  "suite.no-aead", -1, SUITES_FIX,
			  "no accepted suite is an AEAD (GCM, ChaCha20-Poly1305): "
			  "every connection uses an older construction");
}

/* Whether any accepted suite is less than ECDHE/DHE with an AEAD. */
static bool has_weak_suite(const pl_check_result_t *r)
{
	for (size_t i = 0; i < r->suite_count; i++)
		if ((r->suites[i].flags & (PL_SUITE_FS | PL_SUITE_AEAD)) !=
		    (PL_SUITE_FS | PL_SUITE_AEAD))
			return true;
	return false;
}

static void report_order(struct check_run *run)
{
	pl_check_result_t *r = run->r;

	if (r->order == PL_CHECK_ORDER_SERVER)
		check_add(run, PL_CHECK_STEP_SUITES, PL_CHECK_OK,
			  "suite.server-order", -1, "",
			  "the server enforces its own order of suites");
	else if (r->order == PL_CHECK_ORDER_CLIENT)
		check_add(run, PL_CHECK_STEP_SUITES,
			  has_weak_suite(r) ? PL_CHECK_WARNING : PL_CHECK_INFO,
			  "suite.client-order", -1,
			  "let the server choose: nginx 'ssl_prefer_server_ciphers "
			  "on;', Apache 'SSLHonorCipherOrder on'",
			  "the server takes the client's first suite%s",
			  has_weak_suite(r) ? ", so a client that lists a weak "
					      "suite first gets it" : "");
}

static void list_groups(const uint16_t *groups, size_t n, char *out,
			size_t cap)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && used < cap; i++)
		used += (size_t)snprintf(out + used, cap - used, "%s%s",
					 i > 0 ? ", " : "",
					 pl_tls_group_name(groups[i]));
}

static void report_tls13(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	char list[512];

	if (r->protocols[4].accepted != PL_CHECK_YES)
		return;
	list[0] = '\0';
	for (size_t i = 0, used = 0; i < r->tls13_suite_count && used < sizeof list;
	     i++)
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
					 i > 0 ? ", " : "",
					 pl_tls_suite_name(r->tls13_suites[i]));
	check_add(run, PL_CHECK_STEP_SUITES, PL_CHECK_INFO, "tls13.suites", -1,
		  "", "TLS 1.3 suites accepted: %s", list[0] ? list : "none");
	list_groups(r->tls13_groups, r->tls13_group_count, list, sizeof list);
	check_add(run, PL_CHECK_STEP_SUITES, PL_CHECK_INFO, "tls13.groups", -1,
		  "", "TLS 1.3 groups accepted: %s", list[0] ? list : "none");
	if (r->hrr == PL_CHECK_YES)
		check_add(run, PL_CHECK_STEP_SUITES, PL_CHECK_OK, "tls13.hrr", -1,
			  "", "a ClientHello without a usable key share is "
			  "answered with a HelloRetryRequest for %s",
			  pl_tls_group_name(r->hrr_group));
	else if (r->hrr == PL_CHECK_NO)
		check_add(run, PL_CHECK_STEP_SUITES, PL_CHECK_WARNING,
			  "tls13.no-hrr", -1,
			  "update the TLS library or its configuration so that it "
			  "sends a HelloRetryRequest (RFC 8446 4.1.1)",
			  "a ClientHello without a usable key share is refused "
			  "instead of answered with a HelloRetryRequest: clients "
			  "whose first guess of group is wrong cannot connect");
	else if (r->hrr == PL_CHECK_UNCLEAR)
		check_add(run, PL_CHECK_STEP_SUITES, PL_CHECK_WARNING,
			  "tls13.hrr-unclear", -1, "",
			  "a ClientHello without a usable key share got no clear "
			  "answer");
}

void check_report_suites(struct check_run *run)
{
	if (run->r->suite_count > 0) {
		report_list(run);
		report_weaknesses(run);
		report_dh_and_aead(run);
		report_order(run);
	}
	report_tls13(run);
}
