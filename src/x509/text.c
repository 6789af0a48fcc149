/*
 * Certificates in words: names, SAN lists, dates and keys as people read
 * them in padlock's messages. Everything here comes from a certificate a
 * stranger made, so every byte that reaches the text is escaped unless it
 * is printable ASCII.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "x509/x509_internal.h"

/* Text written into a fixed buffer; once something does not fit, the text
 * ends in "..." and later appends are dropped. */
typedef struct {
	char *buf;
	size_t cap;
	size_t len;
	bool full;
} text_t;

static void text_init(text_t *t, char *buf, size_t cap)
{
	t->buf = buf;
	t->cap = cap;
	t->len = 0;
	t->full = cap == 0;
	if (cap > 0)
		buf[0] = '\0';
}

static void text_put(text_t *t, const char *s, size_t n)
{
	size_t keep;

	if (t->full)
		return;
	if (t->len + n < t->cap) {
		memcpy(t->buf + t->len, s, n);
		t->len += n;
		t->buf[t->len] = '\0';
		return;
	}
	t->full = true;
	if (t->cap < 4)
		return;
	/* Keep what fits, leaving room for the "..." that says text is cut. */
	keep = t->cap - 4;
	if (t->len < keep)
		memcpy(t->buf + t->len, s, keep - t->len);
	memcpy(t->buf + keep, "...", 4);
	t->len = keep + 3;
}

static void text_str(text_t *t, const char *s)
{
	text_put(t, s, strlen(s));
}

/* Appends bytes from a certificate, escaping all but printable ASCII. */
static void text_escaped(text_t *t, const unsigned char *p, size_t n)
{
	char hex[5];
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
			text_put(t, (const char *)&p[i], 1);
		} else {
			snprintf(hex, sizeof(hex), "\\x%02x", p[i]);
			text_put(t, hex, 4);
		}
	}
}

void pl_x509_escape(const char *s, char *buf, size_t cap)
{
	text_t t;

	text_init(&t, buf, cap);
	text_escaped(&t, (const unsigned char *)s, strlen(s));
}

void pl_x509_name_text(const X509_NAME *name, char *buf, size_t cap)
{
	/* RFC 2253 escaping (control and non-ASCII bytes as \XX), most
	 * specific part first, ", " between parts for reading. */
	unsigned long flags = (XN_FLAG_RFC2253 & ~XN_FLAG_SEP_MASK) |
			      XN_FLAG_SEP_CPLUS_SPC;
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;
	text_t t;

	text_init(&t, buf, cap);
	if (bio == NULL || name == NULL)
		goto out;
	if (X509_NAME_print_ex(bio, name, 0, flags) < 0)
		goto out;
	n = BIO_get_mem_data(bio, &data);
	if (n > 0 && data != NULL)
		text_put(&t, data, (size_t)n);
out:
	BIO_free(bio);
	ERR_clear_error();
}

/* Appends one GENERAL_NAME, a DNS name or an IP address. */
static void text_general_name(text_t *t, const GENERAL_NAME *gn)
{
	char ip[INET6_ADDRSTRLEN];
	const ASN1_STRING *s;
	int len;

	if (gn->type == GEN_DNS) {
		s = gn->d.dNSName;
		text_escaped(t, ASN1_STRING_get0_data(s),
			     (size_t)ASN1_STRING_length(s));
		return;
	}
	s = gn->d.iPAddress;
	len = ASN1_STRING_length(s);
	if ((len == 4 && inet_ntop(AF_INET, ASN1_STRING_get0_data(s), ip,
				   sizeof(ip)) != NULL) ||
	    (len == 16 && inet_ntop(AF_INET6, ASN1_STRING_get0_data(s), ip,
				    sizeof(ip)) != NULL))
		text_str(t, ip);
	else
		text_str(t, "(malformed IP address)");
}

/* Appends the DNS and IP SANs of x; at most max of them (0: all). Returns
 * how many it appended. */
