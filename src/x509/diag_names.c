/*
 * Host names: which names the server certificate covers, and whether it
 * covers the one the caller gave. RFC 6125 6.4 as browsers apply it:
 * subjectAltName DNS and IP entries only (the subject CN is not used,
 * RFC 6125 6.4.4 and the CA/Browser Forum's rules), a wildcard only as
 * the whole left-most label, standing for exactly one label.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "x509/diagnose_internal.h"

/* True when x covers host (as pl_x509_host_prepare made it). */
static bool covers(X509 *x, const char *host, bool is_ip)
{
	bool yes = is_ip ? X509_check_ip_asc(x, host, 0) == 1 :
			   X509_check_host(x, host, strlen(host),
					   PL_X509_HOST_FLAGS, NULL) == 1;

	ERR_clear_error();
	return yes;
}

/* When a wildcard SAN of x nearly covers host, the sentence that says why
 * it does not ("'*.example.test' does not cover 'example.test' itself");
 * "" otherwise. */
static void wildcard_hint(X509 *x, const char *host, char *buf, size_t cap)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
						NULL);
	size_t host_len = strlen(host);
	char shown[160];
	int i;

	buf[0] = '\0';
	for (i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		const char *san, *base, *tail;
		size_t len, base_len;

		if (gn->type != GEN_DNS)
			continue;
		san = (const char *)ASN1_STRING_get0_data(gn->d.dNSName);
		len = (size_t)ASN1_STRING_length(gn->d.dNSName);
		if (len < 3 || san[0] != '*' || san[1] != '.' ||
		    memchr(san, '\0', len) != NULL)
			continue;
		base = san + 2;
		base_len = len - 2;
		pl_x509_escape(san, shown, sizeof(shown));
		if (host_len == base_len &&
		    strncasecmp(host, base, base_len) == 0) {
			snprintf(buf, cap, "; the wildcard '%s' does not cover "
				 "'%s' itself, which needs a name of its own",
				 shown, host);
			break;
		}
		tail = host + host_len - base_len;
		if (host_len > base_len + 1 && tail[-1] == '.' &&
		    strncasecmp(tail, base, base_len) == 0) {
			snprintf(buf, cap, "; the wildcard '%s' stands for one "
				 "label only, so it does not cover '%s'", shown,
				 host);
			break;
		}
	}
	GENERAL_NAMES_free(names);
	ERR_clear_error();
}

/* The first CN of x's subject, escaped; "" when there is none. */
static void subject_cn(X509 *x, char *buf, size_t cap)
{
	const X509_NAME *subject = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
	unsigned char *utf8 = NULL;
	int n;

	buf[0] = '\0';
	if (i < 0)
		return;
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
					       X509_NAME_get_entry(subject, i)));
	if (n > 0 && memchr(utf8, '\0', (size_t)n) == NULL)
		pl_x509_escape((const char *)utf8, buf, cap);
	OPENSSL_free(utf8);
	ERR_clear_error();
}

/* A certificate without names: say what its CN says, which no client
 * reads. */
static void check_no_names(pl_x509_diag_t *d, X509 *leaf)
{
	char fix[PL_X509_DIAG_TEXT_MAX], cn[160];
	static const char no_name[] =
		"the server certificate names no host: it has no DNS name or "
		"IP address in its subjectAltName";
	static const char get_one[] =
		"get a new certificate that lists every host name of the site "
		"as a subjectAltName";

	subject_cn(leaf, cn, sizeof(cn));
	if (cn[0] == '\0') {
		pl_x509_diag_add(d, PL_X509_SEVERITY_ERROR, "name.none",
				 (int)d->leaf, get_one,
				 "%s, so it is valid for no site", no_name);
		return;
	}
	snprintf(fix, sizeof(fix), "%s (DNS:%s)", get_one, cn);
	pl_x509_diag_add(d, PL_X509_SEVERITY_ERROR, "name.none", (int)d->leaf,
			 fix,
			 "%s, and clients ignore its subject CN '%s', so it is "
			 "valid for no site", no_name, cn);
}

void pl_x509_diag_check_names(pl_x509_diag_t *d)
{
	X509 *leaf = d->chain->entries[d->leaf].x509;
	char names[600], host[256], hint[300], fix[PL_X509_DIAG_TEXT_MAX];
	bool is_ip;

	pl_x509_san_text(leaf, names, sizeof(names));
	if (names[0] == '\0') {
		check_no_names(d, leaf);
		return;
	}
	pl_x509_diag_add(d, PL_X509_SEVERITY_INFO, "name.list", (int)d->leaf,
			 "", "the server certificate covers %s", names);
	if (d->opts->host == NULL ||
	    !pl_x509_host_prepare(d->opts->host, host, sizeof(host), &is_ip) ||
	    covers(leaf, host, is_ip))
		return;
	if (is_ip)
		hint[0] = '\0';
	else
		wildcard_hint(leaf, host, hint, sizeof(hint));
	snprintf(fix, sizeof(fix),
		 "get a certificate that includes %s (for local development: "
		 "'padlock cert %s'), or serve this one under the names it "
		 "covers", host, host);
	pl_x509_diag_add(d, PL_X509_SEVERITY_ERROR, "name.mismatch",
			 (int)d->leaf, fix,
			 "the server certificate is for %s, not for '%s'%s",
			 names, host, hint);
}
