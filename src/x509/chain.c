/*
 * Certificate chains: built from a PEM file (a server's chain file) or from
 * DER (a TLS Certificate message), with the accessors and the description
 * a person reads.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crypto/pkey_internal.h"
#include "x509/x509_internal.h"

void pl_x509_chain_free(pl_x509_chain_t *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->count; i++) {
		X509_free(c->entries[i].x509);
		OPENSSL_free(c->entries[i].der);
	}
	free(c->entries);
	pl_pkey_free(c->leaf_key);
	free(c);
}

/* Fills e with x (taking ownership) and its DER encoding. */
static int entry_set(pl_x509_entry_t *e, X509 *x)
{
	unsigned char *der = NULL;
	int n;

	e->x509 = x;
	/* For a certificate that was parsed, i2d gives back the bytes it was
	 * parsed from (libcrypto keeps them), so the DER is as received. */
	n = i2d_X509(x, &der);
	if (n <= 0) {
		ERR_clear_error();
		return PL_ERR_CRYPTO;
	}
	e->der = der;
	e->der_len = (size_t)n;
	return PL_OK;
}

int pl_x509_chain_from_stack(STACK_OF(X509) *certs, pl_x509_chain_t **out,
			     char *err, size_t err_len)
{
	pl_x509_chain_t *c = NULL;
	size_t i, n = (size_t)sk_X509_num(certs);
	int rc = PL_ERR_NOMEM;

	*out = NULL;
	if (n == 0) {
		rc = PL_ERR_ARG;
		pl_x509_set_err(err, err_len, "no certificate");
		goto out;
	}
	c = calloc(1, sizeof(*c));
	if (c != NULL)
		c->entries = calloc(n, sizeof(*c->entries));
	if (c == NULL || c->entries == NULL) {
		pl_x509_set_err(err, err_len, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		/* The chain owns each certificate from here on. */
		c->count++;
		rc = entry_set(&c->entries[i], sk_X509_shift(certs));
		if (rc != PL_OK) {
			pl_x509_set_err(err, err_len,
					"certificate %zu could not be encoded",
					i + 1);
			goto out;
		}
	}
	/* X509_get_pubkey adds a reference, which pl_pkey_wrap takes. */
	c->leaf_key = pl_pkey_wrap(X509_get_pubkey(c->entries[0].x509));
	if (c->leaf_key == NULL) {
		ERR_clear_error();
		rc = PL_ERR_UNSUPPORTED;
		pl_x509_set_err(err, err_len,
				"the leaf certificate's public key cannot be "
				"read or is of an unsupported type");
		goto out;
	}
	*out = c;
	c = NULL;
	rc = PL_OK;
out:
	sk_X509_pop_free(certs, X509_free);
	pl_x509_chain_free(c);
	return rc;
}

/* Reads every CERTIFICATE block of the PEM text in bio, in order, into
 * certs. Blocks of other kinds (a private key) are skipped. */
static int read_pem_certs(BIO *bio, STACK_OF(X509) *certs, const char *path,
			  char *err, size_t err_len)
{
	unsigned long e;
	X509 *x;

	for (;;) {
		x = PEM_read_bio_X509(bio, NULL, pl_x509_no_password, NULL);
		if (x == NULL)
			break;
		if (sk_X509_push(certs, x) <= 0) {
			X509_free(x);
			pl_x509_set_err(err, err_len, "%s: out of memory", path);
			return PL_ERR_NOMEM;
		}
	}
	/* The loop ends with "no start line" when the text has no more
	 * certificates; anything else means a block did not parse. */
	e = ERR_peek_last_error();
	if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
		ERR_clear_error();
		return PL_OK;
	}
	pl_x509_set_err(err, err_len, "%s: certificate %d is malformed (%s)",
			path, sk_X509_num(certs) + 1, pl_x509_crypto_reason());
	return PL_ERR_DECODE;
}

pl_x509_chain_t *pl_x509_chain_load_pem(const char *path, char *err,
					size_t err_len)
{
	STACK_OF(X509) *certs = NULL;
	pl_x509_chain_t *c = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	char why[200];

	if (path == NULL) {
		pl_x509_set_err(err, err_len, "no certificate file given");
		goto out;
	}
	if (pl_x509_read_file(path, &data, &len, err, err_len) != PL_OK)
		goto out;
	bio = BIO_new_mem_buf(data, (int)len);
	certs = sk_X509_new_null();
	if (bio == NULL || certs == NULL) {
		pl_x509_set_err(err, err_len, "%s: out of memory", path);
		goto out;
	}
	if (read_pem_certs(bio, certs, path, err, err_len) != PL_OK)
		goto out;
	if (sk_X509_num(certs) == 0) {
		pl_x509_set_err(err, err_len, "%s: no certificate found", path);
		goto out;
	}
	why[0] = '\0';
	if (pl_x509_chain_from_stack(certs, &c, why, sizeof(why)) != PL_OK)
		pl_x509_set_err(err, err_len, "%s: %s", path, why);
	certs = NULL; /* owned by the chain now, or freed */
out:
	sk_X509_pop_free(certs, X509_free);
	BIO_free(bio);
	OPENSSL_free(data);
	ERR_clear_error();
	return c;
}

