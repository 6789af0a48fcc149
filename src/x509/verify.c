/*
 * Chain verification: RFC 5280 path validation by libcrypto's X509_STORE,
 * with padlock's policy (serverAuth purpose, RFC 6125 host names, keys of
 * at least 112-bit strength), and each failure told as the TLS alert it
 * becomes and one sentence a person can act on.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "x509/x509_internal.h"

/* TLS alerts (RFC 8446 6.2) that verification failures map to. */
enum {
	ALERT_BAD_CERTIFICATE = 42,
	ALERT_UNSUPPORTED_CERTIFICATE = 43,
	ALERT_CERTIFICATE_EXPIRED = 45,
	ALERT_CERTIFICATE_UNKNOWN = 46,
	ALERT_UNKNOWN_CA = 48,
	ALERT_INTERNAL_ERROR = 80,
};

/* Security level 2 (112-bit): RSA and DSA keys of at least 2048 bits, EC
 * keys of at least 224 bits, no signatures over MD5 or SHA-1; what
 * Debian's libssl and current browsers require of a server's chain. */
#define AUTH_LEVEL 2

__attribute__((format(printf, 3, 4)))
static void fail(pl_x509_verdict_t *v, int alert, const char *fmt, ...)
{
	va_list ap;

	v->alert = alert;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
}

/* How a sentence names certificate x found at depth (0 = leaf):
 * "server certificate for 'localhost'", "intermediate certificate
 * 'CN=Foo CA'", "root certificate 'CN=Foo Root'". */
static void cert_label(X509 *x, int depth, char *buf, size_t cap)
{
	char name[128];

	if (depth == 0) {
		pl_x509_short_name(x, name, sizeof(name));
		snprintf(buf, cap, "server certificate for '%s'", name);
		return;
	}
	pl_x509_name_text(X509_get_subject_name(x), name, sizeof(name));
	if (name[0] == '\0')
		pl_x509_short_name(x, name, sizeof(name));
	snprintf(buf, cap, "%s certificate '%s'",
		 X509_self_signed(x, 0) == 1 ? "root" : "intermediate", name);
	ERR_clear_error();
}

/* The sentence for a host name or IP address the leaf does not cover. */
static void explain_mismatch(X509 *leaf, const char *host,
			     pl_x509_verdict_t *v)
{
	char names[200];

	pl_x509_san_text(leaf, names, sizeof(names));
	if (names[0] == '\0')
		fail(v, ALERT_BAD_CERTIFICATE,
		     "certificate names no host in its subject alternative "
		     "names (its subject CN is not used), so it is not for "
		     "'%s'", host);
	else
		fail(v, ALERT_BAD_CERTIFICATE,
		     "certificate is for '%s', not for '%s'", names, host);
}

/* Failures about where a chain leads: no trusted CA at its end. */
static bool explain_trust(int err, X509 *x, const char *label,
			  pl_x509_verdict_t *v)
{
	char name[128];

	switch (err) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		pl_x509_name_text(X509_get_issuer_name(x), name, sizeof(name));
		fail(v, ALERT_UNKNOWN_CA,
		     "%s is issued by '%s', which is not a trusted CA and not "
		     "in the chain the server sent (missing intermediate?)",
		     label, name);
		return true;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
		/* Part of the chain is in the store, but not its root. */
		pl_x509_name_text(X509_get_issuer_name(x), name, sizeof(name));
		fail(v, ALERT_UNKNOWN_CA,
		     "%s is issued by '%s', which is not in the trust store",
		     label, name);
		return true;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		pl_x509_name_text(X509_get_subject_name(x), name, sizeof(name));
		fail(v, ALERT_UNKNOWN_CA,
		     "self-signed certificate '%s' is not trusted", name);
		return true;
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		pl_x509_name_text(X509_get_subject_name(x), name, sizeof(name));
		fail(v, ALERT_UNKNOWN_CA,
		     "the chain ends at self-signed root '%s', which is not a "
		     "trusted CA", name);
		return true;
	default:
		return false;
	}
}

