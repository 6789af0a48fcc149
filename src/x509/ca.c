/*
 * The local development CA: where it lives, making it on first use, and
 * loading it afterwards. Its directory holds ca.pem (the certificate,
 * which browsers and trust stores are given) and ca-key.pem (its key,
 * mode 0600, which never leaves the directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "x509/ca_internal.h"

#define CA_ORG "padlock local CA"
#define CA_CN_PREFIX "padlock development CA "
#define CN_MAX 64 /* RFC 5280 appendix A: ub-common-name */

/* ---- where the CA lives ---------------------------------------------------- */

/* The home directory: $HOME, else the password database's entry. */
static bool home_dir(char *buf, size_t cap)
{
	const char *home = getenv("HOME");
	struct passwd pw, *found = NULL;
	char pwbuf[4096];

	if (home == NULL || home[0] == '\0') {
		if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof(pwbuf), &found) != 0 ||
		    found == NULL)
			return false;
		home = found->pw_dir;
	}
	return snprintf(buf, cap, "%s", home) < (int)cap;
}

int pl_x509_ca_default_dir(char *buf, size_t cap, char *err, size_t err_len)
{
	const char *env = getenv("PADLOCK_CA_DIR");
	const char *xdg = getenv("XDG_DATA_HOME");
	char home[PATH_MAX];
	int n;

	if (env != NULL && env[0] != '\0')
		n = snprintf(buf, cap, "%s", env);
	/* XDG Base Directory: a relative XDG_DATA_HOME is invalid and
	 * must be ignored. */
	else if (xdg != NULL && xdg[0] == '/')
		n = snprintf(buf, cap, "%s/padlock/ca", xdg);
	else if (home_dir(home, sizeof(home)))
		n = snprintf(buf, cap, "%s/.local/share/padlock/ca", home);
	else {
		pl_x509_set_err(err, err_len, "neither PADLOCK_CA_DIR nor "
				"XDG_DATA_HOME nor HOME is set, so there is no "
				"place for the local CA");
		return PL_ERR_ARG;
	}
	if (n < 0 || (size_t)n >= cap) {
		pl_x509_set_err(err, err_len, "the local CA's directory name is "
				"too long");
		return PL_ERR_ARG;
	}
	return PL_OK;
}

static void ca_path(const char *dir, const char *file, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s", dir, file);
}

bool pl_x509_ca_exists(const char *dir)
{
	char path[PATH_MAX + 16];
	struct stat sb;

	ca_path(dir, PL_CA_CERT_FILE, path, sizeof(path));
	return stat(path, &sb) == 0;
}

/* ---- making the CA --------------------------------------------------------- */

/* "user@host", printable ASCII only: the CA's name tells whose machine
 * made it, which matters once it is in a browser's list of authorities. */
static void owner_text(char *buf, size_t cap)
{
	struct passwd pw, *found = NULL;
	char pwbuf[4096], host[256] = "localhost", raw[320];
	const char *user = getenv("USER");
	size_t j = 0;

	if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof(pwbuf), &found) == 0 &&
	    found != NULL)
		user = found->pw_name;
	if (user == NULL || user[0] == '\0')
		user = "user";
	if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(raw, sizeof(raw), "%s@%s", user, host);
	for (size_t i = 0; raw[i] != '\0' && j + 1 < cap; i++)
		if (raw[i] > 0x20 && raw[i] < 0x7f)
			buf[j++] = raw[i];
	buf[j] = '\0';
}

static int write_key(BIO *bio, void *arg)
{
	/* PKCS#8, unencrypted: the file's mode protects it, as ssh keys. */
	return PEM_write_bio_PrivateKey(bio, arg, NULL, NULL, 0, NULL, NULL) == 1
		       ? PL_OK
		       : PL_ERR_IO;
}

static int write_cert(BIO *bio, void *arg)
{
	return PEM_write_bio_X509(bio, arg) == 1 ? PL_OK : PL_ERR_IO;
}

/* The CA certificate: self-signed, basicConstraints CA:TRUE with
 * pathLen 0 (it signs leaves only, never another CA), keyUsage limited to
 * signing certificates and CRLs (RFC 5280 4.2.1.3, 4.2.1.9). */
static X509 *make_ca_cert(EVP_PKEY *key, time_t now)
{
	/* The CN holds at most 64 characters: the owner is cut to fit. */
	char owner[CN_MAX - sizeof(CA_CN_PREFIX) + 2], cn[CN_MAX + 1];
	X509 *x = pl_ca_new_cert(key, now - PL_CA_BACKDATE, now + PL_CA_LIFETIME);

	owner_text(owner, sizeof(owner));
	snprintf(cn, sizeof(cn), "%s%s", CA_CN_PREFIX, owner);
	if (x == NULL || pl_ca_add_subject(x, "O", CA_ORG) != PL_OK ||
	    pl_ca_add_subject(x, "CN", cn) != PL_OK ||
	    X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 ||
	    pl_ca_add_ext(x, x, NID_basic_constraints,
			  "critical,CA:TRUE,pathlen:0") != PL_OK ||
	    pl_ca_add_ext(x, x, NID_key_usage,
			  "critical,keyCertSign,cRLSign") != PL_OK ||
	    pl_ca_add_ext(x, x, NID_subject_key_identifier, "hash") != PL_OK ||
	    X509_sign(x, key, EVP_sha256()) <= 0) {
		X509_free(x);
		x = NULL;
	}
	ERR_clear_error();
	return x;
}

