/*
 * padlock's rules for a path beyond libcrypto's strict validation: the
 * RFC 5280 rules that OpenSSL 3.0's strict mode does not check on every
 * certificate of the path, and the Web PKI rules that Chromium's verifier
 * enforces on a TLS server's chain (docs/certificate-diagnostics.md says
 * which padlock refuses and which padlock cert check only reports).
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "x509/x509_internal.h"

enum {
	ALERT_BAD_CERTIFICATE = 42,
	ALERT_UNSUPPORTED_CERTIFICATE = 43,
};

/* How a sentence names the certificate at position i of a path of len. */
static void label(X509 *const *path, size_t len, size_t i, char *buf,
		  size_t cap)
{
	char name[128];

	if (i == 0) {
		pl_x509_short_name(path[0], name, sizeof(name));
		snprintf(buf, cap, "server certificate for '%s'", name);
		return;
	}
	pl_x509_name_text(X509_get_subject_name(path[i]), name, sizeof(name));
	snprintf(buf, cap, "%s certificate '%s'",
		 i + 1 == len ? "root" : "intermediate", name);
}

static bool self_signed(X509 *x)
{
	bool yes = X509_self_signed(x, 0) == 1;

	ERR_clear_error();
	return yes;
}

/* The extension of nid, and whether it is critical; NULL when absent. */
static X509_EXTENSION *extension(X509 *x, int nid)
{
	int at = X509_get_ext_by_NID(x, nid, -1);

	return at < 0 ? NULL : X509_get_ext(x, at);
}

/* RFC 5280 rules on one certificate that strict mode misses on anchors
 * and on leaves: basicConstraints of a root (4.2.1.9), keyCertSign only
 * with cA (4.2.1.9), key identifiers (4.2.1.1, 4.2.1.2), the SAN of an
 * empty subject critical (4.2.1.6), name constraints only in a CA
 * (4.2.1.10). Returns the problem, or NULL. */
static const char *rfc5280_problem(X509 *x, size_t i, size_t len)
{
	uint32_t flags = X509_get_extension_flags(x);
	X509_EXTENSION *bc = extension(x, NID_basic_constraints);
	X509_EXTENSION *san = extension(x, NID_subject_alt_name);
	bool ca = (flags & EXFLAG_CA) != 0;

	if (i + 1 == len && i > 0 && self_signed(x) &&
	    (bc == NULL || !ca || !X509_EXTENSION_get_critical(bc)))
		return "a root needs a critical basicConstraints extension "
		       "with cA true (RFC 5280 4.2.1.9)";
	if (!ca && (X509_get_key_usage(x) & KU_KEY_CERT_SIGN) &&
	    (flags & EXFLAG_KUSAGE))
		return "its key usage has keyCertSign but it is not a CA "
		       "(RFC 5280 4.2.1.9)";
	if (!self_signed(x) && X509_get0_authority_key_id(x) == NULL)
		return "it has no authority key identifier (RFC 5280 4.2.1.1)";
	if (ca && X509_get0_subject_key_id(x) == NULL)
		return "a CA certificate without a subject key identifier "
		       "(RFC 5280 4.2.1.2)";
	if (X509_NAME_entry_count(X509_get_subject_name(x)) == 0 &&
	    (san == NULL || !X509_EXTENSION_get_critical(san)))
		return "its subject is empty and its subjectAltName is not "
		       "critical (RFC 5280 4.2.1.6)";
	if (!ca && extension(x, NID_name_constraints) != NULL)
		return "name constraints in a certificate that is not a CA "
		       "(RFC 5280 4.2.1.10)";
	if (extension(x, NID_info_access) != NULL &&
	    X509_EXTENSION_get_critical(extension(x, NID_info_access)))
		return "its authority information access is critical (RFC "
		       "5280 4.2.2.1)";
	return NULL;
}

/* RFC 5280 4.2.1.10: either subtree list present, neither empty. */
static const char *name_constraints_problem(X509 *x)
{
	X509_EXTENSION *ext = extension(x, NID_name_constraints);
	NAME_CONSTRAINTS *nc;
	const char *problem = NULL;

	if (ext == NULL)
		return NULL;
	nc = X509_get_ext_d2i(x, NID_name_constraints, NULL, NULL);
	if (nc == NULL)
		problem = "its name constraints cannot be read";
	else if (nc->permittedSubtrees == NULL && nc->excludedSubtrees == NULL)
		problem = "its name constraints have neither permitted nor "
			  "excluded subtrees (RFC 5280 4.2.1.10)";
	else if ((nc->permittedSubtrees != NULL &&
		  sk_GENERAL_SUBTREE_num(nc->permittedSubtrees) == 0) ||
		 (nc->excludedSubtrees != NULL &&
		  sk_GENERAL_SUBTREE_num(nc->excludedSubtrees) == 0))
		problem = "its name constraints hold an empty list of "
			  "subtrees (RFC 5280 4.2.1.10)";
	NAME_CONSTRAINTS_free(nc);
	ERR_clear_error();
	return problem;
}