/* Why x, at depth in the chain, fails the TLS server purpose (RFC 5280
 * 4.2.1.3, 4.2.1.12). Both getters return UINT32_MAX when the extension
 * is absent (no limit). */
static const char *purpose_problem(X509 *x, int depth)
{
	if ((X509_get_extended_key_usage(x) & XKU_SSL_SERVER) == 0)
		return "no serverAuth extended key usage";
	/* Key usage limits only the leaf's own key for this purpose. */
	if (depth == 0 &&
	    (X509_get_key_usage(x) & (KU_DIGITAL_SIGNATURE |
				      KU_KEY_ENCIPHERMENT |
				      KU_KEY_AGREEMENT)) == 0)
		return "its key usage allows no TLS key exchange or signature";
	return "its Netscape certificate type excludes SSL servers";
}

/* Failures of one certificate's contents: dates, signature, extensions,
 * strength. */
static bool explain_cert(int err, X509 *x, int depth, const char *label,
			 pl_x509_verdict_t *v)
{
	char text[128];

	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		pl_x509_date_text(X509_get0_notAfter(x), text, sizeof(text));
		fail(v, ALERT_CERTIFICATE_EXPIRED, "%s expired on %s", label,
		     text);
		return true;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		pl_x509_date_text(X509_get0_notBefore(x), text, sizeof(text));
		fail(v, ALERT_BAD_CERTIFICATE, "%s is not valid until %s",
		     label, text);
		return true;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
	case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
		pl_x509_name_text(X509_get_issuer_name(x), text, sizeof(text));
		fail(v, ALERT_BAD_CERTIFICATE,
		     "the signature on %s does not verify with the key of its "
		     "issuer '%s'", label, text);
		return true;
	case X509_V_ERR_INVALID_PURPOSE:
		fail(v, ALERT_UNSUPPORTED_CERTIFICATE,
		     "%s is not for TLS servers (%s)", label,
		     purpose_problem(x, depth));
		return true;
	case X509_V_ERR_INVALID_CA:
		fail(v, ALERT_BAD_CERTIFICATE,
		     "%s issues certificates but is not a CA (no "
		     "basicConstraints CA:TRUE with keyCertSign)", label);
		return true;
	case X509_V_ERR_PATH_LENGTH_EXCEEDED:
		fail(v, ALERT_BAD_CERTIFICATE,
		     "the chain is longer than %s allows (pathLenConstraint)",
		     label);
		return true;
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_KEY_TOO_SMALL:
		pl_x509_key_text(x, text, sizeof(text));
		fail(v, ALERT_BAD_CERTIFICATE,
		     "%s has a key too weak to be trusted (%s; at least RSA "
		     "2048 or ECDSA P-256 is needed)", label, text);
		return true;
	case X509_V_ERR_CA_MD_TOO_WEAK:
		snprintf(text, sizeof(text), "%s",
			 OBJ_nid2ln(X509_get_signature_nid(x)) != NULL ?
				 OBJ_nid2ln(X509_get_signature_nid(x)) :
				 "an unknown algorithm");
		fail(v, ALERT_BAD_CERTIFICATE,
		     "%s is signed with %s, an algorithm too weak to be "
		     "trusted", label, text);
		return true;
	default:
		return false;
	}
}

/* Sets v from the failure that ctx recorded. */
static void explain_failure(X509_STORE_CTX *ctx, const pl_x509_chain_t *c,
			    const char *host, pl_x509_verdict_t *v)
{
	int err = X509_STORE_CTX_get_error(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);
	X509 *x = X509_STORE_CTX_get_current_cert(ctx);
	char label[200];

	if (err == X509_V_ERR_HOSTNAME_MISMATCH ||
	    err == X509_V_ERR_IP_ADDRESS_MISMATCH) {
		explain_mismatch(c->entries[0].x509, host, v);
		return;
	}
	if (x == NULL) {
		/* Failures that concern the chain as a whole name no
		 * certificate; the leaf is the best one to name. */
		x = c->entries[0].x509;
		depth = 0;
	}
	cert_label(x, depth, label, sizeof(label));
	if (explain_trust(err, x, label, v) || explain_cert(err, x, depth, label, v))
		return;
	fail(v, ALERT_CERTIFICATE_UNKNOWN, "%s: %s", label,
	     X509_verify_cert_error_string(err));
}

