/* Tests src/server/acme/names.c: names a public CA issues for go to ACME,
 * the others to the local CA. */
#include "server/acme/acme.h"
#include "test.h"

static void public_names_go_to_acme(void)
{
	static const char *const yes[] = {
		"example.com", "www.example.org", "*.example.net", "a.b.c.co.uk",
		"8.8.8.8", "2001:4860:4860::8888", "xn--bcher-kva.example.de",
	};

	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		CHECK_MSG(pl_acme_publicly_issuable(yes[i]), "%s", yes[i]);
}

static void private_names_go_to_the_local_ca(void)
{
	static const char *const no[] = {
		"localhost", "LOCALHOST", "app.localhost", "*.localhost",
		"printer.local", "db.internal", "site.test", "a.example",
		"x.invalid", "nas.home.arpa", "intranet", "127.0.0.1",
		"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"169.254.1.1", "100.64.0.1", "::1", "fd00::1", "fe80::1",
		"::ffff:192.168.0.1", "0.0.0.0",
	};

	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		CHECK_MSG(!pl_acme_publicly_issuable(no[i]), "%s", no[i]);
	/* neighbours of the private ranges are public */
	CHECK(pl_acme_publicly_issuable("172.32.0.1"));
	CHECK(pl_acme_publicly_issuable("testing.com"));
	CHECK(pl_acme_publicly_issuable("local.example.com"));
}

int main(void)
{
	RUN(public_names_go_to_acme);
	RUN(private_names_go_to_the_local_ca);
	return test_finish();
}
