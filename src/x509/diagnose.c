/*
 * Chain diagnostics: everything wrong with a certificate chain as a server
 * would present it, each finding with a stable code, a sentence a site
 * owner understands and the fix. This file runs the checks (diag_*.c) over
 * the path diag_path.c builds; findings.c keeps and prints the results.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "x509/diagnose_internal.h"

void pl_x509_diag_add(pl_x509_diag_t *d, pl_x509_severity_t severity,
		      const char *code, int cert, const char *fix,
		      const char *fmt, ...)
{
	char message[PL_X509_DIAG_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	/* The verdict is the verification's: when the chain verifies, what
	 * the checks call an error is a warning. Two stay errors although
	 * the chain verifies today: a key that does not match the
	 * certificate, and a certificate with under a day (or a tenth of
	 * its lifetime) left, which fails its visitors within hours (issue
	 * 14's rule; docs/certificate-diagnostics.md). */
	if (d->verified && severity == PL_X509_SEVERITY_ERROR &&
	    strcmp(code, "key.mismatch") != 0 &&
	    strcmp(code, "cert.expires-soon") != 0)
		severity = PL_X509_SEVERITY_WARNING;
	pl_x509_findings_add(d->out, severity, code, cert, message, fix);
}

void pl_x509_diag_label(const pl_x509_diag_t *d, X509 *x, int index,
			char *buf, size_t cap)
{
	char name[160];

	if (index >= 0 && (size_t)index == d->leaf) {
		pl_x509_short_name(x, name, sizeof(name));
		snprintf(buf, cap, "the server certificate '%s'", name);
		return;
	}
	if (!(X509_get_extension_flags(x) & EXFLAG_CA)) {
		/* Another server's: known by its names, like the leaf. */
		pl_x509_short_name(x, name, sizeof(name));
		snprintf(buf, cap, "a certificate for '%s'", name);
		return;
	}
	pl_x509_name_text(X509_get_subject_name(x), name, sizeof(name));
	if (name[0] == '\0')
		pl_x509_short_name(x, name, sizeof(name));
	if (X509_self_signed(x, 0) == 1)
		snprintf(buf, cap, "root '%s'", name);
	else
		snprintf(buf, cap, "intermediate '%s'", name);
	ERR_clear_error();
}

const char *pl_x509_diag_chain_file(const pl_x509_diag_t *d)
{
	return d->opts->chain_path != NULL ? d->opts->chain_path : "chain.pem";
}

void pl_x509_diag_shell_word(const char *s, char *buf, size_t cap)
{
	static const char plain[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz"
				    "0123456789/._-+,:@%=";
	size_t len = 0;

	if (cap < 3) {
		if (cap > 0)
			buf[0] = '\0';
		return;
	}
	if (s[0] != '\0' && strspn(s, plain) == strlen(s)) {
		snprintf(buf, cap, "%s", s);
		return;
	}
	buf[len++] = '\'';
	for (; *s != '\0'; s++) {
		/* A quote inside: end the quoted part, add an escaped
		 * quote, start a new part ('it'\''s'). */
		const char *piece = *s == '\'' ? "'\\''" : s;
		size_t n = *s == '\'' ? 4 : 1;

		if (len + n + 2 > cap)
			break;
		memcpy(buf + len, piece, n);
		len += n;
	}
	buf[len++] = '\'';
	buf[len] = '\0';
}

void pl_x509_diag_text_add(pl_x509_diag_text_t *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len + 1 >= t->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len = t->len + (size_t)n < t->cap ? t->len + (size_t)n :
						       t->cap - 1;
}

void pl_x509_diag_text_word(pl_x509_diag_text_t *t, const char *s)
{
	char word[PATH_MAX + 8];

	pl_x509_diag_shell_word(s, word, sizeof(word));
	pl_x509_diag_text_add(t, "%s", word);
}

/* What to do about a refusal that no other check explains. */
static const char *verdict_fix(const char *code)
{
	static const struct {
		const char *code, *fix;
	} fixes[] = {
		{ "name.constraint", "the CA that issued the certificate may not "
		  "certify this name: get the certificate from a CA allowed to "
		  "(or one without name constraints)" },
		{ "name.wildcard-public-suffix", "get a certificate that names "
		  "the host itself: a wildcard over a public suffix covers "
		  "domains of many owners, and browsers refuse it" },
		{ "cert.rfc5280", "ask the CA for a certificate that follows "
		  "RFC 5280 (browsers and padlock refuse this one)" },
		{ "cert.aia-malformed", "ask the CA for a certificate whose "
		  "authority information access extension is well formed" },
		{ "key.unsupported", "get a certificate for an ECDSA P-256 or "
		  "RSA 2048 (or larger, a multiple of 8 bits) key" },
		{ "cert.revoked", "the CA revoked this certificate: get a new "
		  "one and install it" },
		{ "crl.invalid", "give a current revocation list signed by the "
		  "certificate's issuer (--crl)" },
		{ "chain.too-long", "send a shorter chain, or allow a longer "
		  "one with --max-chain-depth" },
	};
	size_t i;

	for (i = 0; i < sizeof(fixes) / sizeof(fixes[0]); i++)
		if (strcmp(fixes[i].code, code) == 0)
			return fixes[i].fix;
	return NULL;
}

/* The codes a verdict may carry, as the static strings findings keep
 * (the verdict's own copy lives only as long as the run). */
static const char *static_code(const char *code)
{
	static const char *const codes[] = {
		"name.mismatch", "name.none", "name.constraint",
		"name.wildcard-public-suffix", "chain.missing-intermediate",
		"chain.untrusted-root", "chain.too-long", "cert.self-signed",
		"cert.expired", "cert.not-yet-valid", "cert.no-server-auth",
		"cert.ca-as-leaf", "cert.rfc5280", "cert.aia-malformed",
		"cert.revoked", "crl.invalid", "key.weak", "key.unsupported",
		"sig.weak",
	};
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(codes[i], code) == 0)
			return codes[i];
	return "chain.invalid";
}