static int create_ca(const char *dir, time_t now, char *err, size_t err_len)
{
	char key_path[PATH_MAX + 16], cert_path[PATH_MAX + 16];
	EVP_PKEY *key = pl_ca_new_key();
	X509 *cert = key != NULL ? make_ca_cert(key, now) : NULL;
	int rc;

	if (cert == NULL) {
		pl_x509_set_err(err, err_len, "%s: could not make the CA's key "
				"and certificate (%s)", dir,
				pl_x509_crypto_reason());
		rc = PL_ERR_CRYPTO;
		goto out;
	}
	ca_path(dir, PL_CA_KEY_FILE, key_path, sizeof(key_path));
	ca_path(dir, PL_CA_CERT_FILE, cert_path, sizeof(cert_path));
	/* The certificate goes in place last: a CA whose ca.pem exists is
	 * complete. */
	pl_ca_file_t files[] = {
		{ .path = key_path, .mode = 0600, .write = write_key, .arg = key },
		{ .path = cert_path, .mode = 0644, .write = write_cert, .arg = cert },
	};
	rc = pl_ca_files_commit(files, 2, err, err_len);
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

/* ---- loading the CA -------------------------------------------------------- */

static X509 *load_cert(const char *path, char *err, size_t err_len)
{
	uint8_t *data = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	X509 *x = NULL;

	if (pl_x509_read_file(path, &data, &len, err, err_len) != PL_OK)
		return NULL;
	bio = BIO_new_mem_buf(data, (int)len);
	if (bio != NULL)
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (x == NULL)
		pl_x509_set_err(err, err_len, "%s: not a PEM certificate (%s)",
				path, pl_x509_crypto_reason());
	BIO_free(bio);
	OPENSSL_free(data);
	return x;
}

static EVP_PKEY *load_key(const char *path, char *err, size_t err_len)
{
	uint8_t *data = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	int asked = 0;

	if (pl_x509_read_file(path, &data, &len, err, err_len) != PL_OK)
		return NULL;
	bio = BIO_new_mem_buf(data, (int)len);
	if (bio != NULL)
		key = PEM_read_bio_PrivateKey(bio, NULL, pl_x509_no_password,
					      &asked);
	if (key == NULL)
		pl_x509_set_err(err, err_len, "%s: %s", path,
				asked ? "the CA key is encrypted, which padlock "
					"cert does not support"
				      : "not a PEM private key");
	BIO_free(bio);
	OPENSSL_clear_free(data, len);
	ERR_clear_error();
	return key;
}

/* The CA as a one-certificate chain, for pl_x509_chain_info and DER. */
static int make_chain(pl_x509_ca_t *ca, char *err, size_t err_len)
{
	STACK_OF(X509) *certs = sk_X509_new_null();

	if (certs == NULL || X509_up_ref(ca->cert) != 1)
		goto fail;
	if (sk_X509_push(certs, ca->cert) <= 0) {
		X509_free(ca->cert);
		goto fail;
	}
	/* Takes the stack and the reference, also when it fails. */
	return pl_x509_chain_from_stack(certs, &ca->chain, err, err_len);
fail:
	sk_X509_free(certs);
	pl_x509_set_err(err, err_len, "out of memory");
	return PL_ERR_NOMEM;
}

static int load_ca(pl_x509_ca_t *ca, char *err, size_t err_len)
{
	char key_path[PATH_MAX + 16];

	ca_path(ca->dir, PL_CA_KEY_FILE, key_path, sizeof(key_path));
	ca->cert = load_cert(ca->cert_path, err, err_len);
	if (ca->cert == NULL)
		return PL_ERR_DECODE;
	ca->key = load_key(key_path, err, err_len);
	if (ca->key == NULL)
		return PL_ERR_DECODE;
	if (X509_check_ca(ca->cert) < 1) {
		pl_x509_set_err(err, err_len, "%s: not a CA certificate",
				ca->cert_path);
		return PL_ERR_CERT;
	}
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		ERR_clear_error();
		pl_x509_set_err(err, err_len, "%s does not belong to %s: the "
				"local CA is damaged; move %s away to make a "
				"new one", key_path, ca->cert_path, ca->dir);
		return PL_ERR_CERT;
	}
	return make_chain(ca, err, err_len);
}

/* ---- opening: load, or make then load --------------------------------------- */

