/*
 * Name constraints checked by padlock itself (RFC 5280 4.2.1.10 and 6.1.3
 * b/c, RFC 9525 6.2): OpenSSL 3.0 checks the SANs of a path against its
 * constraints, but not the name being verified, so a wildcard SAN let a
 * host that an issuer excludes through. Here every DNS and IP SAN of
 * every certificate below a constrained CA, and the host itself, are
 * checked the way Chromium's verifier does: a wildcard is within a
 * permitted subtree only when all its expansions are, and excluded when
 * any expansion is. Also the browsers' refusal of a wildcard that stands
 * for a whole registry ("*.co.uk").
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "x509/x509_internal.h"

#define ALERT_BAD_CERTIFICATE 42

/* The system's copy of the Public Suffix List (Debian: publicsuffix). */
#define PUBLIC_SUFFIX_LIST "/usr/share/publicsuffix/public_suffix_list.dat"

bool pl_x509_dns_syntax_ok(const char *name, size_t len, bool wildcard_ok)
{
	size_t i, label = 0;

	if (wildcard_ok && len > 2 && name[0] == '*' && name[1] == '.') {
		name += 2;
		len -= 2;
	}
	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		char ch = name[i];

		if (ch == '.') {
			if (label == 0 || name[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' ||
		      (ch == '-' && label > 0)))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && name[len - 1] != '-';
}

/* One rule of the list matches domain: "co.uk", or "*.ck" for "foo.ck". */
static bool rule_matches(const char *rule, const char *domain)
{
	const char *dot;

	if (strcasecmp(rule, domain) == 0)
		return true;
	if (rule[0] != '*' || rule[1] != '.')
		return false;
	dot = strchr(domain, '.');
	return dot != NULL && strcasecmp(rule + 2, dot + 1) == 0;
}

bool pl_x509_is_public_suffix(const char *domain)
{
	char line[512];
	bool listed = false, excepted = false;
	FILE *f;

	if (strchr(domain, '.') == NULL)
		return true; /* the list's implicit "*" rule */
	f = fopen(PUBLIC_SUFFIX_LIST, "r");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		/* Only the ICANN section, as Chromium's wildcard rule. */
		if (strstr(line, "===BEGIN PRIVATE DOMAINS===") != NULL)
			break;
		line[strcspn(line, " \t\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '/')
			continue;
		if (line[0] == '!')
			excepted = excepted || strcasecmp(line + 1, domain) == 0;
		else
			listed = listed || rule_matches(line, domain);
	}
	fclose(f);
	return listed && !excepted;
}

/* ---- matching names against subtrees -------------------------------------- */

/* True when name is within the DNS subtree constraint (RFC 5280
 * 4.2.1.10: the name itself or a name below it; "" is every name). A
 * wildcard name "*.D" with partial (an excluded subtree) is within when
 * one of its expansions could be: D's subtree, or a constraint one label
 * below D. */
static bool dns_within(const char *name, const char *constraint, bool partial)
{
	size_t n = strlen(name), c = strlen(constraint);
	const char *dot;

	if (c == 0)
		return true;
	if (partial && n > 2 && name[0] == '*' && name[1] == '.' &&
	    (dot = strchr(constraint, '.')) != NULL &&
	    strcasecmp(name + 2, dot + 1) == 0)
		return true;
	if (n < c || strcasecmp(name + n - c, constraint) != 0)
		return false;
	return n == c || name[n - c - 1] == '.';
}

/* The text of an IA5String, when it holds no NUL. */
static bool ia5_text(const ASN1_IA5STRING *s, char *buf, size_t cap)
{
	int len = ASN1_STRING_length(s);

	if (len < 0 || (size_t)len >= cap ||
	    memchr(ASN1_STRING_get0_data(s), '\0', (size_t)len) != NULL)
		return false;
	memcpy(buf, ASN1_STRING_get0_data(s), (size_t)len);
	buf[len] = '\0';
	return true;
}

static bool has_type(STACK_OF(GENERAL_SUBTREE) *trees, int type)
{
	int i;

	for (i = 0; i < sk_GENERAL_SUBTREE_num(trees); i++)
		if (sk_GENERAL_SUBTREE_value(trees, i)->base->type == type)
			return true;
	return false;
}

/* A DNS name against one CA's constraints (Chromium's rule: excluded when
 * any expansion of a wildcard is, permitted when all are). */
static bool dns_allowed(const NAME_CONSTRAINTS *nc, const char *name)
{
	char base[256];
	int i;

	for (i = 0; i < sk_GENERAL_SUBTREE_num(nc->excludedSubtrees); i++) {
		GENERAL_NAME *g =
			sk_GENERAL_SUBTREE_value(nc->excludedSubtrees, i)->base;

		if (g->type == GEN_DNS &&
		    (!ia5_text(g->d.dNSName, base, sizeof(base)) ||
		     dns_within(name, base, true)))
			return false;
	}
	if (!has_type(nc->permittedSubtrees, GEN_DNS))
		return true;
	for (i = 0; i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); i++) {
		GENERAL_NAME *g =
			sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i)->base;

		if (g->type == GEN_DNS &&
		    ia5_text(g->d.dNSName, base, sizeof(base)) &&
		    dns_within(name, base, false))
			return true;
	}
	return false;
}