static int text_sans(text_t *t, X509 *x, int max)
{
	GENERAL_NAMES *names;
	const GENERAL_NAME *gn;
	int i, shown = 0;

	names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
		if (max > 0 && shown == max)
			break;
		gn = sk_GENERAL_NAME_value(names, i);
		if (gn->type != GEN_DNS && gn->type != GEN_IPADD)
			continue;
		if (shown > 0)
			text_str(t, ", ");
		text_general_name(t, gn);
		shown++;
	}
	GENERAL_NAMES_free(names);
	ERR_clear_error();
	return shown;
}

void pl_x509_san_text(X509 *x, char *buf, size_t cap)
{
	text_t t;

	text_init(&t, buf, cap);
	text_sans(&t, x, 0);
}

/* Appends the subject's first CN; returns whether there was one. */
static bool text_common_name(text_t *t, X509 *x)
{
	const X509_NAME *subject = X509_get_subject_name(x);
	const X509_NAME_ENTRY *e;
	int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
	unsigned char *utf8 = NULL;
	int n;

	if (i < 0)
		return false;
	e = X509_NAME_get_entry(subject, i);
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
	if (n < 0) {
		ERR_clear_error();
		return false;
	}
	text_escaped(t, utf8, (size_t)n);
	OPENSSL_free(utf8);
	return true;
}

void pl_x509_short_name(X509 *x, char *buf, size_t cap)
{
	text_t t;

	text_init(&t, buf, cap);
	if (text_sans(&t, x, 1) > 0 || text_common_name(&t, x))
		return;
	pl_x509_name_text(X509_get_subject_name(x), buf, cap);
	if (buf[0] == '\0')
		snprintf(buf, cap, "(unnamed)");
}

void pl_x509_date_text(const ASN1_TIME *t, char *buf, size_t cap)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(buf, cap, "%Y-%m-%d", &tm) == 0) {
		ERR_clear_error();
		snprintf(buf, cap, "an unreadable date");
	}
}

int pl_x509_time_to_epoch(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
		ERR_clear_error();
		return PL_ERR_DECODE;
	}
	*out = timegm(&tm);
	return PL_OK;
}

/* "P-256" for an EC key on a NIST curve, else the curve's own name. */
static void curve_text(const EVP_PKEY *pk, char *buf, size_t cap)
{
	char group[64];
	const char *nist;
	size_t len = 0;

	if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
					   group, sizeof(group), &len) != 1) {
		ERR_clear_error();
		snprintf(buf, cap, "(unknown curve)");
		return;
	}
	nist = EC_curve_nid2nist(OBJ_sn2nid(group));
	snprintf(buf, cap, "%s", nist != NULL ? nist : group);
}

void pl_x509_pkey_text(const EVP_PKEY *pk, char *buf, size_t cap)
{
	const char *type;
	char curve[64];

	if (pk == NULL) {
		snprintf(buf, cap, "unreadable key");
		return;
	}
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		snprintf(buf, cap, "RSA %d", EVP_PKEY_get_bits(pk));
		break;
	case EVP_PKEY_RSA_PSS:
		snprintf(buf, cap, "RSA-PSS %d", EVP_PKEY_get_bits(pk));
		break;
	case EVP_PKEY_EC:
		curve_text(pk, curve, sizeof(curve));
		snprintf(buf, cap, "ECDSA %s", curve);
		break;
	case EVP_PKEY_ED25519:
		snprintf(buf, cap, "Ed25519");
		break;
	case EVP_PKEY_ED448:
		snprintf(buf, cap, "Ed448");
		break;
	default:
		type = EVP_PKEY_get0_type_name(pk);
		snprintf(buf, cap, "%s %d", type != NULL ? type : "unknown key",
			 EVP_PKEY_get_bits(pk));
		break;
	}
}

void pl_x509_key_text(X509 *x, char *buf, size_t cap)
{
	pl_x509_pkey_text(X509_get0_pubkey(x), buf, cap);
	ERR_clear_error();
}
