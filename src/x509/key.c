/*
 * Private keys: loading a server's key file, and checking that it belongs
 * to the certificate it is served with.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "crypto/pkey_internal.h"
#include "x509/x509_internal.h"

/* True when the PEM text announces an encrypted key: PKCS#8
 * "ENCRYPTED PRIVATE KEY" or the traditional "Proc-Type: 4,ENCRYPTED". */
static bool pem_says_encrypted(const uint8_t *data, size_t len)
{
	return memmem(data, len, "ENCRYPTED PRIVATE KEY-----", 26) != NULL ||
	       memmem(data, len, "Proc-Type: 4,ENCRYPTED", 22) != NULL;
}

/* Parses the first private key in the PEM text; err names path and the
 * cause when there is none. */
static EVP_PKEY *parse_key(const uint8_t *data, size_t len, const char *path,
			   char *err, size_t err_len)
{
	EVP_PKEY *pk = NULL;
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	int asked = 0;

	if (bio == NULL) {
		pl_x509_set_err(err, err_len, "%s: out of memory", path);
		goto out;
	}
	/* The callback refuses, so libcrypto never prompts on a terminal
	 * (a server may run without one); it records that it was asked. */
	pk = PEM_read_bio_PrivateKey(bio, NULL, pl_x509_no_password, &asked);
	if (pk != NULL)
		goto out;
	if (asked || pem_says_encrypted(data, len))
		pl_x509_set_err(err, err_len,
				"%s: the private key is encrypted; give a "
				"passphrase file", path);
	else if (memmem(data, len, "PRIVATE KEY-----", 16) != NULL)
		pl_x509_set_err(err, err_len,
				"%s: the private key is malformed (%s)", path,
				pl_x509_crypto_reason());
	else
		pl_x509_set_err(err, err_len, "%s: no private key found", path);
out:
	BIO_free(bio);
	ERR_clear_error();
	return pk;
}

pl_pkey_t *pl_x509_key_load_pem(const char *path, char *err, size_t err_len)
{
	pl_pkey_t *key = NULL;
	EVP_PKEY *pk = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	char what[64];

	if (path == NULL) {
		pl_x509_set_err(err, err_len, "no private key file given");
		goto out;
	}
	if (pl_x509_read_file(path, &data, &len, err, err_len) != PL_OK)
		goto out;
	pk = parse_key(data, len, path, err, err_len);
	if (pk == NULL)
		goto out;
	pl_x509_pkey_text(pk, what, sizeof(what));
	key = pl_pkey_wrap(pk); /* takes pk, also when it fails */
	pk = NULL;
	if (key == NULL) {
		pl_x509_set_err(err, err_len, "%s: the %s key could not be "
				"loaded", path, what);
		goto out;
	}
	if (pl_pkey_kind(key) == PL_PKEY_OTHER) {
		pl_x509_set_err(err, err_len,
				"%s: padlock cannot sign with this key (%s); "
				"use RSA, ECDSA P-256 or P-384, or Ed25519",
				path, what);
		pl_pkey_free(key);
		key = NULL;
	}
out:
	OPENSSL_clear_free(data, len);
	ERR_clear_error();
	return key;
}

bool pl_x509_key_matches(const pl_x509_chain_t *c, const pl_pkey_t *key)
{
	const EVP_PKEY *cert_key, *pk;
	bool match;

	if (c == NULL || c->count == 0 || key == NULL)
		return false;
	cert_key = X509_get0_pubkey(c->entries[0].x509);
	pk = pl_pkey_evp(key);
	match = cert_key != NULL && pk != NULL && EVP_PKEY_eq(cert_key, pk) == 1;
	ERR_clear_error();
	return match;
}
