/* Reading the files padlock loads, and the error sentences about them. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "x509/x509_internal.h"

void pl_x509_set_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

const char *pl_x509_crypto_reason(void)
{
	/* The oldest entry is the root cause ("bad base64 decode"); the later
	 * ones only say which caller gave up. */
	unsigned long e = ERR_peek_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return reason != NULL ? reason : "unknown error";
}

int pl_x509_no_password(char *buf, int size, int rwflag, void *userdata)
{
	int *asked = userdata;

	(void)buf;
	(void)size;
	(void)rwflag;
	if (asked != NULL)
		*asked = 1;
	return 0;
}

/* Grows *data so that it holds at least need bytes. */
static int grow(uint8_t **data, size_t *cap, size_t need)
{
	size_t new_cap = *cap == 0 ? 16384 : *cap * 2;
	uint8_t *p;

	while (new_cap < need)
		new_cap *= 2;
	/* The old buffer may hold part of a private key: copy and wipe
	 * rather than realloc, which could leave it behind in freed memory. */
	p = OPENSSL_malloc(new_cap);
	if (p == NULL)
		return PL_ERR_NOMEM;
	if (*data != NULL) {
		memcpy(p, *data, *cap);
		OPENSSL_clear_free(*data, *cap);
	}
	*data = p;
	*cap = new_cap;
	return PL_OK;
}

int pl_x509_read_file(const char *path, uint8_t **data, size_t *len,
		      char *err, size_t err_len)
{
	uint8_t *buf = NULL;
	size_t cap = 0, used = 0;
	struct stat st;
	int fd = -1, rc = PL_ERR_IO;
	char ebuf[128];

	*data = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		pl_x509_set_err(err, err_len, "%s: %s", path,
				strerror_r(errno, ebuf, sizeof(ebuf)));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		pl_x509_set_err(err, err_len, "%s: is a directory, not a file",
				path);
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (used == cap) {
			if (cap >= PL_X509_FILE_MAX) {
				pl_x509_set_err(err, err_len,
						"%s: larger than %u MiB, which is "
						"not a certificate or key file",
						path, PL_X509_FILE_MAX >> 20);
				goto out;
			}
			rc = grow(&buf, &cap, used + 1);
			if (rc != PL_OK) {
				pl_x509_set_err(err, err_len, "%s: out of memory",
						path);
				goto out;
			}
			rc = PL_ERR_IO;
		}
		n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pl_x509_set_err(err, err_len, "%s: %s", path,
					strerror_r(errno, ebuf, sizeof(ebuf)));
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	*data = buf;
	*len = used;
	buf = NULL;
	rc = PL_OK;
out:
	if (buf != NULL)
		OPENSSL_clear_free(buf, cap);
	if (fd >= 0)
		close(fd);
	return rc;
}
