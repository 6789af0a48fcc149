/*
 * Chain verification, the one decision padlock get, check and cert check
 * share: each path verify_path.c builds is validated by libcrypto's RFC
 * 5280 path validation in strict mode (with padlock's policy: serverAuth
 * purpose, RFC 6125 host names, keys of at least 112-bit strength, CRLs,
 * notAfter inclusive), then by padlock's own rules (verify_rules.c) and
 * name constraints (verify_names.c). The first path that passes is the
 * verdict; when none does, the failure of the best path tried, told as the
 * TLS alert it becomes, the finding code cert check uses, and one
 * sentence a person can act on.
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
	ALERT_CERTIFICATE_REVOKED = 44,
	ALERT_CERTIFICATE_EXPIRED = 45,
	ALERT_CERTIFICATE_UNKNOWN = 46,
	ALERT_UNKNOWN_CA = 48,
	ALERT_INTERNAL_ERROR = 80,
};

/* Security level 2 (112-bit): RSA and DSA keys of at least 2048 bits, EC
 * keys of at least 224 bits, no signatures over MD5 or SHA-1; what
 * Debian's libssl and current browsers require of a server's chain. */
#define AUTH_LEVEL 2

void pl_x509_verdict_fail(pl_x509_verdict_t *v, int alert, const char *code,
			  const char *fmt, ...)
{
	va_list ap;

	v->alert = alert;
	snprintf(v->code, sizeof(v->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
}

#define fail pl_x509_verdict_fail

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
		fail(v, ALERT_BAD_CERTIFICATE, "name.none",
		     "certificate names no host in its subject alternative "
		     "names (its subject CN is not used), so it is not for "
		     "'%s'", host);
	else
		fail(v, ALERT_BAD_CERTIFICATE, "name.mismatch",
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
		fail(v, ALERT_UNKNOWN_CA, "chain.missing-intermediate",
		     "%s is issued by '%s', which is not a trusted CA and not "
		     "in the chain the server sent (missing intermediate?)",
		     label, name);
		return true;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
		/* Part of the chain is in the store, but not its root. */
		pl_x509_name_text(X509_get_issuer_name(x), name, sizeof(name));
		fail(v, ALERT_UNKNOWN_CA, "chain.missing-intermediate",
		     "%s is issued by '%s', which is not in the trust store",
		     label, name);
		return true;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		pl_x509_name_text(X509_get_subject_name(x), name, sizeof(name));
		fail(v, ALERT_UNKNOWN_CA, "cert.self-signed",
		     "self-signed certificate '%s' is not trusted", name);
		return true;
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		pl_x509_name_text(X509_get_subject_name(x), name, sizeof(name));
		fail(v, ALERT_UNKNOWN_CA, "chain.untrusted-root",
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
		fail(v, ALERT_CERTIFICATE_EXPIRED, "cert.expired", "%s expired on %s", label,
		     text);
		return true;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		pl_x509_date_text(X509_get0_notBefore(x), text, sizeof(text));
		fail(v, ALERT_BAD_CERTIFICATE, "cert.not-yet-valid", "%s is not valid until %s",
		     label, text);
		return true;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
	case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
		pl_x509_name_text(X509_get_issuer_name(x), text, sizeof(text));
		fail(v, ALERT_BAD_CERTIFICATE, "chain.invalid",
		     "the signature on %s does not verify with the key of its "
		     "issuer '%s'", label, text);
		return true;
	case X509_V_ERR_INVALID_PURPOSE:
		fail(v, ALERT_UNSUPPORTED_CERTIFICATE, "cert.no-server-auth",
		     "%s is not for TLS servers (%s)", label,
		     purpose_problem(x, depth));
		return true;
	case X509_V_ERR_INVALID_CA:
		/* RFC 5280 4.2.1.9 */
		fail(v, ALERT_BAD_CERTIFICATE, "cert.rfc5280",
		     "%s issues certificates but is not a CA (no "
		     "basicConstraints CA:TRUE with keyCertSign)", label);
		return true;
	case X509_V_ERR_PATH_LENGTH_EXCEEDED:
		fail(v, ALERT_BAD_CERTIFICATE, "chain.invalid",
		     "the chain is longer than %s allows (pathLenConstraint)",
		     label);
		return true;
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_KEY_TOO_SMALL:
		pl_x509_key_text(x, text, sizeof(text));
		fail(v, ALERT_BAD_CERTIFICATE, "key.weak",
		     "%s has a key too weak to be trusted (%s; at least RSA "
		     "2048 or ECDSA P-256 is needed)", label, text);
		return true;
	case X509_V_ERR_CA_MD_TOO_WEAK:
		snprintf(text, sizeof(text), "%s",
			 OBJ_nid2ln(X509_get_signature_nid(x)) != NULL ?
				 OBJ_nid2ln(X509_get_signature_nid(x)) :
				 "an unknown algorithm");
		fail(v, ALERT_BAD_CERTIFICATE, "sig.weak",
		     "%s is signed with %s, an algorithm too weak to be "
		     "trusted", label, text);
		return true;
	default:
		return false;
	}
}

/* Failures of revocation, name constraints and RFC 5280's strict rules. */
static bool explain_rules(int err, const char *label, pl_x509_verdict_t *v)
{
	const char *what = X509_verify_cert_error_string(err);

	switch (err) {
	case X509_V_ERR_CERT_REVOKED:
		fail(v, ALERT_CERTIFICATE_REVOKED, "cert.revoked",
		     "%s is revoked (by a certificate revocation list given "
		     "with --crl)", label);
		return true;
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
	case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
	case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
	case X509_V_ERR_DIFFERENT_CRL_SCOPE:
		fail(v, ALERT_CERTIFICATE_UNKNOWN, "crl.invalid",
		     "the revocation list for %s cannot be used (%s)", label,
		     what);
		return true;
	case X509_V_ERR_PERMITTED_VIOLATION:
	case X509_V_ERR_EXCLUDED_VIOLATION:
	case X509_V_ERR_SUBTREE_MINMAX:
	case X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE:
	case X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX:
	case X509_V_ERR_UNSUPPORTED_NAME_SYNTAX:
		fail(v, ALERT_BAD_CERTIFICATE, "name.constraint",
		     "%s breaks the name constraints of its issuers (%s)",
		     label, what);
		return true;
	case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
	case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
		/* 4.1.2.5: UTCTime or GeneralizedTime to the second, "Z",
		 * no fraction (Chromium refuses the certificate too). */
	case X509_V_ERR_INVALID_EXTENSION:
	case X509_V_ERR_INVALID_NON_CA:
	case X509_V_ERR_PATHLEN_INVALID_FOR_NON_CA:
	case X509_V_ERR_PATHLEN_WITHOUT_KU_KEY_CERT_SIGN:
	case X509_V_ERR_KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA:
	case X509_V_ERR_ISSUER_NAME_EMPTY:
	case X509_V_ERR_SUBJECT_NAME_EMPTY:
	case X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER:
	case X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER:
	case X509_V_ERR_EMPTY_SUBJECT_ALT_NAME:
	case X509_V_ERR_EMPTY_SUBJECT_SAN_NOT_CRITICAL:
	case X509_V_ERR_CA_BCONS_NOT_CRITICAL:
	case X509_V_ERR_AUTHORITY_KEY_IDENTIFIER_CRITICAL:
	case X509_V_ERR_SUBJECT_KEY_IDENTIFIER_CRITICAL:
	case X509_V_ERR_CA_CERT_MISSING_KEY_USAGE:
	case X509_V_ERR_EXTENSIONS_REQUIRE_VERSION_3:
	case X509_V_ERR_EC_KEY_EXPLICIT_PARAMS:
	case X509_V_ERR_SIGNATURE_ALGORITHM_MISMATCH:
	case X509_V_ERR_SIGNATURE_ALGORITHM_INCONSISTENCY:
	case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
	case X509_V_ERR_INVALID_POLICY_EXTENSION:
	case X509_V_ERR_NO_EXPLICIT_POLICY:
		fail(v, ALERT_BAD_CERTIFICATE, "cert.rfc5280",
		     "%s breaks RFC 5280 (%s)", label, what);
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
	if (explain_trust(err, x, label, v) ||
	    explain_cert(err, x, depth, label, v) ||
	    explain_rules(err, label, v))
		return;
	fail(v, ALERT_CERTIFICATE_UNKNOWN, "chain.invalid", "%s: %s", label,
	     X509_verify_cert_error_string(err));
}

/* The errors of libcrypto's validation that padlock decides otherwise. */
static int verify_callback(int ok, X509_STORE_CTX *ctx)
{
	X509 *x = X509_STORE_CTX_get_current_cert(ctx);
	time_t now, not_after;
	uint32_t xku;

	if (ok || x == NULL)
		return ok;
	switch (X509_STORE_CTX_get_error(ctx)) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		/* RFC 5280 4.1.2.5: valid through notAfter, inclusive;
		 * libcrypto counts that very second as expired. */
		now = X509_VERIFY_PARAM_get_time(X509_STORE_CTX_get0_param(ctx));
		return pl_x509_time_to_epoch(X509_get0_notAfter(x),
					     &not_after) == PL_OK &&
		       not_after == now;
	case X509_V_ERR_UNABLE_TO_GET_CRL:
		/* --crl checks the certificates whose issuer has a list
		 * among those given; the others are not checked. */
		return 1;
	case X509_V_ERR_INVALID_PURPOSE:
		/* A CA whose extended key usage is anyExtendedKeyUsage
		 * alone may issue for any purpose (Chromium too); the
		 * leaf's is judged by verify_rules.c. */
		xku = X509_get_extended_key_usage(x);
		return X509_STORE_CTX_get_error_depth(ctx) > 0 &&
		       (X509_get_extension_flags(x) & EXFLAG_CA) &&
		       (xku & XKU_ANYEKU) != 0;
	default:
		return 0;
	}
}

/* Applies padlock's policy to ctx; host is prepared (or NULL). */
static int set_policy(X509_STORE_CTX *ctx, const pl_x509_store_t *s,
		      const char *host, bool is_ip, time_t now)
{
	X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
	unsigned long flags = X509_V_FLAG_X509_STRICT |
			      X509_V_FLAG_PARTIAL_CHAIN;

	/* Sets the purpose (the leaf's extended key usage must allow
	 * serverAuth) and the matching trust setting of anchors. */
	if (X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER) != 1)
		return PL_ERR_CRYPTO;
	if (s->crls != NULL) {
		X509_STORE_CTX_set0_crls(ctx, s->crls);
		flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
	}
	X509_VERIFY_PARAM_set_flags(param, flags);
	X509_VERIFY_PARAM_set_time(param, now);
	X509_VERIFY_PARAM_set_auth_level(param, AUTH_LEVEL);
	X509_VERIFY_PARAM_set_depth(param, (int)s->max_depth);
	X509_STORE_CTX_set_verify_cb(ctx, verify_callback);
	if (host == NULL)
		return PL_OK;
	X509_VERIFY_PARAM_set_hostflags(param, PL_X509_HOST_FLAGS);
	if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1 :
		    X509_VERIFY_PARAM_set1_host(param, host, strlen(host)) != 1)
		return PL_ERR_CRYPTO;
	return PL_OK;
}

