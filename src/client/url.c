/*
 * URL parsing for padlock get: https://host[:port][/path][?query][#fragment]
 * (RFC 3986 3, restricted to what an HTTPS GET needs).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client/client_internal.h"
#include "padlock/client.h"

#define DEFAULT_HTTPS_PORT 443

/* Spaces and control characters must be percent-encoded in a URL. */
static int check_characters(const char *url, char *err, size_t err_len)
{
	for (const char *p = url; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch <= 0x20 || ch == 0x7f)
			return pl_client_fail(err, err_len, PL_ERR_ARG,
				"the URL contains a space or a control character "
				"at offset %zu; percent-encode it (%%20 for a space)",
				(size_t)(p - url));
	}
	return PL_OK;
}

/* Skips "https://"; refuses other schemes. A URL without a scheme is taken
 * as https. *rest points after the scheme. */
static int parse_scheme(const char *url, const char **rest, char *err,
			size_t err_len)
{
	const char *sep = strstr(url, "://");
	size_t first_slash = strcspn(url, "/");

	*rest = url;
	if (sep == NULL || (size_t)(sep - url) > first_slash)
		return PL_OK;
	size_t len = (size_t)(sep - url);
	if (len == 5 && strncasecmp(url, "https", 5) == 0) {
		*rest = sep + 3;
		return PL_OK;
	}
	if (len == 4 && strncasecmp(url, "http", 4) == 0)
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"http:// URLs are not supported: padlock get speaks only "
			"HTTPS, so use https://%s", sep + 3);
	char quoted[64];
	pl_client_quote(url, len, quoted, sizeof quoted);
	return pl_client_fail(err, err_len, PL_ERR_ARG,
		"unsupported URL scheme '%s': padlock get fetches https:// URLs",
		quoted);
}

static bool is_host_char(unsigned char ch)
{
	return isalnum(ch) || ch == '-' || ch == '.' || ch == '_';
}

/* "[v6]" at the start of the authority: the address must parse (zone IDs
 * such as %25eth0 are not supported). *end points after the ']'. */
static int parse_ipv6_host(const char *auth, size_t auth_len,
			   pl_client_url_t *out, const char **end, char *err,
			   size_t err_len)
{
	const char *close = memchr(auth, ']', auth_len);
	struct in6_addr addr;

	if (close == NULL)
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"the URL's IPv6 address has no closing ']'");
	size_t len = (size_t)(close - auth - 1);
	if (len == 0 || len >= sizeof out->host)
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"the URL's IPv6 address is empty or too long");
	memcpy(out->host, auth + 1, len);
	out->host[len] = '\0';
	if (inet_pton(AF_INET6, out->host, &addr) != 1)
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"'%s' in the URL is not a valid IPv6 address", out->host);
	out->host_is_ip = true;
	*end = close + 1;
	return PL_OK;
}

/* A DNS name or an IPv4 literal, up to ':' or the end of the authority. */
static int parse_name_host(const char *auth, size_t auth_len,
			   pl_client_url_t *out, const char **end, char *err,
			   size_t err_len)
{
	const char *colon = memchr(auth, ':', auth_len);
	size_t len = colon != NULL ? (size_t)(colon - auth) : auth_len;
	struct in_addr addr;

	if (colon != NULL && memchr(colon + 1, ':', auth_len - len - 1) != NULL)
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"write an IPv6 address in brackets, as in "
			"https://[::1]:4433/");
	if (len == 0)
		return pl_client_fail(err, err_len, PL_ERR_ARG,
				      "the URL has no host name");
	if (len > 253)
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"the URL's host name is longer than 253 characters");
	for (size_t i = 0; i < len; i++) {
		if (!is_host_char((unsigned char)auth[i])) {
			char quoted[300];
			pl_client_quote(auth, len, quoted, sizeof quoted);
			return pl_client_fail(err, err_len, PL_ERR_ARG,
				"'%s' is not a valid host name", quoted);
		}
	}
	memcpy(out->host, auth, len);
	out->host[len] = '\0';
	out->host_is_ip = inet_pton(AF_INET, out->host, &addr) == 1;
	*end = auth + len;
	return PL_OK;
}

/* ":port" or nothing; an empty port means the default (RFC 3986 3.2.3). */
static int parse_port(const char *p, const char *end, pl_client_url_t *out,
		      char *err, size_t err_len)
{
	unsigned long port = 0;

	out->port = DEFAULT_HTTPS_PORT;
	if (p == end)
		return PL_OK;
	if (*p != ':')
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"unexpected text after the host name in the URL");
	p++;
	if (p == end)
		return PL_OK;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9' || port > 65535)
			return pl_client_fail(err, err_len, PL_ERR_ARG,
				"the URL's port is not a number from 1 to 65535");
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port == 0 || port > 65535)
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"the URL's port is not a number from 1 to 65535");
	out->port = (uint16_t)port;
	return PL_OK;
}

static int parse_authority(const char *auth, size_t len, pl_client_url_t *out,
			   char *err, size_t err_len)
{
	const char *host_end = NULL;
	int rc;

	if (memchr(auth, '@', len) != NULL)
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"credentials in the URL (user@host) are not supported");
	if (len > 0 && auth[0] == '[')
		rc = parse_ipv6_host(auth, len, out, &host_end, err, err_len);
	else
		rc = parse_name_host(auth, len, out, &host_end, err, err_len);
	if (rc != PL_OK)
		return rc;
	return parse_port(host_end, auth + len, out, err, err_len);
}

/* The request target: path and query, without the fragment; "/" if none. */
static int parse_path(const char *p, pl_client_url_t *out, char *err,
		      size_t err_len)
{
	size_t len = strcspn(p, "#");
	const char *prefix = (len > 0 && p[0] == '?') ? "/" : "";
	int n;

	if (len == 0) {
		snprintf(out->path, sizeof out->path, "/");
		return PL_OK;
	}
	if (len > sizeof out->path - 2)
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"the URL's path is longer than %zu characters",
			sizeof out->path - 2);
	n = snprintf(out->path, sizeof out->path, "%s%.*s", prefix, (int)len, p);
	if (n < 0)
		return pl_client_fail(err, err_len, PL_ERR_ARG,
				      "the URL's path cannot be copied");
	return PL_OK;
}

static void make_authority(pl_client_url_t *out)
{
	bool v6 = strchr(out->host, ':') != NULL;
	char port[8] = "";

	if (out->port != DEFAULT_HTTPS_PORT)
		snprintf(port, sizeof port, ":%u", (unsigned)out->port);
	snprintf(out->authority, sizeof out->authority, "%s%s%s%s",
		 v6 ? "[" : "", out->host, v6 ? "]" : "", port);
}

int pl_client_parse_url(const char *url, pl_client_url_t *out, char *err,
			size_t err_len)
{
	const char *rest = NULL;
	int rc;

	if (url == NULL || out == NULL)
		return pl_client_fail(err, err_len, PL_ERR_ARG, "no URL given");
	memset(out, 0, sizeof *out);
	rc = check_characters(url, err, err_len);
	if (rc != PL_OK)
		return rc;
	rc = parse_scheme(url, &rest, err, err_len);
	if (rc != PL_OK)
		return rc;
	size_t auth_len = strcspn(rest, "/?#");
	rc = parse_authority(rest, auth_len, out, err, err_len);
	if (rc != PL_OK)
		return rc;
	rc = parse_path(rest + auth_len, out, err, err_len);
	if (rc != PL_OK)
		return rc;
	make_authority(out);
	return PL_OK;
}
