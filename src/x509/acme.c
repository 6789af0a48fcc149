/*
 * What ACME needs of X.509 (RFC 8555 7.4): the certificate signing request
 * of an order, and the files an issued certificate and its key go to,
 * written whole or not at all with the key never readable by others.
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crypto/pkey_internal.h"
#include "x509/ca_internal.h"

static int add_san_request(X509_REQ *req, const pl_x509_san_t *sans,
			   size_t count)
{
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext = NULL;
	int rc = PL_ERR_CRYPTO;

	if (names == NULL || exts == NULL)
		goto out;
	for (size_t i = 0; i < count; i++) {
		GENERAL_NAME *gn = pl_ca_general_name(&sans[i]);

		if (gn == NULL || sk_GENERAL_NAME_push(names, gn) <= 0) {
			GENERAL_NAME_free(gn);
			goto out;
		}
	}
	ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, names);
	if (ext != NULL && sk_X509_EXTENSION_push(exts, ext) > 0) {
		ext = NULL;
		if (X509_REQ_add_extensions(req, exts) == 1)
			rc = PL_OK;
	}
out:
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(names);
	ERR_clear_error();
	return rc;
}

int pl_x509_csr_der(const pl_pkey_t *key, const pl_x509_san_t *sans,
		    size_t count, uint8_t **der, size_t *len)
{
	X509_REQ *req = X509_REQ_new();
	EVP_PKEY *pkey = pl_pkey_evp(key);
	unsigned char *out = NULL;
	int n, rc = PL_ERR_CRYPTO;

	*der = NULL;
	if (count == 0)
		rc = PL_ERR_ARG;
	/* RFC 8555 7.4: the names go in subjectAltName; the subject may be
	 * empty (the CA fills in what it wants) */
	else if (req != NULL && X509_REQ_set_version(req, 0) == 1 &&
		 X509_REQ_set_pubkey(req, pkey) == 1 &&
		 add_san_request(req, sans, count) == PL_OK &&
		 X509_REQ_sign(req, pkey, EVP_sha256()) > 0 &&
		 (n = i2d_X509_REQ(req, &out)) > 0) {
		*der = out;
		*len = (size_t)n;
		rc = PL_OK;
	}
	X509_REQ_free(req);
	ERR_clear_error();
	return rc;
}

void pl_x509_der_free(uint8_t *der)
{
	OPENSSL_free(der);
}

int pl_x509_acme_cert_id(const pl_x509_chain_t *c, char *out, size_t cap)
{
	X509 *leaf = c != NULL && c->count > 0 ? c->entries[0].x509 : NULL;
	const ASN1_OCTET_STRING *aki = leaf ? X509_get0_authority_key_id(leaf) : NULL;
	const ASN1_INTEGER *serial = leaf ? X509_get0_serialNumber(leaf) : NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	long content = 0;
	int tag, class, n, rc = PL_ERR_ARG;
	size_t used;

	if (aki == NULL || serial == NULL ||
	    (n = i2d_ASN1_INTEGER(serial, &der)) <= 0)
		goto out;
	/* RFC 9773 4.1: the serial's DER without its tag and length */
	p = der;
	if (ASN1_get_object(&p, &content, &tag, &class, n) & 0x80 ||
	    tag != V_ASN1_INTEGER || content <= 0 || p + content != der + n)
		goto out;
	if (pl_base64url_encode(ASN1_STRING_get0_data(aki),
				(size_t)ASN1_STRING_length(aki), out, cap) != PL_OK)
		goto out;
	used = strlen(out);
	if (used + 1 >= cap)
		goto out;
	out[used++] = '.';
	rc = pl_base64url_encode(p, (size_t)content, out + used, cap - used);
out:
	OPENSSL_free(der);
	ERR_clear_error();
	if (rc != PL_OK && cap > 0)
		out[0] = '\0';
	return rc == PL_OK ? PL_OK : PL_ERR_ARG;
}

static int write_key(BIO *bio, void *arg)
{
	return PEM_write_bio_PrivateKey(bio, arg, NULL, NULL, 0, NULL, NULL) == 1
		       ? PL_OK
		       : PL_ERR_IO;
}