void pl_x509_path_clear(pl_x509_path_t *p)
{
	while (p->len > 0)
		X509_free(p->cert[--p->len]);
}

/* One verification: its inputs, the verdict of the first path tried (the
 * best, which is what a failure reports), and the path accepted. */
typedef struct {
	const pl_x509_store_t *s;
	const pl_x509_chain_t *c;
	const char *host;         /* prepared, or NULL */
	bool is_ip;
	time_t now;
	pl_x509_verdict_t first;  /* of the first path tried */
	bool internal_error;
	pl_x509_path_t *accepted; /* may be NULL */
	bool ok;
} run_t;

/* libcrypto's validation of exactly this path: the anchor is the only
 * trusted certificate and the certificates between are the only
 * untrusted ones. */
static bool validate(run_t *r, X509 *const *path, size_t len,
		     pl_x509_verdict_t *v)
{
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	STACK_OF(X509) *anchor = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	bool ok = false;
	size_t i;

	for (i = 1; untrusted != NULL && i + 1 < len; i++)
		if (sk_X509_push(untrusted, path[i]) <= 0)
			goto nomem;
	if (untrusted == NULL || anchor == NULL || ctx == NULL ||
	    sk_X509_push(anchor, path[len - 1]) <= 0 ||
	    X509_STORE_CTX_init(ctx, r->s->store, path[0], untrusted) != 1)
		goto nomem;
	X509_STORE_CTX_set0_trusted_stack(ctx, anchor);
	if (set_policy(ctx, r->s, r->host, r->is_ip, r->now) != PL_OK) {
		fail(v, ALERT_INTERNAL_ERROR, "chain.invalid",
		     "the verification policy could not be set (%s)",
		     pl_x509_crypto_reason());
		r->internal_error = true;
		goto out;
	}
	if (X509_verify_cert(ctx) == 1) {
		ok = true;
	} else if (X509_STORE_CTX_get_error(ctx) == X509_V_OK) {
		/* It stopped without a verdict: libcrypto itself failed. */
		fail(v, ALERT_INTERNAL_ERROR, "chain.invalid",
		     "certificate verification could not run (%s)",
		     pl_x509_crypto_reason());
		r->internal_error = true;
	} else {
		explain_failure(ctx, r->c, r->host, v);
	}
	goto out;
nomem:
	fail(v, ALERT_INTERNAL_ERROR, "chain.invalid", "out of memory");
	r->internal_error = true;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	sk_X509_free(anchor);
	ERR_clear_error();
	return ok;
}