/* addr (4 or 16 bytes) within the subtree of an address and mask. */
static bool ip_within(const uint8_t *addr, size_t len,
		      const ASN1_OCTET_STRING *subtree)
{
	const uint8_t *net = ASN1_STRING_get0_data(subtree);
	size_t i;

	if ((size_t)ASN1_STRING_length(subtree) != 2 * len)
		return false;
	for (i = 0; i < len; i++)
		if ((addr[i] & net[len + i]) != (net[i] & net[len + i]))
			return false;
	return true;
}

static bool ip_allowed(const NAME_CONSTRAINTS *nc, const uint8_t *addr,
		       size_t len)
{
	int i;

	for (i = 0; i < sk_GENERAL_SUBTREE_num(nc->excludedSubtrees); i++) {
		GENERAL_NAME *g =
			sk_GENERAL_SUBTREE_value(nc->excludedSubtrees, i)->base;

		if (g->type == GEN_IPADD && ip_within(addr, len, g->d.iPAddress))
			return false;
	}
	if (!has_type(nc->permittedSubtrees, GEN_IPADD))
		return true;
	for (i = 0; i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); i++) {
		GENERAL_NAME *g =
			sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i)->base;

		if (g->type == GEN_IPADD && ip_within(addr, len, g->d.iPAddress))
			return true;
	}
	return false;
}

/* ---- the constraints themselves ------------------------------------------- */

/* A mask of ones then zeros (a prefix), as Chromium requires. */
static bool mask_is_prefix(const uint8_t *mask, size_t len)
{
	bool zero = false;
	size_t i;
	int bit;

	for (i = 0; i < len; i++)
		for (bit = 7; bit >= 0; bit--) {
			bool one = (mask[i] >> bit) & 1;

			if (one && zero)
				return false;
			zero = zero || !one;
		}
	return true;
}

/* A subtree padlock can judge: a DNS name in preferred syntax without a
 * leading period (RFC 5280 4.2.1.10 gives that form to URIs and mail
 * addresses only), an IP address with a prefix mask. */
static const char *subtree_problem(const GENERAL_NAME *g)
{
	char base[256];
	int len;

	if (g->type == GEN_DNS) {
		if (!ia5_text(g->d.dNSName, base, sizeof(base)))
			return "a DNS name constraint that is not text";
		if (base[0] == '\0')
			return NULL;
		if (base[0] == '.')
			return "a DNS name constraint with a leading period";
		if (!pl_x509_dns_syntax_ok(base, strlen(base), false))
			return "a DNS name constraint that is not a DNS name";
	}
	if (g->type == GEN_IPADD) {
		len = ASN1_STRING_length(g->d.iPAddress);
		if ((len != 8 && len != 32) ||
		    !mask_is_prefix(ASN1_STRING_get0_data(g->d.iPAddress) +
					    len / 2, (size_t)len / 2))
			return "an IP address constraint whose mask is not a "
			       "prefix";
	}
	return NULL;
}

