/*
 * Leaf certificates from the local CA: what a development server presents.
 * They follow what browsers require of any server certificate (the
 * CA/Browser Forum baseline requirements, 7.1.2.7): names in
 * subjectAltName only, serverAuth, at most 398 days.
 */
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "x509/ca_internal.h"

#define LEAF_ORG "padlock development certificate"
#define CN_MAX 64 /* RFC 5280 appendix A: ub-common-name */

GENERAL_NAME *pl_ca_general_name(const pl_x509_san_t *san)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_STRING *value = NULL;

	if (gn == NULL)
		return NULL;
	if (san->is_ip) {
		value = a2i_IPADDRESS(san->text);
	} else {
		value = ASN1_IA5STRING_new();
		if (value != NULL &&
		    ASN1_STRING_set(value, san->text, (int)strlen(san->text)) != 1) {
			ASN1_IA5STRING_free(value);
			value = NULL;
		}
	}
	if (value == NULL) {
		GENERAL_NAME_free(gn);
		return NULL;
	}
	GENERAL_NAME_set0_value(gn, san->is_ip ? GEN_IPADD : GEN_DNS, value);
	return gn;
}

static bool seen_before(const pl_x509_san_t *sans, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (sans[j].is_ip == sans[i].is_ip &&
		    strcmp(sans[j].text, sans[i].text) == 0)
			return true;
	return false;
}

/* subjectAltName, non-critical: the subject is not empty (RFC 5280
 * 4.2.1.6). Repeated names are written once. */
static int add_sans(X509 *x, const pl_x509_san_t *sans, size_t count)
{
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
	int rc = PL_ERR_CRYPTO;

	if (names == NULL)
		return PL_ERR_NOMEM;
	for (size_t i = 0; i < count; i++) {
		GENERAL_NAME *gn;

		if (seen_before(sans, i))
			continue;
		gn = pl_ca_general_name(&sans[i]);
		if (gn == NULL)
			goto out;
		if (sk_GENERAL_NAME_push(names, gn) <= 0) {
			GENERAL_NAME_free(gn);
			goto out;
		}
	}
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0,
			  X509V3_ADD_DEFAULT) == 1)
		rc = PL_OK;
out:
	GENERAL_NAMES_free(names);
	ERR_clear_error();
	return rc;
}

/* The subject says what the certificate is; browsers read only the SANs.
 * The CN repeats the first name when it fits in 64 characters, for tools
 * that show the CN. */
static int set_subject(X509 *x, const pl_x509_san_t *first)
{
	int rc = pl_ca_add_subject(x, "O", LEAF_ORG);

	if (rc == PL_OK && strlen(first->text) <= CN_MAX)
		rc = pl_ca_add_subject(x, "CN", first->text);
	return rc;
}

static X509 *make_leaf(const pl_x509_ca_t *ca, EVP_PKEY *key,
		       const pl_x509_san_t *sans, size_t count,
		       time_t not_before, time_t not_after)
{
	X509 *x = pl_ca_new_cert(key, not_before, not_after);

	if (x == NULL || set_subject(x, &sans[0]) != PL_OK ||
	    X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) != 1 ||
	    pl_ca_add_ext(x, ca->cert, NID_basic_constraints,
			  "critical,CA:FALSE") != PL_OK ||
	    pl_ca_add_ext(x, ca->cert, NID_key_usage,
			  "critical,digitalSignature") != PL_OK ||
	    pl_ca_add_ext(x, ca->cert, NID_ext_key_usage, "serverAuth") != PL_OK ||
	    pl_ca_add_ext(x, ca->cert, NID_subject_key_identifier, "hash") != PL_OK ||
	    pl_ca_add_ext(x, ca->cert, NID_authority_key_identifier,
			  "keyid:always") != PL_OK ||
	    add_sans(x, sans, count) != PL_OK ||
	    X509_sign(x, ca->key, EVP_sha256()) <= 0) {
		X509_free(x);
		x = NULL;
	}
	ERR_clear_error();
	return x;
}

/* The validity period: from an hour ago for 397 days, inside the CA's
 * own period. Refuses when the CA is not valid now. */
