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
