/*
 * The parts every certificate of the local CA is made of: a P-256 key, a
 * random serial number, a validity period, subject fields and extensions.
 */
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "x509/ca_internal.h"

EVP_PKEY *pl_ca_new_key(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	ERR_clear_error();
	return key;
}

/* RFC 5280 4.1.2.2: a positive integer of at most 20 octets, unique per
 * CA. 128 random bits make a collision as likely as guessing a key, and
 * are what browsers expect (at least 64 bits of entropy). */
static int set_random_serial(X509 *x)
{
	uint8_t bytes[16];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *serial = NULL;
	int rc = PL_ERR_CRYPTO;

	do {
		if (RAND_bytes(bytes, sizeof(bytes)) != 1)
			goto out;
		BN_free(bn);
		bn = BN_bin2bn(bytes, sizeof(bytes), NULL);
		if (bn == NULL)
			goto out;
	} while (BN_is_zero(bn));
	serial = BN_to_ASN1_INTEGER(bn, NULL);
	if (serial != NULL && X509_set_serialNumber(x, serial) == 1)
		rc = PL_OK;
out:
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return rc;
}

X509 *pl_ca_new_cert(EVP_PKEY *key, time_t not_before, time_t not_after)
{
	X509 *x = X509_new();

	if (x == NULL || X509_set_version(x, X509_VERSION_3) != 1 ||
	    set_random_serial(x) != PL_OK ||
	    ASN1_TIME_set(X509_getm_notBefore(x), not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), not_after) == NULL ||
	    X509_set_pubkey(x, key) != 1) {
		X509_free(x);
		x = NULL;
	}
	ERR_clear_error();
	return x;
}

int pl_ca_add_subject(X509 *x, const char *field, const char *value)
{
	X509_NAME *name = X509_get_subject_name(x);

	if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
				       (const unsigned char *)value, -1, -1,
				       0) != 1) {
		ERR_clear_error();
		return PL_ERR_CRYPTO;
	}
	return PL_OK;
}

int pl_ca_add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int rc = PL_ERR_CRYPTO;

	/* The context names the certificate and its issuer, for the key
	 * identifiers ("hash" and "keyid:always" are computed from them). */
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext != NULL && X509_add_ext(x, ext, -1) == 1)
		rc = PL_OK;
	X509_EXTENSION_free(ext);
	ERR_clear_error();
	return rc;
}