/* The verdict, when no check found its reason: a refusal is always an
 * error finding named by the verification's own code. */
static void check_verdict(pl_x509_diag_t *d)
{
	const pl_x509_store_t *s = d->opts->store;
	const char *file = pl_x509_diag_chain_file(d);
	const char *code = static_code(d->verdict.code);
	char fix[PL_X509_DIAG_TEXT_MAX] = "";
	pl_x509_diag_text_t t = { fix, sizeof(fix), 0 };

	if (d->verified || pl_x509_findings_find(d->out, code) != NULL)
		return;
	if (verdict_fix(code) != NULL) {
		pl_x509_diag_add(d, PL_X509_SEVERITY_ERROR, code, 0,
				 verdict_fix(code), "%s", d->verdict.reason);
		return;
	}
	pl_x509_diag_text_add(&t, "ask the CA that issued the certificate "
			      "for a corrected chain ('openssl verify");
	if (s->ca_file != NULL) {
		pl_x509_diag_text_add(&t, " -CAfile ");
		pl_x509_diag_text_word(&t, s->ca_file);
	}
	if (s->ca_path != NULL) {
		pl_x509_diag_text_add(&t, " -CApath ");
		pl_x509_diag_text_word(&t, s->ca_path);
	}
	pl_x509_diag_text_add(&t, " -x509_strict -untrusted ");
	pl_x509_diag_text_word(&t, file);
	pl_x509_diag_text_add(&t, " ");
	pl_x509_diag_text_word(&t, file);
	pl_x509_diag_text_add(&t, "' shows a failure of the same kind)");
	pl_x509_diag_add(d, PL_X509_SEVERITY_ERROR, code, 0, fix,
			 "the chain does not verify: %s", d->verdict.reason);
}

/* Checks what the caller gave; err says what is wrong. */
static int check_args(const pl_x509_chain_t *c,
		      const pl_x509_diagnose_opts_t *opts,
		      const pl_x509_findings_t *out, char *err, size_t err_len)
{
	char name[256], shown[128];
	bool is_ip;

	if (c == NULL || c->count == 0 || opts == NULL || opts->store == NULL ||
	    out == NULL) {
		pl_x509_set_err(err, err_len,
				"no chain, trust store or findings list given");
		return PL_ERR_ARG;
	}
	if (opts->host != NULL &&
	    !pl_x509_host_prepare(opts->host, name, sizeof(name), &is_ip)) {
		pl_x509_escape(opts->host, shown, sizeof(shown));
		pl_x509_set_err(err, err_len,
				"'%s' is not a host name or IP address a "
				"certificate can be checked against", shown);
		return PL_ERR_ARG;
	}
	return PL_OK;
}

int pl_x509_diagnose(const pl_x509_chain_t *c,
		     const pl_x509_diagnose_opts_t *opts,
		     pl_x509_findings_t *out, char *err, size_t err_len)
{
	pl_x509_diagnose_opts_t o;
	pl_x509_diag_t d;
	int rc;

	rc = check_args(c, opts, out, err, err_len);
	if (rc != PL_OK)
		return rc;
	o = *opts;
	if (o.now == 0)
		o.now = time(NULL);
	memset(&d, 0, sizeof(d));
	d.chain = c;
	d.opts = &o;
	d.out = out;
	rc = PL_ERR_NOMEM;
	d.store_ctx = X509_STORE_CTX_new();
	if (d.store_ctx == NULL ||
	    X509_STORE_CTX_init(d.store_ctx, o.store->store, NULL, NULL) != 1) {
		pl_x509_set_err(err, err_len, "out of memory");
		goto out;
	}
	/* The decision first: everything below explains it. */
	rc = pl_x509_verify_path(o.store, c, o.host, o.now, &d.verdict,
				 &d.accepted);
	if (rc != PL_OK && rc != PL_ERR_CERT) {
		pl_x509_set_err(err, err_len, "%s", d.verdict.reason);
		goto out;
	}
	d.verified = rc == PL_OK;
	/* Lookups in the store prefer issuers valid at this time. */
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(d.store_ctx),
				   o.now);
	rc = pl_x509_diag_build_path(&d, err, err_len);
	if (rc != PL_OK)
		goto out;
	pl_x509_diag_check_dates(&d);
	pl_x509_diag_check_names(&d);
	pl_x509_diag_check_chain(&d);
	pl_x509_diag_check_strength(&d);
	pl_x509_diag_check_webpki(&d);
	pl_x509_diag_check_key(&d);
	if (o.key_path != NULL) {
		rc = pl_x509_key_check_permissions(o.key_path, out, err,
						   err_len);
		if (rc != PL_OK)
			goto out;
	}
	check_verdict(&d);
	rc = PL_OK;
	if (pl_x509_findings_out_of_memory(out)) {
		pl_x509_set_err(err, err_len, "out of memory");
		rc = PL_ERR_NOMEM;
	}
out:
	pl_x509_diag_path_free(&d);
	pl_x509_path_clear(&d.accepted);
	X509_STORE_CTX_free(d.store_ctx);
	ERR_clear_error();
	return rc;
}
