/*
 * Trust stores: the CAs a chain must lead to. A CA bundle file, a hashed
 * CA directory (c_rehash / update-ca-certificates), or the system's store.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "x509/x509_internal.h"

/* Debian's bundle of the system's trusted CAs (ca-certificates). */
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

/* Adds every certificate of a PEM bundle to store. "TRUSTED CERTIFICATE"
 * blocks keep their trust settings; CRLs in the file are ignored. */
static int add_ca_file(X509_STORE *store, const char *path, char *err,
		       size_t err_len)
{
	STACK_OF(X509_INFO) *infos = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	int i, added = 0, rc;

	rc = pl_x509_read_file(path, &data, &len, err, err_len);
	if (rc != PL_OK)
		goto out;
	rc = PL_ERR_NOMEM;
	bio = BIO_new_mem_buf(data, (int)len);
	if (bio == NULL) {
		pl_x509_set_err(err, err_len, "%s: out of memory", path);
		goto out;
	}
	rc = PL_ERR_DECODE;
	infos = PEM_X509_INFO_read_bio(bio, NULL, pl_x509_no_password, NULL);
	if (infos == NULL) {
		pl_x509_set_err(err, err_len,
				"%s: a CA certificate is malformed (%s)", path,
				pl_x509_crypto_reason());
		goto out;
	}
	for (i = 0; i < sk_X509_INFO_num(infos); i++) {
		X509 *x = sk_X509_INFO_value(infos, i)->x509;

		if (x == NULL)
			continue;
		if (X509_STORE_add_cert(store, x) != 1) {
			pl_x509_set_err(err, err_len,
					"%s: CA certificate %d could not be "
					"added (%s)", path, added + 1,
					pl_x509_crypto_reason());
			goto out;
		}
		added++;
	}
	if (added == 0) {
		pl_x509_set_err(err, err_len, "%s: no CA certificate found",
				path);
		goto out;
	}
	rc = PL_OK;
out:
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(bio);
	OPENSSL_free(data);
	ERR_clear_error();
	return rc;
}

/* Adds a hashed directory (certificates found by subject hash on demand). */
static int add_ca_dir(X509_STORE *store, const char *path, char *err,
		      size_t err_len)
{
	struct stat st;
	char ebuf[128];

	/* libcrypto looks in the directory only when it needs an issuer, and
	 * says nothing about a wrong path: check it now. */
	if (stat(path, &st) != 0) {
		pl_x509_set_err(err, err_len, "%s: %s", path,
				strerror_r(errno, ebuf, sizeof(ebuf)));
		return PL_ERR_IO;
	}
	if (!S_ISDIR(st.st_mode)) {
		pl_x509_set_err(err, err_len, "%s: not a directory", path);
		return PL_ERR_IO;
	}
	if (access(path, R_OK | X_OK) != 0) {
		pl_x509_set_err(err, err_len, "%s: %s", path,
				strerror_r(errno, ebuf, sizeof(ebuf)));
		return PL_ERR_IO;
	}
	if (X509_STORE_load_path(store, path) != 1) {
		pl_x509_set_err(err, err_len, "%s: cannot be used as a CA "
				"directory (%s)", path, pl_x509_crypto_reason());
		return PL_ERR_CRYPTO;
	}
	return PL_OK;
}

/* The system's CAs: libcrypto's default file and directory (on Debian
 * /usr/lib/ssl/cert.pem and /usr/lib/ssl/certs, both leading to
 * /etc/ssl/certs; SSL_CERT_FILE and SSL_CERT_DIR override them), and
 * Debian's bundle when the default file is missing (a system where
 * cert.pem is not linked), but not twice. */
static int add_system_cas(X509_STORE *store, char *err, size_t err_len)
{
	const char *file = getenv(X509_get_default_cert_file_env());

	if (file == NULL)
		file = X509_get_default_cert_file();
	if (X509_STORE_set_default_paths(store) != 1) {
		pl_x509_set_err(err, err_len, "the system trust store cannot "
				"be used (%s)", pl_x509_crypto_reason());
		return PL_ERR_CRYPTO;
	}
	ERR_clear_error();
	if (access(file, R_OK) != 0 && access(SYSTEM_CA_BUNDLE, R_OK) == 0)
		return add_ca_file(store, SYSTEM_CA_BUNDLE, err, err_len);
	return PL_OK;
}

