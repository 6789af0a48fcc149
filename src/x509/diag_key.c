/*
 * The server's private key as the diagnostics see it: does it belong to
 * the certificate, and can other users of the machine read its file?
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>

#include "crypto/pkey_internal.h"
#include "x509/diagnose_internal.h"

void pl_x509_diag_check_key(pl_x509_diag_t *d)
{
	X509 *leaf = d->chain->entries[d->leaf].x509;
	const EVP_PKEY *cert_key = X509_get0_pubkey(leaf);
	char label[200], have[64], want[64], fix[PL_X509_DIAG_TEXT_MAX];
	const EVP_PKEY *key;
	const char *path = d->opts->key_path;
	bool match;

	if (d->opts->key == NULL)
		return;
	key = pl_pkey_evp(d->opts->key);
	match = cert_key != NULL && key != NULL &&
		EVP_PKEY_eq(cert_key, key) == 1;
	ERR_clear_error();
	if (match)
		return;
	pl_x509_diag_label(d, leaf, (int)d->leaf, label, sizeof(label));
	pl_x509_pkey_text(key, have, sizeof(have));
	pl_x509_key_text(leaf, want, sizeof(want));
	snprintf(fix, sizeof(fix),
		 "use the key file made together with this certificate's "
		 "request, or get a new certificate for %s",
		 path != NULL ? path : "this key");
	pl_x509_diag_add(d, PL_X509_SEVERITY_ERROR, "key.mismatch",
			 (int)d->leaf, fix,
			 "the private key%s%s (%s) does not belong to %s "
			 "(whose key is %s): the server could not prove it "
			 "owns the certificate", path != NULL ? " " : "",
			 path != NULL ? path : "", have, label, want);
}

int pl_x509_key_check_permissions(const char *path, pl_x509_findings_t *out,
				  char *err, size_t err_len)
{
	char message[PL_X509_DIAG_TEXT_MAX], fix[PL_X509_DIAG_TEXT_MAX];
	char ebuf[128], word[PATH_MAX + 8];
	const char *who;
	struct stat st;

	if (path == NULL || out == NULL) {
		pl_x509_set_err(err, err_len, "no key file or findings list "
				"given");
		return PL_ERR_ARG;
	}
	if (stat(path, &st) != 0) {
		pl_x509_set_err(err, err_len, "%s: %s", path,
				strerror_r(errno, ebuf, sizeof(ebuf)));
		return PL_ERR_IO;
	}
	if ((st.st_mode & (S_IRGRP | S_IROTH)) == 0)
		return PL_OK;
	who = (st.st_mode & S_IROTH) ? "every user of this machine" :
				       "the users of its group";
	snprintf(message, sizeof(message),
		 "the private key file %s can be read by %s (mode %04o); "
		 "whoever reads it can impersonate the site", path, who,
		 (unsigned)(st.st_mode & 07777));
	pl_x509_diag_shell_word(path, word, sizeof(word));
	snprintf(fix, sizeof(fix), "chmod 600 %s", word);
	pl_x509_findings_add(out, PL_X509_SEVERITY_WARNING, "key.permissions",
			     -1, message, fix);
	if (pl_x509_findings_out_of_memory(out)) {
		pl_x509_set_err(err, err_len, "out of memory");
		return PL_ERR_NOMEM;
	}
	return PL_OK;
}
