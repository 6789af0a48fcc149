/*
 * What browsers accept but the CA/Browser Forum's Baseline Requirements
 * forbid: worth a warning, never a different verdict (Chromium decides
 * these the same way: docs/certificate-diagnostics.md).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "x509/diagnose_internal.h"

/* True when the subject CN of x is one of its DNS or IP SANs. */
static bool cn_in_sans(X509 *x, const char *cn)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
					       NULL);
	char text[256];
	bool found = false;
	int i;

	pl_x509_san_text(x, text, sizeof(text));
	for (i = 0; !found && i < sk_GENERAL_NAME_num(sans); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		int len;

		if (g->type == GEN_DNS) {
			len = ASN1_STRING_length(g->d.dNSName);
			found = (size_t)len == strlen(cn) &&
				strncasecmp((const char *)ASN1_STRING_get0_data(
						    g->d.dNSName),
					    cn, (size_t)len) == 0;
		}
	}
	GENERAL_NAMES_free(sans);
	/* An IP address CN is compared as the SANs print it. */
	if (!found && strstr(text, cn) != NULL) {
		char *at = strstr(text, cn);
		size_t n = strlen(cn);

		found = (at == text || at[-1] == ' ') &&
			(at[n] == '\0' || at[n] == ',');
	}
	ERR_clear_error();
	return found;
}

/* Baseline Requirements 7.1.4.3: a subject CN repeats one of the SANs.
 * Information only: clients (Chromium too) ignore the CN. */
static void check_cn(pl_x509_diag_t *d, X509 *leaf)
{
	X509_NAME *subject = X509_get_subject_name(leaf);
	int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
	unsigned char *utf8 = NULL;
	char cn[256], shown[200];
	int len;

	if (at < 0)
		return;
	len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
						 X509_NAME_get_entry(subject, at)));
	if (len < 0 || (size_t)len >= sizeof(cn)) {
		OPENSSL_free(utf8);
		ERR_clear_error();
		return;
	}
	memcpy(cn, utf8, (size_t)len);
	cn[len] = '\0';
	OPENSSL_free(utf8);
	if (cn_in_sans(leaf, cn))
		return;
	pl_x509_escape(cn, shown, sizeof(shown));
	pl_x509_diag_add(d, PL_X509_SEVERITY_INFO, "name.cn-not-in-san",
			 (int)d->leaf, "when the certificate is renewed, ask "
			 "for a subject CN that is one of its names",
			 "the subject CN '%s' is not among the subject "
			 "alternative names (clients ignore it; the Baseline "
			 "Requirements want it repeated there)", shown);
}

/* Baseline Requirements 7.1.4.2.1: no underscore in a DNS SAN (browsers
 * still match it). */
static void check_underscores(pl_x509_diag_t *d, X509 *leaf)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(leaf, NID_subject_alt_name,
					       NULL, NULL);
	char shown[200];
	int i;

	for (i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		const unsigned char *p;
		int len;

		if (g->type != GEN_DNS)
			continue;
		p = ASN1_STRING_get0_data(g->d.dNSName);
		len = ASN1_STRING_length(g->d.dNSName);
		if (len <= 0 || memchr(p, '_', (size_t)len) == NULL)
			continue;
		snprintf(shown, sizeof(shown), "%.*s", len > 150 ? 150 : len,
			 (const char *)p);
		pl_x509_diag_add(d, PL_X509_SEVERITY_WARNING,
				 "name.underscore", (int)d->leaf,
				 "use a name without '_' (CAs may no longer "
				 "issue such names)",
				 "the DNS name '%s' has an underscore, which "
				 "host names may not have", shown);
		break;
	}
	GENERAL_NAMES_free(sans);
	ERR_clear_error();
}

/* RFC 5280 4.1.2.2: a positive serial of at most 20 octets (browsers
 * accept others). */
static void check_serial(pl_x509_diag_t *d, const pl_x509_diag_node_t *n)
{
	const ASN1_INTEGER *serial = X509_get0_serialNumber(n->x509);
	const unsigned char *p = ASN1_STRING_get0_data(serial);
	int len = ASN1_STRING_length(serial);
	char label[200];
	const char *what = NULL;
	int encoded = len + (len > 0 && (p[0] & 0x80) ? 1 : 0);

	if (len == 0 || (len == 1 && p[0] == 0))
		what = "zero";
	else if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER)
		what = "negative";
	else if (encoded > 20)
		what = "longer than 20 bytes";
	if (what == NULL)
		return;
	pl_x509_diag_label(d, n->x509, n->index, label, sizeof(label));
	pl_x509_diag_add(d, PL_X509_SEVERITY_WARNING, "cert.serial", n->index,
			 "ask the CA for a certificate with a positive serial "
			 "number of at most 20 bytes",
			 "%s has a serial number that is %s (RFC 5280 4.1.2.2)",
			 label, what);
}

/* RFC 5280 4.2.1.11: conforming CAs mark policy constraints critical. */
static void check_policy_constraints(pl_x509_diag_t *d,
				     const pl_x509_diag_node_t *n)
{
	int at = X509_get_ext_by_NID(n->x509, NID_policy_constraints, -1);
	char label[200];

	if (at < 0 || X509_EXTENSION_get_critical(X509_get_ext(n->x509, at)))
		return;
	pl_x509_diag_label(d, n->x509, n->index, label, sizeof(label));
	pl_x509_diag_add(d, PL_X509_SEVERITY_WARNING, "cert.policy-constraints",
			 n->index, "nothing to do for the site; the CA should "
			 "mark the extension critical",
			 "%s has policy constraints that are not critical "
			 "(RFC 5280 4.2.1.11)", label);
}

void pl_x509_diag_check_webpki(pl_x509_diag_t *d)
{
	X509 *leaf = d->path[0].x509;
	size_t i;

	check_cn(d, leaf);
	check_underscores(d, leaf);
	for (i = 0; i < d->path_len; i++) {
		check_serial(d, &d->path[i]);
		check_policy_constraints(d, &d->path[i]);
	}
}