static void accept_path(run_t *r, X509 *const *path, size_t len)
{
	size_t i;

	r->ok = true;
	if (r->accepted == NULL)
		return;
	for (i = 0; i < len; i++)
		if (X509_up_ref(path[i]) == 1)
			r->accepted->cert[r->accepted->len++] = path[i];
}

/* A pl_x509_path_try_fn: validates one complete path. */
static bool try_path(void *arg, X509 *const *path, size_t len)
{
	run_t *r = arg;
	pl_x509_verdict_t v;
	bool ok;

	memset(&v, 0, sizeof(v));
	ok = validate(r, path, len, &v) && pl_x509_path_rules(path, len, &v) &&
	     pl_x509_path_names(path, len, r->host, r->is_ip, &v);
	if (ok) {
		accept_path(r, path, len);
		pl_x509_name_text(X509_get_subject_name(path[len - 1]),
				  r->first.trusted_root,
				  sizeof(r->first.trusted_root));
		return true;
	}
	if (r->first.code[0] == '\0') {
		memcpy(r->first.reason, v.reason, sizeof(v.reason));
		memcpy(r->first.code, v.code, sizeof(v.code));
		r->first.alert = v.alert;
	}
	return r->internal_error;
}

/* Why no path reached a trust anchor: libcrypto's own search over the
 * whole store says which issuer is missing. */