static const char *constraints_problem(const NAME_CONSTRAINTS *nc)
{
	STACK_OF(GENERAL_SUBTREE) *lists[2] = { nc->permittedSubtrees,
						nc->excludedSubtrees };
	const char *problem;
	int l, i;

	for (l = 0; l < 2; l++)
		for (i = 0; i < sk_GENERAL_SUBTREE_num(lists[l]); i++) {
			problem = subtree_problem(
				sk_GENERAL_SUBTREE_value(lists[l], i)->base);
			if (problem != NULL)
				return problem;
		}
	return NULL;
}

/* ---- the path ---------------------------------------------------------------- */

typedef struct {
	X509 *const *path;
	size_t len;
	const char *host;
	bool is_ip;
	pl_x509_verdict_t *v;
} names_t;

static void ca_name(X509 *ca, char *buf, size_t cap)
{
	pl_x509_name_text(X509_get_subject_name(ca), buf, cap);
}

/* Sets the failure: sentence says what, the CA is named after it. */
static bool refuse(names_t *n, X509 *ca, const char *sentence)
{
	char issuer[160];

	ca_name(ca, issuer, sizeof(issuer));
	pl_x509_verdict_fail(n->v, ALERT_BAD_CERTIFICATE, "name.constraint",
			     "%s, against the name constraints of '%s'",
			     sentence, issuer);
	return false;
}

/* "the name 'x' is outside the permitted names" with name escaped. */
static bool refuse_name(names_t *n, X509 *ca, const char *what,
			const char *name)
{
	char shown[200], sentence[320];

	pl_x509_escape(name, shown, sizeof(shown));
	snprintf(sentence, sizeof(sentence), "%s '%s'", what, shown);
	return refuse(n, ca, sentence);
}

/* One SAN of a certificate below ca. */
static bool san_allowed(names_t *n, X509 *ca, const NAME_CONSTRAINTS *nc,
			const GENERAL_NAME *g, bool leaf)
{
	char text[256], shown[64];
	const uint8_t *ip;
	int len;

	if (g->type == GEN_DNS) {
		if (!ia5_text(g->d.dNSName, text, sizeof(text)))
			return refuse(n, ca, "a DNS name of the chain is not "
				      "text");
		if ((has_type(nc->permittedSubtrees, GEN_DNS) ||
		     has_type(nc->excludedSubtrees, GEN_DNS)) &&
		    !pl_x509_dns_syntax_ok(text, strlen(text), leaf))
			return refuse_name(n, ca, "a subjectAltName is not a "
					   "valid DNS name:", text);
		if (!dns_allowed(nc, text))
			return refuse_name(n, ca, "the certificate names",
					   text);
	}
	if (g->type == GEN_IPADD) {
		ip = ASN1_STRING_get0_data(g->d.iPAddress);
		len = ASN1_STRING_length(g->d.iPAddress);
		if (len != 4 && len != 16)
			return refuse(n, ca, "an IP address subjectAltName is "
				      "neither IPv4 nor IPv6");
		if (!ip_allowed(nc, ip, (size_t)len)) {
			inet_ntop(len == 4 ? AF_INET : AF_INET6, ip, shown,
				  sizeof(shown));
			return refuse_name(n, ca, "the certificate names the "
					   "address", shown);
		}
	}
	return true;
}

/* The host being verified against ca's constraints (RFC 9525 6.2: the
 * reference identity, not only the presented ones). */
static bool host_allowed(names_t *n, X509 *ca, const NAME_CONSTRAINTS *nc)
{
	uint8_t addr[16];

	if (n->host == NULL)
		return true;
	if (!n->is_ip)
		return dns_allowed(nc, n->host) ||
		       refuse_name(n, ca, "the certificate is verified for",
				   n->host);
	if (inet_pton(AF_INET, n->host, addr) == 1)
		return ip_allowed(nc, addr, 4) ||
		       refuse_name(n, ca, "the certificate is verified for",
				   n->host);
	if (inet_pton(AF_INET6, n->host, addr) == 1)
		return ip_allowed(nc, addr, 16) ||
		       refuse_name(n, ca, "the certificate is verified for",
				   n->host);
	return true;
}