/* Chromium verifies ECDSA on P-256, P-384 and P-521 only. */
static bool ec_curve_ok(EVP_PKEY *pk)
{
	char group[64];
	size_t len = 0;

	if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
					   group, sizeof(group), &len) != 1) {
		ERR_clear_error();
		return false;
	}
	return strcmp(group, "prime256v1") == 0 ||
	       strcmp(group, "P-256") == 0 || strcmp(group, "secp384r1") == 0 ||
	       strcmp(group, "P-384") == 0 || strcmp(group, "secp521r1") == 0 ||
	       strcmp(group, "P-521") == 0;
}

/* The key rules of browsers, on every certificate of the path, the
 * anchor's too: no DSA (Chromium verifies no DSA signature); RSA of at
 * least 2048 bits, its modulus a whole number of bytes (CA/Browser Forum
 * Baseline Requirements 6.1.5); ECDSA on P-256, P-384, P-521. */
static const char *key_problem(X509 *x, const char **code)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);

	*code = "key.weak";
	if (pk == NULL)
		return NULL;
	if (EVP_PKEY_is_a(pk, "RSA") && EVP_PKEY_get_bits(pk) < 2048)
		return "an RSA key below 2048 bits";
	if (EVP_PKEY_is_a(pk, "EC") && !ec_curve_ok(pk))
		return "an elliptic curve key on a curve browsers do not "
		       "accept (only P-256, P-384 and P-521)";
	*code = "key.unsupported";
	if (EVP_PKEY_is_a(pk, "DSA"))
		return "a DSA key, which browsers no longer accept";
	if (EVP_PKEY_is_a(pk, "RSA") && EVP_PKEY_get_bits(pk) % 8 != 0)
		return "an RSA modulus that is not a multiple of 8 bits "
		       "(Baseline Requirements 6.1.5)";
	return NULL;
}

/* The leaf's extended key usage: serverAuth, or no extension at all;
 * anyExtendedKeyUsage alone is not enough (Baseline Requirements 7.1.2.7.10,
 * Chromium's strict serverAuth rule). */
static const char *eku_problem(X509 *leaf)
{
	uint32_t xku = X509_get_extended_key_usage(leaf);

	if (!(X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE))
		return NULL;
	if (xku & XKU_SSL_SERVER)
		return NULL;
	if (xku & XKU_ANYEKU)
		return "its extended key usage is anyExtendedKeyUsage "
		       "without serverAuth";
	return "no serverAuth extended key usage";
}

/* Authority information access must parse (Chromium refuses a
 * certificate whose AIA does not). */
static bool aia_malformed(X509 *x)
{
	AUTHORITY_INFO_ACCESS *aia;
	int crit = 0;

	if (extension(x, NID_info_access) == NULL)
		return false;
	aia = X509_get_ext_d2i(x, NID_info_access, &crit, NULL);
	AUTHORITY_INFO_ACCESS_free(aia);
	ERR_clear_error();
	return aia == NULL;
}

bool pl_x509_path_rules(X509 *const *path, size_t len, pl_x509_verdict_t *v)
{
	char what[200];
	const char *problem, *code;
	size_t i;

	for (i = 0; i < len; i++) {
		X509 *x = path[i];

		label(path, len, i, what, sizeof(what));
		if ((problem = key_problem(x, &code)) != NULL) {
			pl_x509_verdict_fail(v, ALERT_UNSUPPORTED_CERTIFICATE,
					     code, "%s has %s", what, problem);
			return false;
		}
		if ((problem = rfc5280_problem(x, i, len)) != NULL ||
		    (problem = name_constraints_problem(x)) != NULL) {
			pl_x509_verdict_fail(v, ALERT_BAD_CERTIFICATE,
					     "cert.rfc5280", "%s breaks RFC "
					     "5280: %s", what, problem);
			return false;
		}
		if (aia_malformed(x)) {
			pl_x509_verdict_fail(v, ALERT_BAD_CERTIFICATE,
					     "cert.aia-malformed",
					     "%s has an authority information "
					     "access extension that does not "
					     "parse", what);
			return false;
		}
	}
	if (len > 1 && (X509_get_extension_flags(path[0]) & EXFLAG_CA)) {
		/* Baseline Requirements 7.1.2.7.8: a server certificate is
		 * not a CA (a CA certificate trusted as it is, len 1, is). */
		label(path, len, 0, what, sizeof(what));
		pl_x509_verdict_fail(v, ALERT_BAD_CERTIFICATE, "cert.ca-as-leaf",
				     "%s is a CA certificate (basicConstraints "
				     "cA true), not a server certificate",
				     what);
		return false;
	}
	if ((problem = eku_problem(path[0])) != NULL) {
		label(path, len, 0, what, sizeof(what));
		pl_x509_verdict_fail(v, ALERT_UNSUPPORTED_CERTIFICATE,
				     "cert.no-server-auth",
				     "%s is not for TLS servers (%s)", what,
				     problem);
		return false;
	}
	return true;
}
