/* src/x509/ca_names.c: the names padlock cert issues certificates for. */
#include "padlock/x509.h"
#include "test.h"

static void accepts_and_normalizes_host_names_and_addresses(void)
{
	static const struct {
		const char *typed, *text;
		bool is_ip;
	} cases[] = {
		{ "localhost", "localhost", false },
		{ "MyApp.Test", "myapp.test", false },
		{ "myapp.test.", "myapp.test", false },
		{ "*.myapp.test", "*.myapp.test", false },
		{ "_acme-challenge.myapp.test", "_acme-challenge.myapp.test", false },
		{ "xn--bcher-kva.test", "xn--bcher-kva.test", false },
		{ "a-b.c1.test", "a-b.c1.test", false },
		{ "127.0.0.1", "127.0.0.1", true },
		{ "10.1.2.3", "10.1.2.3", true },
		{ "::1", "::1", true },
		{ "[::1]", "::1", true },
		{ "0:0:0:0:0:0:0:1", "::1", true },
		{ "2001:DB8::A", "2001:db8::a", true },
		{ "::ffff:192.0.2.1", "::ffff:192.0.2.1", true },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pl_x509_san_t san;
		int rc = pl_x509_san_parse(cases[i].typed, &san, err, sizeof(err));

		CHECK_MSG(rc == PL_OK, "%s: %s", cases[i].typed, err);
		CHECK_MSG(rc == PL_OK && strcmp(san.text, cases[i].text) == 0 &&
				  san.is_ip == cases[i].is_ip,
			  "%s -> %s", cases[i].typed, san.text);
	}
}

static void refuses_bad_names_with_a_sentence_that_says_why(void)
{
	static const struct {
		const char *typed, *says;
	} cases[] = {
		{ "", "an empty name" },
		{ "a..b", "has an empty label" },
		{ ".myapp.test", "has an empty label" },
		{ "-a.test", "starts or ends with '-'" },
		{ "a-.test", "starts or ends with '-'" },
		{ "f*o.test", "a wildcard must be the whole left-most label" },
		{ "a.*.test", "a wildcard must be the whole left-most label" },
		{ "*.*.test", "a wildcard must be the whole left-most label" },
		{ "**.a.test", "a wildcard must be the whole left-most label" },
		{ "*.test", "a wildcard for a whole top-level domain" },
		{ "*", "a wildcard for a whole top-level domain" },
		{ "bad name", "neither an IP address nor a host name" },
		{ "user@host", "neither an IP address nor a host name" },
		{ "a/b", "neither an IP address nor a host name" },
		{ "[localhost]", "neither an IP address nor a host name" },
		{ "b\xc3\xbc" "cher.test", "xn--" },
		{ "256.1.1.1", "not a valid IPv4 address" },
		{ "1.2.3", "not a valid IPv4 address" },
		{ "1.2.3.4.5", "not a valid IPv4 address" },
		{ "01.2.3.4", "not a valid IPv4 address" },
		{ "::g", "not a valid IPv6 address" },
		{ "1:2:3:4:5:6:7:8:9", "not a valid IPv6 address" },
		{ "[::1", "not a valid IPv6 address" },
		{ "fe80::1%eth0", "IPv6 zone" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test",
		  "a label longer than 63" },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pl_x509_san_t san;
		int rc;

		err[0] = '\0';
		rc = pl_x509_san_parse(cases[i].typed, &san, err, sizeof(err));
		CHECK_MSG(rc == PL_ERR_ARG, "%s was accepted", cases[i].typed);
		CHECK_MSG(strstr(err, cases[i].says) != NULL, "%s: %s",
			  cases[i].typed, err);
		/* One sentence, no line break, the name quoted when there is
		 * one (escaped when it is not printable). */
		CHECK_MSG(strchr(err, '\n') == NULL, "%s", err);
		CHECK_MSG(cases[i].typed[0] == '\0' || strchr(err, '\'') != NULL,
			  "%s", err);
		CHECK_MSG(strstr(err, "\xc3") == NULL, "%s", err);
	}
}

static void refuses_names_longer_than_dns_allows(void)
{
	char name[300], err[256];
	pl_x509_san_t san;
	size_t len = 0;

	/* 4 labels of 63 + 3 dots = 255 > 253. */
	for (int label = 0; label < 4; label++) {
		if (label > 0)
			name[len++] = '.';
		memset(name + len, 'a', 63);
		len += 63;
	}
	name[len] = '\0';
	CHECK(pl_x509_san_parse(name, &san, err, sizeof(err)) == PL_ERR_ARG);
	CHECK_MSG(strstr(err, "longer than the 253") != NULL, "%s", err);
	/* 253 exactly is fine. */
	name[253] = '\0';
	CHECK_MSG(pl_x509_san_parse(name, &san, err, sizeof(err)) == PL_OK, "%s",
		  err);
}

int main(void)
{
	RUN(accepts_and_normalizes_host_names_and_addresses);
	RUN(refuses_bad_names_with_a_sentence_that_says_why);
	RUN(refuses_names_longer_than_dns_allows);
	return test_finish();
}