pl_x509_store_t *pl_x509_store_new(const char *ca_file, const char *ca_path,
				   char *err, size_t err_len)
{
	pl_x509_store_t *s = calloc(1, sizeof(*s));
	int rc = PL_OK;

	if (s != NULL)
		s->store = X509_STORE_new();
	if (s == NULL || s->store == NULL) {
		pl_x509_set_err(err, err_len, "out of memory");
		rc = PL_ERR_NOMEM;
		goto out;
	}
	s->system = ca_file == NULL && ca_path == NULL;
	s->max_depth = PL_X509_MAX_DEPTH_DEFAULT;
	if ((ca_file != NULL && (s->ca_file = strdup(ca_file)) == NULL) ||
	    (ca_path != NULL && (s->ca_path = strdup(ca_path)) == NULL)) {
		pl_x509_set_err(err, err_len, "out of memory");
		rc = PL_ERR_NOMEM;
		goto out;
	}
	if (s->system)
		rc = add_system_cas(s->store, err, err_len);
	if (rc == PL_OK && ca_file != NULL)
		rc = add_ca_file(s->store, ca_file, err, err_len);
	if (rc == PL_OK && ca_path != NULL)
		rc = add_ca_dir(s->store, ca_path, err, err_len);
out:
	if (rc != PL_OK) {
		pl_x509_store_free(s);
		s = NULL;
	}
	ERR_clear_error();
	return s;
}

void pl_x509_store_free(pl_x509_store_t *s)
{
	if (s == NULL)
		return;
	X509_STORE_free(s->store);
	sk_X509_CRL_pop_free(s->crls, X509_CRL_free);
	free(s->ca_file);
	free(s->ca_path);
	free(s);
}

int pl_x509_store_set_max_depth(pl_x509_store_t *s, unsigned depth)
{
	if (s == NULL || depth < 1 || depth > PL_X509_MAX_DEPTH_LIMIT)
		return PL_ERR_ARG;
	s->max_depth = depth;
	return PL_OK;
}

/* Reads the CRLs of one file: PEM blocks, else one DER CRL. */
static int read_crls(const char *path, const uint8_t *data, size_t len,
		     STACK_OF(X509_CRL) *out, char *err, size_t err_len)
{
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	const unsigned char *p = data;
	X509_CRL *crl;
	int rc = PL_ERR_NOMEM;

	if (bio == NULL)
		goto out;
	while ((crl = PEM_read_bio_X509_CRL(bio, NULL, pl_x509_no_password,
					    NULL)) != NULL) {
		if (sk_X509_CRL_push(out, crl) <= 0) {
			X509_CRL_free(crl);
			goto out;
		}
	}
	if (sk_X509_CRL_num(out) == 0) {
		crl = d2i_X509_CRL(NULL, &p, (long)len);
		if (crl != NULL && sk_X509_CRL_push(out, crl) <= 0) {
			X509_CRL_free(crl);
			goto out;
		}
	}
	rc = PL_OK;
	if (sk_X509_CRL_num(out) == 0) {
		pl_x509_set_err(err, err_len, "%s: no certificate revocation "
				"list found (PEM \"X509 CRL\" or DER expected)",
				path);
		rc = PL_ERR_DECODE;
	}
out:
	if (rc == PL_ERR_NOMEM)
		pl_x509_set_err(err, err_len, "%s: out of memory", path);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

int pl_x509_store_add_crl_file(pl_x509_store_t *s, const char *path,
			       char *err, size_t err_len)
{
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	uint8_t *data = NULL;
	size_t len = 0;
	int rc;

	if (crls == NULL) {
		pl_x509_set_err(err, err_len, "%s: out of memory", path);
		return PL_ERR_NOMEM;
	}
	rc = pl_x509_read_file(path, &data, &len, err, err_len);
	if (rc == PL_OK)
		rc = read_crls(path, data, len, crls, err, err_len);
	if (rc == PL_OK && s->crls == NULL) {
		s->crls = crls;
		crls = NULL;
	}
	while (rc == PL_OK && crls != NULL && sk_X509_CRL_num(crls) > 0) {
		X509_CRL *crl = sk_X509_CRL_shift(crls);

		if (sk_X509_CRL_push(s->crls, crl) <= 0) {
			X509_CRL_free(crl);
			pl_x509_set_err(err, err_len, "%s: out of memory", path);
			rc = PL_ERR_NOMEM;
		}
	}
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	OPENSSL_free(data);
	return rc;
}