/* Makes the CA unless both files are there; refuses half a CA. */
static int ensure_ca(const char *dir, bool create, time_t now, bool *created,
		     char *err, size_t err_len)
{
	char key_path[PATH_MAX + 16], cert_path[PATH_MAX + 16];
	struct stat sb;
	bool has_key, has_cert;
	int rc;

	ca_path(dir, PL_CA_KEY_FILE, key_path, sizeof(key_path));
	ca_path(dir, PL_CA_CERT_FILE, cert_path, sizeof(cert_path));
	has_key = stat(key_path, &sb) == 0;
	has_cert = stat(cert_path, &sb) == 0;
	if (has_key && has_cert)
		return PL_OK;
	if (has_key || has_cert) {
		pl_x509_set_err(err, err_len, "%s holds %s but not %s: the "
				"local CA is incomplete; move the directory "
				"away to make a new CA", dir,
				has_key ? PL_CA_KEY_FILE : PL_CA_CERT_FILE,
				has_key ? PL_CA_CERT_FILE : PL_CA_KEY_FILE);
		return PL_ERR_IO;
	}
	if (!create) {
		pl_x509_set_err(err, err_len, "%s: there is no local CA yet "
				"('padlock cert NAME' makes one)", dir);
		return PL_ERR_IO;
	}
	rc = create_ca(dir, now, err, err_len);
	*created = rc == PL_OK;
	return rc;
}

/* Opens dir and takes its lock, so that two padlock processes starting
 * at once make one CA, not two halves of two. -1 with err set on
 * failure. */
static int lock_dir(const char *dir, char *err, size_t err_len)
{
	char ebuf[128];
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		pl_x509_set_err(err, err_len, "%s: %s", dir,
				errno == ENOENT ? "there is no local CA yet "
						  "('padlock cert NAME' makes "
						  "one)"
						: strerror_r(errno, ebuf,
							     sizeof(ebuf)));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int pl_x509_ca_open(const char *dir, bool create, time_t now,
		    pl_x509_ca_t **out, bool *created, char *err,
		    size_t err_len)
{
	pl_x509_ca_t *ca = NULL;
	pl_ca_dirs_t made = { .first_len = 0 };
	bool made_ca = false;
	int lock = -1, rc;

	*out = NULL;
	if (created != NULL)
		*created = false;
	if (strlen(dir) + 16 >= PATH_MAX) {
		pl_x509_set_err(err, err_len, "the local CA's directory name is "
				"too long");
		return PL_ERR_ARG;
	}
	if (create) {
		rc = pl_ca_mkdirs(dir, &made, err, err_len);
		if (rc != PL_OK)
			return rc;
	}
	lock = lock_dir(dir, err, err_len);
	rc = lock < 0 ? PL_ERR_IO : ensure_ca(dir, create, now, &made_ca, err,
					      err_len);
	if (rc == PL_OK) {
		ca = calloc(1, sizeof(*ca));
		rc = ca == NULL ? PL_ERR_NOMEM : PL_OK;
	}
	if (rc == PL_OK) {
		snprintf(ca->dir, sizeof(ca->dir), "%s", dir);
		ca_path(dir, PL_CA_CERT_FILE, ca->cert_path,
			sizeof(ca->cert_path));
		rc = load_ca(ca, err, err_len);
	}
	if (lock >= 0)
		close(lock); /* releases the lock */
	if (rc != PL_OK) {
		pl_x509_ca_free(ca);
		if (!made_ca)
			pl_ca_dirs_undo(&made);
		return rc;
	}
	if (created != NULL)
		*created = made_ca;
	ca->created = made_ca;
	ca->made = made;
	*out = ca;
	return PL_OK;
}

/* ---- what callers read ------------------------------------------------------ */

const char *pl_x509_ca_dir(const pl_x509_ca_t *ca)
{
	return ca->dir;
}

const char *pl_x509_ca_cert_path(const pl_x509_ca_t *ca)
{
	return ca->cert_path;
}

const pl_x509_chain_t *pl_x509_ca_chain(const pl_x509_ca_t *ca)
{
	return ca->chain;
}

int pl_x509_ca_fingerprint(const pl_x509_ca_t *ca, char *hex, size_t cap)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (cap < 65 || X509_digest(ca->cert, EVP_sha256(), md, &len) != 1 ||
	    len != 32) {
		ERR_clear_error();
		return PL_ERR_ARG;
	}
	for (unsigned int i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return PL_OK;
}

void pl_x509_ca_discard(pl_x509_ca_t *ca)
{
	char key_path[PATH_MAX + 16];

	if (ca != NULL && ca->created) {
		ca_path(ca->dir, PL_CA_KEY_FILE, key_path, sizeof(key_path));
		/* The certificate first: without it the CA does not exist. */
		unlink(ca->cert_path);
		unlink(key_path);
		pl_ca_dirs_undo(&ca->made);
	}
	pl_x509_ca_free(ca);
}

void pl_x509_ca_free(pl_x509_ca_t *ca)
{
	if (ca == NULL)
		return;
	pl_x509_chain_free(ca->chain);
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key); /* EVP_PKEY_free wipes the private key */
	free(ca);
}