struct text {
	const char *data;
	size_t len;
};

static int write_text(BIO *bio, void *arg)
{
	const struct text *t = arg;

	return BIO_write(bio, t->data, (int)t->len) == (int)t->len ? PL_OK
								  : PL_ERR_IO;
}

int pl_x509_save_key_and_chain(const char *key_path, const pl_pkey_t *key,
			       const char *chain_path, const char *chain_pem,
			       size_t chain_len, char *err, size_t err_len)
{
	struct text chain = { chain_pem, chain_len };
	pl_ca_file_t files[2] = {
		{ .path = key_path, .mode = 0600, .write = write_key,
		  .arg = pl_pkey_evp(key) },
		{ .path = chain_path, .mode = 0644, .write = write_text,
		  .arg = &chain },
	};

	return pl_ca_files_commit(files, chain_path != NULL ? 2 : 1, err,
				  err_len);
}

/* RFC 8737 3: id-pe-acmeIdentifier, critical, holding the SHA-256 of the
 * key authorization as an OCTET STRING. */
static int add_acme_identifier(X509 *x, const uint8_t digest[32])
{
	ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
	ASN1_OCTET_STRING *inner = ASN1_OCTET_STRING_new();
	ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	unsigned char *der = NULL;
	int der_len, rc = PL_ERR_CRYPTO;

	if (oid == NULL || inner == NULL || value == NULL ||
	    ASN1_OCTET_STRING_set(inner, digest, 32) != 1 ||
	    (der_len = i2d_ASN1_OCTET_STRING(inner, &der)) <= 0 ||
	    ASN1_OCTET_STRING_set(value, der, der_len) != 1)
		goto out;
	ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 1, value);
	if (ext != NULL && X509_add_ext(x, ext, -1) == 1)
		rc = PL_OK;
out:
	X509_EXTENSION_free(ext);
	OPENSSL_free(der);
	ASN1_OCTET_STRING_free(value);
	ASN1_OCTET_STRING_free(inner);
	ASN1_OBJECT_free(oid);
	ERR_clear_error();
	return rc;
}

int pl_x509_acme_challenge_cert(const char *name, const char *key_authorization,
				time_t now, pl_x509_chain_t **chain,
				pl_pkey_t **key)
{
	pl_x509_san_t san;
	uint8_t digest[32];
	pl_pkey_t *k = pl_pkey_generate(PL_PKEY_EC_P256, 0);
	X509 *x = NULL;
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *gn = NULL;
	unsigned char *der = NULL;
	int der_len, rc = PL_ERR_CRYPTO;
	char err[128];

	*chain = NULL;
	*key = NULL;
	if (k == NULL || names == NULL ||
	    pl_x509_san_parse(name, &san, err, sizeof err) != PL_OK ||
	    pl_hash_once(PL_HASH_SHA256, (const uint8_t *)key_authorization,
			 strlen(key_authorization), digest) != PL_OK)
		goto out;
	/* self-signed, the name in subjectAltName (RFC 8737 3) */
	x = pl_ca_new_cert(pl_pkey_evp(k), now - 3600, now + 7 * 86400);
	gn = pl_ca_general_name(&san);
	if (x == NULL || gn == NULL || sk_GENERAL_NAME_push(names, gn) <= 0)
		goto out;
	gn = NULL;
	if (pl_ca_add_subject(x, "CN", "ACME TLS-ALPN-01 challenge") != PL_OK ||
	    X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 ||
	    X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0,
			      X509V3_ADD_DEFAULT) != 1 ||
	    add_acme_identifier(x, digest) != PL_OK ||
	    X509_sign(x, pl_pkey_evp(k), EVP_sha256()) <= 0 ||
	    (der_len = i2d_X509(x, &der)) <= 0)
		goto out;
	rc = pl_x509_chain_from_der((const uint8_t *const *)&der,
				    &(size_t){(size_t)der_len}, 1, chain, err,
				    sizeof err);
	if (rc == PL_OK) {
		*key = k;
		k = NULL;
	}
out:
	OPENSSL_free(der);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(names);
	X509_free(x);
	pl_pkey_free(k);
	ERR_clear_error();
	return rc;
}
