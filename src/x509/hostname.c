/*
 * Does a certificate cover a host? RFC 6125 6.4 as browsers apply it:
 * subjectAltName entries only (the subject CN is never used), a wildcard
 * only as the whole left-most label, IP literals against iPAddress SANs.
 * libcrypto does the matching; this file makes sure what it is given
 * means what the caller meant.
 */
#include <arpa/inet.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "x509/x509_internal.h"

/* True when s is an IPv4 or IPv6 literal. */
static bool is_ip_literal(const char *s)
{
	unsigned char addr[16];

	return inet_pton(AF_INET, s, addr) == 1 ||
	       inet_pton(AF_INET6, s, addr) == 1;
}

bool pl_x509_host_prepare(const char *host, char *buf, size_t cap,
			  bool *is_ip)
{
	unsigned char addr[16];
	bool bracketed;
	size_t n, i;

	if (host == NULL)
		return false;
	n = strlen(host);
	/* "[::1]", as a URL writes an IPv6 address. */
	bracketed = n >= 2 && host[0] == '[' && host[n - 1] == ']';
	if (bracketed) {
		host++;
		n -= 2;
	}
	if (n == 0 || n >= cap)
		return false;
	memcpy(buf, host, n);
	buf[n] = '\0';
	if (bracketed) {
		/* Brackets hold an IPv6 address and nothing else. */
		*is_ip = true;
		return inet_pton(AF_INET6, buf, addr) == 1;
	}
	if (is_ip_literal(buf)) {
		*is_ip = true;
		return true;
	}
	*is_ip = false;
	/* "example.com." is the same name as "example.com" (absolute form);
	 * certificates never carry the dot. */
	if (n > 1 && buf[n - 1] == '.')
		buf[--n] = '\0';
	/* libcrypto reads a leading dot as "any subdomain of": a host name
	 * never starts with one. A '*' would be matched as a wildcard. */
	if (buf[0] == '.')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch <= 0x20 || ch >= 0x7f || ch == '*')
			return false;
	}
	return true;
}

bool pl_x509_chain_covers(const pl_x509_chain_t *c, const char *host)
{
	char name[256];
	bool is_ip, covered;
	X509 *leaf;

	if (c == NULL || c->count == 0 ||
	    !pl_x509_host_prepare(host, name, sizeof(name), &is_ip))
		return false;
	leaf = c->entries[0].x509;
	if (is_ip)
		covered = X509_check_ip_asc(leaf, name, 0) == 1;
	else
		covered = X509_check_host(leaf, name, strlen(name),
					  PL_X509_HOST_FLAGS, NULL) == 1;
	ERR_clear_error();
	return covered;
}
