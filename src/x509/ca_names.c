/*
 * The names a certificate of the local CA is issued for, as a person types
 * them: DNS names (RFC 1034 3.5 labels, RFC 6125 6.4.3 wildcards) and IPv4
 * or IPv6 addresses. Each is checked here, before anything is created,
 * and refused with a sentence that says what is wrong with it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "x509/ca_internal.h"

#define DNS_NAME_MAX 253 /* RFC 1035 2.3.4, without the trailing dot */
#define LABEL_MAX 63

/* The name as typed, safe to print in a message, and short enough to leave
 * room for the sentence around it ("aaaa...aaa..."). */
#define SHOWN_MAX 80

static void quoted(const char *name, char *buf, size_t cap)
{
	pl_x509_escape(name, buf, cap);
}

/* True when s has only digits and dots: meant as an IPv4 address. */
static bool looks_like_ipv4(const char *s)
{
	return s[strspn(s, "0123456789.")] == '\0' && strchr(s, '.') != NULL;
}

static int parse_ip(const char *name, const char *text, pl_x509_san_t *san,
		    char *err, size_t err_len)
{
	uint8_t addr[16];
	char shown[SHOWN_MAX];

	quoted(name, shown, sizeof(shown));
	san->is_ip = true;
	if (inet_pton(AF_INET, text, addr) == 1) {
		inet_ntop(AF_INET, addr, san->text, sizeof(san->text));
		return PL_OK;
	}
	if (inet_pton(AF_INET6, text, addr) == 1) {
		inet_ntop(AF_INET6, addr, san->text, sizeof(san->text));
		return PL_OK;
	}
	if (strchr(text, '%') != NULL)
		pl_x509_set_err(err, err_len, "'%s': a certificate cannot name "
				"an IPv6 zone (the part from '%%'); give the "
				"address alone", shown);
	else if (strchr(text, ':') != NULL)
		pl_x509_set_err(err, err_len, "'%s' is not a valid IPv6 "
				"address", shown);
	else
		pl_x509_set_err(err, err_len, "'%s' is not a valid IPv4 "
				"address (four numbers from 0 to 255, like "
				"127.0.0.1)", shown);
	return PL_ERR_ARG;
}

/* One label of a DNS name: 1 to 63 letters, digits, '-' or '_', not
 * starting or ending with '-'. '_' is not in RFC 1123 host names but is
 * in DNS names people serve (_acme-challenge, dev_box), as mkcert
 * allows. */
static int check_label(const char *label, size_t len, const char *shown,
		       char *err, size_t err_len)
{
	if (len == 0) {
		pl_x509_set_err(err, err_len, "'%s' has an empty label (a dot "
				"at the start or two dots in a row)", shown);
		return PL_ERR_ARG;
	}
	if (len > LABEL_MAX) {
		pl_x509_set_err(err, err_len, "'%s' has a label longer than %d "
				"characters", shown, LABEL_MAX);
		return PL_ERR_ARG;
	}
	if (label[0] == '-' || label[len - 1] == '-') {
		pl_x509_set_err(err, err_len, "'%s' has a label that starts or "
				"ends with '-'", shown);
		return PL_ERR_ARG;
	}
	return PL_OK;
}

/* RFC 6125 6.4.3 as browsers apply it: '*' only as the whole left-most
 * label, and never directly over a top-level domain. */
static int check_wildcard(const char *text, const char *shown, char *err,
			  size_t err_len)
{
	const char *star = strchr(text, '*');
	const char *rest;

	if (star == NULL)
		return PL_OK;
	if (star != text || (text[1] != '.' && text[1] != '\0') ||
	    strchr(star + 1, '*') != NULL) {
		pl_x509_set_err(err, err_len, "'%s': a wildcard must be the "
				"whole left-most label, as in *.myapp.test",
				shown);
		return PL_ERR_ARG;
	}
	rest = text[1] == '.' ? text + 2 : "";
	if (strchr(rest, '.') == NULL) {
		pl_x509_set_err(err, err_len, "'%s': browsers refuse a wildcard "
				"for a whole top-level domain; add a label, as "
				"in *.myapp.test", shown);
		return PL_ERR_ARG;
	}
	return PL_OK;
}

/* The characters of a DNS name, lower-cased into san->text. */
static int copy_dns_chars(const char *text, size_t len, const char *shown,
			  pl_x509_san_t *san, char *err, size_t err_len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch >= 0x80) {
			pl_x509_set_err(err, err_len, "'%s': write an "
					"internationalized name in its ASCII "
					"form (xn--...)", shown);
			return PL_ERR_ARG;
		}
		if (!isalnum(ch) && ch != '-' && ch != '_' && ch != '.' &&
		    ch != '*') {
			pl_x509_set_err(err, err_len, "'%s' is neither an IP "
					"address nor a host name: a host name "
					"has only letters, digits, '-' and '_' "
					"between its dots", shown);
			return PL_ERR_ARG;
		}
		san->text[i] = (char)tolower(ch);
	}
	san->text[len] = '\0';
	return PL_OK;
}

static int parse_dns(const char *name, pl_x509_san_t *san, char *err,
		     size_t err_len)
{
	size_t len = strlen(name);
	char shown[SHOWN_MAX];
	const char *label;
	int rc;

	quoted(name, shown, sizeof(shown));
	san->is_ip = false;
	/* "myapp.test." is the absolute form of the same name. */
	if (len > 1 && name[len - 1] == '.')
		len--;
	if (len > DNS_NAME_MAX) {
		pl_x509_set_err(err, err_len, "'%s' is longer than the %d "
				"characters a DNS name can have", shown,
				DNS_NAME_MAX);
		return PL_ERR_ARG;
	}
	rc = copy_dns_chars(name, len, shown, san, err, err_len);
	if (rc == PL_OK)
		rc = check_wildcard(san->text, shown, err, err_len);
	for (label = san->text; rc == PL_OK; label++) {
		const char *dot = strchr(label, '.');
		size_t n = dot != NULL ? (size_t)(dot - label) : strlen(label);

		rc = check_label(label, n, shown, err, err_len);
		if (dot == NULL)
			break;
		label = dot;
	}
	return rc;
}

int pl_x509_san_parse(const char *name, pl_x509_san_t *san, char *err,
		      size_t err_len)
{
	char inner[64];
	size_t len;

	memset(san, 0, sizeof(*san));
	if (name == NULL || name[0] == '\0') {
		pl_x509_set_err(err, err_len, "an empty name is neither a host "
				"name nor an IP address");
		return PL_ERR_ARG;
	}
	len = strlen(name);
	/* "[::1]", as URLs write IPv6 addresses. */
	if (len > 2 && name[0] == '[' && name[len - 1] == ']' &&
	    len - 2 < sizeof(inner)) {
		memcpy(inner, name + 1, len - 2);
		inner[len - 2] = '\0';
		if (strchr(inner, ':') != NULL)
			return parse_ip(name, inner, san, err, err_len);
	}
	if (strchr(name, ':') != NULL || looks_like_ipv4(name))
		return parse_ip(name, name, san, err, err_len);
	return parse_dns(name, san, err, err_len);
}