/* Applies padlock's policy to ctx; host is prepared (or NULL). */
static int set_policy(X509_STORE_CTX *ctx, const char *host, bool is_ip,
		      time_t now)
{
	X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);

	/* Sets the purpose (the leaf's extended key usage must allow
	 * serverAuth) and the matching trust setting of anchors. */
	if (X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER) != 1)
		return PL_ERR_CRYPTO;
	X509_VERIFY_PARAM_set_time(param, now != 0 ? now : time(NULL));
	X509_VERIFY_PARAM_set_auth_level(param, AUTH_LEVEL);
	if (host == NULL)
		return PL_OK;
	X509_VERIFY_PARAM_set_hostflags(param, PL_X509_HOST_FLAGS);
	if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1 :
		    X509_VERIFY_PARAM_set1_host(param, host, strlen(host)) != 1)
		return PL_ERR_CRYPTO;
	return PL_OK;
}

/* The untrusted certificates a path may use: all but the leaf, in any
 * order (servers do not always send them in order). The stack borrows the
 * chain's certificates. */
static STACK_OF(X509) *untrusted_of(const pl_x509_chain_t *c)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	size_t i;

	for (i = 1; sk != NULL && i < c->count; i++) {
		if (sk_X509_push(sk, c->entries[i].x509) <= 0) {
			sk_X509_free(sk);
			sk = NULL;
		}
	}
	return sk;
}

int pl_x509_verify(const pl_x509_store_t *s, const pl_x509_chain_t *c,
		   const char *host, time_t now, pl_x509_verdict_t *v)
{
	STACK_OF(X509) *untrusted = NULL;
	STACK_OF(X509) *path;
	X509_STORE_CTX *ctx = NULL;
	char name[256];
	bool is_ip = false;
	int rc = PL_ERR_ARG;

	memset(v, 0, sizeof(*v));
	if (s == NULL || c == NULL || c->count == 0) {
		fail(v, ALERT_INTERNAL_ERROR, "no chain or trust store given");
		goto out;
	}
	if (host != NULL &&
	    !pl_x509_host_prepare(host, name, sizeof(name), &is_ip)) {
		pl_x509_escape(host, name, sizeof(name));
		fail(v, ALERT_INTERNAL_ERROR,
		     "'%s' is not a host name or IP address a certificate can "
		     "be checked against", name);
		goto out;
	}
	rc = PL_ERR_NOMEM;
	untrusted = untrusted_of(c);
	ctx = X509_STORE_CTX_new();
	if (untrusted == NULL || ctx == NULL ||
	    X509_STORE_CTX_init(ctx, s->store, c->entries[0].x509,
				untrusted) != 1) {
		fail(v, ALERT_INTERNAL_ERROR, "out of memory");
		goto out;
	}
	rc = set_policy(ctx, host != NULL ? name : NULL, is_ip, now);
	if (rc != PL_OK) {
		fail(v, ALERT_INTERNAL_ERROR, "the verification policy could "
		     "not be set (%s)", pl_x509_crypto_reason());
		goto out;
	}
	if (X509_verify_cert(ctx) == 1) {
		path = X509_STORE_CTX_get0_chain(ctx);
		pl_x509_name_text(X509_get_subject_name(sk_X509_value(
					  path, sk_X509_num(path) - 1)),
				  v->trusted_root, sizeof(v->trusted_root));
		rc = PL_OK;
		goto out;
	}
	if (X509_STORE_CTX_get_error(ctx) == X509_V_OK) {
		/* It stopped without a verdict: libcrypto itself failed. */
		rc = PL_ERR_CRYPTO;
		fail(v, ALERT_INTERNAL_ERROR, "certificate verification could "
		     "not run (%s)", pl_x509_crypto_reason());
		goto out;
	}
	explain_failure(ctx, c, host, v);
	rc = PL_ERR_CERT;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	ERR_clear_error();
	return rc;
}