static int leaf_period(const pl_x509_ca_t *ca, time_t now, time_t *from,
		       time_t *to, char *err, size_t err_len)
{
	time_t ca_from, ca_to;
	char date[32];

	if (pl_x509_time_to_epoch(X509_get0_notBefore(ca->cert), &ca_from) != PL_OK ||
	    pl_x509_time_to_epoch(X509_get0_notAfter(ca->cert), &ca_to) != PL_OK) {
		pl_x509_set_err(err, err_len, "%s: the CA's validity dates do "
				"not parse", ca->cert_path);
		return PL_ERR_DECODE;
	}
	if (now >= ca_to) {
		pl_x509_date_text(X509_get0_notAfter(ca->cert), date, sizeof(date));
		pl_x509_set_err(err, err_len, "the local CA in %s expired on %s; "
				"uninstall it (padlock cert --uninstall), move "
				"the directory away, and run padlock cert again "
				"to make a new one", ca->dir, date);
		return PL_ERR_CERT;
	}
	if (now < ca_from) {
		pl_x509_date_text(X509_get0_notBefore(ca->cert), date, sizeof(date));
		pl_x509_set_err(err, err_len, "the local CA in %s is valid only "
				"from %s: is this machine's clock right?",
				ca->dir, date);
		return PL_ERR_CERT;
	}
	*from = now - PL_CA_BACKDATE < ca_from ? ca_from : now - PL_CA_BACKDATE;
	*to = now + PL_CA_LEAF_LIFETIME > ca_to ? ca_to : now + PL_CA_LEAF_LIFETIME;
	return PL_OK;
}

static int write_key(BIO *bio, void *arg)
{
	return PEM_write_bio_PrivateKey(bio, arg, NULL, NULL, 0, NULL, NULL) == 1
		       ? PL_OK
		       : PL_ERR_IO;
}

/* The chain a server sends: the leaf alone. The local CA that signed it is
 * the root clients trust, and clients use their own copy of a root
 * (RFC 8446 4.4.2 lets a server leave it out), so sending it only adds
 * bytes and a chain.root-included finding. */
static int write_chain(BIO *bio, void *arg)
{
	return PEM_write_bio_X509(bio, arg) == 1 ? PL_OK : PL_ERR_IO;
}

static void serial_text(X509 *x, char *buf, size_t cap)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

	snprintf(buf, cap, "%s", hex != NULL ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
	ERR_clear_error();
}

int pl_x509_ca_issue(const pl_x509_ca_t *ca, const pl_x509_san_t *sans,
		     size_t count, time_t now, const char *cert_path,
		     const char *key_path, pl_x509_issued_t *out, char *err,
		     size_t err_len)
{
	EVP_PKEY *key = NULL;
	X509 *leaf = NULL;
	pl_ca_file_t files[2];
	time_t from, to;
	int rc;

	memset(out, 0, sizeof(*out));
	if (count == 0 || count > PL_X509_SAN_MAX) {
		pl_x509_set_err(err, err_len, "give 1 to %d names", PL_X509_SAN_MAX);
		return PL_ERR_ARG;
	}
	rc = leaf_period(ca, now, &from, &to, err, err_len);
	if (rc != PL_OK)
		return rc;
	key = pl_ca_new_key();
	leaf = key != NULL ? make_leaf(ca, key, sans, count, from, to) : NULL;
	if (leaf == NULL) {
		pl_x509_set_err(err, err_len, "could not make the certificate "
				"(%s)", pl_x509_crypto_reason());
		rc = PL_ERR_CRYPTO;
		goto out;
	}
	/* The key first: the certificate appears last, when both are whole. */
	files[0] = (pl_ca_file_t){ .path = key_path, .mode = 0600,
				   .write = write_key, .arg = key };
	files[1] = (pl_ca_file_t){ .path = cert_path, .mode = 0644,
				   .write = write_chain, .arg = leaf };
	rc = pl_ca_files_commit(files, 2, err, err_len);
	if (rc != PL_OK)
		goto out;
	out->not_before = from;
	out->not_after = to;
	out->replaced = files[0].replaced || files[1].replaced;
	serial_text(leaf, out->serial, sizeof(out->serial));
out:
	X509_free(leaf);
	EVP_PKEY_free(key);
	return rc;
}