int pl_x509_chain_from_der(const uint8_t *const *der, const size_t *len,
			   size_t count, pl_x509_chain_t **out, char *err,
			   size_t err_len)
{
	STACK_OF(X509) *certs = NULL;
	const unsigned char *p;
	X509 *x;
	size_t i;
	int rc = PL_ERR_NOMEM;

	*out = NULL;
	if (count == 0 || der == NULL || len == NULL) {
		rc = PL_ERR_DECODE;
		pl_x509_set_err(err, err_len, "the certificate list is empty");
		goto out;
	}
	certs = sk_X509_new_null();
	if (certs == NULL)
		goto out;
	for (i = 0; i < count; i++) {
		rc = PL_ERR_DECODE;
		if (der[i] == NULL || len[i] == 0 || len[i] > LONG_MAX) {
			pl_x509_set_err(err, err_len,
					"certificate %zu of %zu is empty or "
					"too large", i + 1, count);
			goto out;
		}
		p = der[i];
		x = d2i_X509(NULL, &p, (long)len[i]);
		if (x == NULL) {
			pl_x509_set_err(err, err_len,
					"certificate %zu of %zu does not parse "
					"(%s)", i + 1, count,
					pl_x509_crypto_reason());
			goto out;
		}
		if (sk_X509_push(certs, x) <= 0) {
			X509_free(x);
			rc = PL_ERR_NOMEM;
			goto out;
		}
		/* A certificate is exactly one DER SEQUENCE: bytes after it
		 * are an encoding error, not padding. */
		if (p != der[i] + len[i]) {
			size_t extra = (size_t)(der[i] + len[i] - p);

			pl_x509_set_err(err, err_len,
					"certificate %zu of %zu has %zu byte%s "
					"after its end", i + 1, count, extra,
					extra == 1 ? "" : "s");
			goto out;
		}
	}
	rc = pl_x509_chain_from_stack(certs, out, err, err_len);
	certs = NULL;
	if (rc == PL_ERR_UNSUPPORTED)
		rc = PL_ERR_DECODE;
out:
	if (rc == PL_ERR_NOMEM)
		pl_x509_set_err(err, err_len, "out of memory");
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
	return rc;
}

size_t pl_x509_chain_count(const pl_x509_chain_t *c)
{
	return c != NULL ? c->count : 0;
}

const uint8_t *pl_x509_chain_der(const pl_x509_chain_t *c, size_t i,
				 size_t *len)
{
	if (c == NULL || i >= c->count) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = c->entries[i].der_len;
	return c->entries[i].der;
}

const pl_pkey_t *pl_x509_chain_leaf_key(const pl_x509_chain_t *c)
{
	return c != NULL ? c->leaf_key : NULL;
}

void pl_x509_ca_issuers_url(X509 *x, char *buf, size_t cap)
{
	AUTHORITY_INFO_ACCESS *aia;
	int i;

	buf[0] = '\0';
	aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
	for (i = 0; aia != NULL && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
		ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
		const ASN1_IA5STRING *uri;

		if (OBJ_obj2nid(ad->method) != NID_ad_ca_issuers ||
		    ad->location->type != GEN_URI)
			continue;
		uri = ad->location->d.uniformResourceIdentifier;
		pl_x509_escape((const char *)ASN1_STRING_get0_data(uri), buf,
			       cap);
		break;
	}
	AUTHORITY_INFO_ACCESS_free(aia);
	ERR_clear_error();
}

int pl_x509_chain_info(const pl_x509_chain_t *c, size_t i,
		       pl_x509_info_t *info)
{
	X509 *x;
	const char *sig;
	int nid;

	if (c == NULL || info == NULL || i >= c->count)
		return PL_ERR_ARG;
	memset(info, 0, sizeof(*info));
	x = c->entries[i].x509;
	pl_x509_name_text(X509_get_subject_name(x), info->subject,
			  sizeof(info->subject));
	pl_x509_name_text(X509_get_issuer_name(x), info->issuer,
			  sizeof(info->issuer));
	pl_x509_san_text(x, info->names, sizeof(info->names));
	pl_x509_key_text(x, info->key, sizeof(info->key));
	nid = X509_get_signature_nid(x);
	sig = nid != NID_undef ? OBJ_nid2ln(nid) : NULL;
	snprintf(info->sig_alg, sizeof(info->sig_alg), "%s",
		 sig != NULL ? sig : "unknown");
	/* A time that does not parse reads as 0: such a certificate never
	 * verifies, so no decision rests on these two fields. */
	if (pl_x509_time_to_epoch(X509_get0_notBefore(x), &info->not_before) !=
	    PL_OK)
		info->not_before = 0;
	if (pl_x509_time_to_epoch(X509_get0_notAfter(x), &info->not_after) !=
	    PL_OK)
		info->not_after = 0;
	info->is_ca = X509_check_ca(x) != 0;
	/* Self-issued and signed by its own key (the signature is checked). */
	info->self_signed = X509_self_signed(x, 1) == 1;
	pl_x509_ca_issuers_url(x, info->ca_issuers, sizeof(info->ca_issuers));
	ERR_clear_error();
	return PL_OK;
}