static void explain_no_path(run_t *r, const pl_x509_search_t *search,
			    pl_x509_verdict_t *v)
{
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	size_t i;

	if (search->depth_cut) {
		fail(v, ALERT_BAD_CERTIFICATE, "chain.too-long",
		     "no path to a trusted CA within %u certificates "
		     "(--max-chain-depth)", r->s->max_depth);
		goto out;
	}
	for (i = 1; untrusted != NULL && i < r->c->count; i++)
		if (sk_X509_push(untrusted, r->c->entries[i].x509) <= 0)
			break;
	if (untrusted != NULL && ctx != NULL &&
	    X509_STORE_CTX_init(ctx, r->s->store, r->c->entries[0].x509,
				untrusted) == 1 &&
	    set_policy(ctx, r->s, NULL, false, r->now) == PL_OK &&
	    X509_verify_cert(ctx) != 1 &&
	    X509_STORE_CTX_get_error(ctx) != X509_V_OK) {
		explain_failure(ctx, r->c, r->host, v);
		if (strcmp(v->code, "chain.missing-intermediate") == 0 ||
		    strcmp(v->code, "chain.untrusted-root") == 0 ||
		    strcmp(v->code, "cert.self-signed") == 0)
			goto out;
	}
	fail(v, ALERT_UNKNOWN_CA, "chain.missing-intermediate",
	     "no path leads from the server certificate to a trusted CA%s",
	     search->bounded ? " (the search gave up: too many "
			       "cross-certificates)" : "");
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	ERR_clear_error();
}

int pl_x509_verify_path(const pl_x509_store_t *s, const pl_x509_chain_t *c,
			const char *host, time_t now, pl_x509_verdict_t *v,
			pl_x509_path_t *accepted)
{
	pl_x509_search_t search;
	char name[256];
	run_t r;
	int rc;

	memset(v, 0, sizeof(*v));
	memset(&r, 0, sizeof(r));
	if (s == NULL || c == NULL || c->count == 0) {
		fail(v, ALERT_INTERNAL_ERROR, "chain.invalid",
		     "no chain or trust store given");
		return PL_ERR_ARG;
	}
	if (host != NULL &&
	    !pl_x509_host_prepare(host, name, sizeof(name), &r.is_ip)) {
		pl_x509_escape(host, name, sizeof(name));
		fail(v, ALERT_INTERNAL_ERROR, "chain.invalid",
		     "'%s' is not a host name or IP address a certificate can "
		     "be checked against", name);
		return PL_ERR_ARG;
	}
	r.s = s;
	r.c = c;
	r.host = host != NULL ? name : NULL;
	r.now = now != 0 ? now : time(NULL);
	r.accepted = accepted;
	rc = pl_x509_build_paths(s, c, r.now, try_path, &r, &search);
	if (rc != PL_OK && !r.ok) {
		fail(v, ALERT_INTERNAL_ERROR, "chain.invalid", "out of memory");
		return rc;
	}
	if (r.ok) {
		memcpy(v->trusted_root, r.first.trusted_root,
		       sizeof(v->trusted_root));
		return PL_OK;
	}
	if (r.internal_error) {
		*v = r.first;
		return PL_ERR_CRYPTO;
	}
	if (search.tried > 0)
		*v = r.first;
	else
		explain_no_path(&r, &search, v);
	v->trusted_root[0] = '\0';
	return PL_ERR_CERT;
}

int pl_x509_verify(const pl_x509_store_t *s, const pl_x509_chain_t *c,
		   const char *host, time_t now, pl_x509_verdict_t *v)
{
	return pl_x509_verify_path(s, c, host, now, v, NULL);
}
