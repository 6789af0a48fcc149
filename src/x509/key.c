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

/* A passphrase for libcrypto's password callback, and whether libcrypto
 * asked for one. */
struct passphrase {
	const char *text; /* NULL: refuse, so that nothing ever prompts */
	size_t len;
	const char *path; /* the file it came from, for messages */
	int asked;
};

/* The password callback: gives the passphrase, or refuses when there is
 * none (libcrypto would otherwise prompt on a terminal that a server may
 * not have). */
static int give_passphrase(char *buf, int size, int rwflag, void *userdata)
{
	struct passphrase *p = userdata;

	(void)rwflag;
	p->asked = 1;
	if (p->text == NULL || size < 0 || p->len > (size_t)size)
		return 0;
	memcpy(buf, p->text, p->len);
	return (int)p->len;
}

/* Parses the first private key in the PEM text; err names path and the
 * cause when there is none. */
static EVP_PKEY *parse_key(const uint8_t *data, size_t len, const char *path,
			   struct passphrase *pass, char *err, size_t err_len)
{
	EVP_PKEY *pk = NULL;
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	bool encrypted;

	if (bio == NULL) {
		pl_x509_set_err(err, err_len, "%s: out of memory", path);
		goto out;
	}
	pk = PEM_read_bio_PrivateKey(bio, NULL, give_passphrase, pass);
	if (pk != NULL)
		goto out;
	encrypted = pass->asked || pem_says_encrypted(data, len);
	if (encrypted && pass->text == NULL)
		pl_x509_set_err(err, err_len,
				"%s: the private key is encrypted; give a "
				"passphrase file", path);
	else if (encrypted)
		pl_x509_set_err(err, err_len,
				"%s: the passphrase in %s does not decrypt the "
				"private key (wrong passphrase?)", path,
				pass->path);
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

/* Loads the key at path with pass (whose text may be NULL). */
static pl_pkey_t *load_key(const char *path, struct passphrase *pass,
			   char *err, size_t err_len)
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
	pk = parse_key(data, len, path, pass, err, err_len);
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

pl_pkey_t *pl_x509_key_load_pem(const char *path, char *err, size_t err_len)
{
	struct passphrase none = { NULL, 0, NULL, 0 };

	return load_key(path, &none, err, err_len);
}

/* Reads the passphrase: the first line of the file, without its line end.
 * The caller wipes and frees *data (OPENSSL_clear_free(*data, *data_len)). */
static int read_passphrase(const char *path, struct passphrase *pass,
			   uint8_t **data, size_t *data_len, char *err,
			   size_t err_len)
{
	const uint8_t *nl;
	size_t n;
	int rc;

	rc = pl_x509_read_file(path, data, data_len, err, err_len);
	if (rc != PL_OK)
		return rc;
	nl = memchr(*data, '\n', *data_len);
	n = nl != NULL ? (size_t)(nl - *data) : *data_len;
	/* A file written on Windows ends its lines with CR LF. */
	if (n > 0 && (*data)[n - 1] == '\r')
		n--;
	if (n == 0) {
		pl_x509_set_err(err, err_len, "%s: the first line is empty; "
				"write the passphrase on it", path);
		return PL_ERR_ARG;
	}
	if (n > PEM_BUFSIZE - 1) {
		pl_x509_set_err(err, err_len, "%s: the passphrase is longer "
				"than %d bytes", path, PEM_BUFSIZE - 1);
		return PL_ERR_ARG;
	}
	pass->text = (const char *)*data;
	pass->len = n;
	pass->path = path;
	return PL_OK;
}

pl_pkey_t *pl_x509_key_load_pem_with_passphrase(const char *path,
						const char *passphrase_path,
						char *err, size_t err_len)
{
	struct passphrase pass = { NULL, 0, NULL, 0 };
	pl_pkey_t *key = NULL;
	uint8_t *data = NULL;
	size_t len = 0;

	if (passphrase_path == NULL)
		return pl_x509_key_load_pem(path, err, err_len);
	if (read_passphrase(passphrase_path, &pass, &data, &len, err,
			    err_len) == PL_OK)
		key = load_key(path, &pass, err, err_len);
	OPENSSL_clear_free(data, len);
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