/* Self-issued: issuer and subject names equal (RFC 5280 6.1.3 b skips
 * those that are not the final certificate). */
static bool self_issued(X509 *x)
{
	return X509_NAME_cmp(X509_get_subject_name(x),
			     X509_get_issuer_name(x)) == 0;
}

/* Every certificate below position i against the constraints of i. */
static bool below_allowed(names_t *n, size_t i, const NAME_CONSTRAINTS *nc)
{
	GENERAL_NAMES *sans;
	size_t j;
	int k;
	bool ok = true;

	for (j = 0; ok && j < i; j++) {
		if (j > 0 && self_issued(n->path[j]))
			continue;
		sans = X509_get_ext_d2i(n->path[j], NID_subject_alt_name, NULL,
					NULL);
		for (k = 0; ok && k < sk_GENERAL_NAME_num(sans); k++)
			ok = san_allowed(n, n->path[i], nc,
					 sk_GENERAL_NAME_value(sans, k), j == 0);
		GENERAL_NAMES_free(sans);
	}
	ERR_clear_error();
	return ok && host_allowed(n, n->path[i], nc);
}

static bool constraints_hold(names_t *n)
{
	NAME_CONSTRAINTS *nc;
	const char *problem;
	bool ok = true;
	size_t i;

	for (i = 1; ok && i < n->len; i++) {
		if (X509_get_ext_by_NID(n->path[i], NID_name_constraints, -1) < 0)
			continue;
		nc = X509_get_ext_d2i(n->path[i], NID_name_constraints, NULL,
				      NULL);
		if (nc == NULL)
			return refuse(n, n->path[i], "they cannot be read");
		problem = constraints_problem(nc);
		if (problem != NULL)
			ok = refuse(n, n->path[i], problem);
		else
			ok = below_allowed(n, i, nc);
		NAME_CONSTRAINTS_free(nc);
	}
	ERR_clear_error();
	return ok;
}

/* ---- wildcards over a registry --------------------------------------------- */

/* The host matched by the leaf only through "*.D" where D is a public
 * suffix: browsers refuse that match. */
static bool wildcard_allowed(names_t *n)
{
	GENERAL_NAMES *sans;
	const char *rest;
	char text[256], wild[256] = "";
	bool exact = false;
	int k;

	if (n->host == NULL || n->is_ip)
		return true;
	rest = strchr(n->host, '.');
	sans = X509_get_ext_d2i(n->path[0], NID_subject_alt_name, NULL, NULL);
	for (k = 0; k < sk_GENERAL_NAME_num(sans); k++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, k);

		if (g->type != GEN_DNS ||
		    !ia5_text(g->d.dNSName, text, sizeof(text)))
			continue;
		if (strcasecmp(text, n->host) == 0)
			exact = true;
		else if (rest != NULL && text[0] == '*' && text[1] == '.' &&
			 strcasecmp(text + 2, rest + 1) == 0)
			snprintf(wild, sizeof(wild), "%s", text);
	}
	GENERAL_NAMES_free(sans);
	ERR_clear_error();
	if (exact || wild[0] == '\0' || !pl_x509_is_public_suffix(wild + 2))
		return true;
	pl_x509_verdict_fail(n->v, ALERT_BAD_CERTIFICATE,
			     "name.wildcard-public-suffix",
			     "the certificate covers '%s' only through the "
			     "wildcard '%s', and '%s' is a public suffix (a "
			     "registry, not one owner)", n->host, wild,
			     wild + 2);
	return false;
}

bool pl_x509_path_names(X509 *const *path, size_t len, const char *host,
			bool is_ip, pl_x509_verdict_t *v)
{
	names_t n = { path, len, host, is_ip, v };

	return constraints_hold(&n) && wildcard_allowed(&n);
}
