/* src/x509/hostname.c: which hosts a certificate covers (RFC 6125). */
#include "padlock/x509.h"
#include "test.h"
#include "x509/fixtures.h"

static pl_x509_chain_t *load(const char *name)
{
	char err[256] = "";
	pl_x509_chain_t *c = pl_x509_chain_load_pem(fx(name), err, sizeof(err));

	CHECK_MSG(c != NULL, "%s: %s", name, err);
	return c;
}

static void covers_dns_and_ip_subject_alt_names(void)
{
	pl_x509_chain_t *c = load("fullchain.pem");

	CHECK(pl_x509_chain_covers(c, "localhost"));
	CHECK(pl_x509_chain_covers(c, "LocalHost"));
	CHECK(pl_x509_chain_covers(c, "localhost.")); /* absolute form */
	CHECK(pl_x509_chain_covers(c, "127.0.0.1"));
	CHECK(pl_x509_chain_covers(c, "::1"));
	CHECK(pl_x509_chain_covers(c, "[::1]"));
	CHECK(pl_x509_chain_covers(c, "0:0:0:0:0:0:0:1"));
	CHECK(!pl_x509_chain_covers(c, "127.0.0.2"));
	CHECK(!pl_x509_chain_covers(c, "::2"));
	CHECK(!pl_x509_chain_covers(c, "example.com"));
	CHECK(!pl_x509_chain_covers(c, "localhost.localdomain"));
	CHECK(!pl_x509_chain_covers(c, "host.localhost"));
	pl_x509_chain_free(c);
}

static void wildcard_covers_exactly_one_left_most_label(void)
{
	pl_x509_chain_t *c = load("wild_chain.pem");

	CHECK(pl_x509_chain_covers(c, "a.example.test"));
	CHECK(pl_x509_chain_covers(c, "www.example.test"));
	CHECK(!pl_x509_chain_covers(c, "example.test"));
	CHECK(!pl_x509_chain_covers(c, "a.b.example.test"));
	CHECK(!pl_x509_chain_covers(c, "a.example.other"));
	/* The host is a name, never a pattern. */
	CHECK(!pl_x509_chain_covers(c, "*.example.test"));
	/* libcrypto would read a leading dot as "any subdomain of". */
	CHECK(!pl_x509_chain_covers(c, ".example.test"));
	pl_x509_chain_free(c);
}

static void common_name_alone_covers_nothing(void)
{
	pl_x509_chain_t *c = load("cnonly_chain.pem");

	CHECK(!pl_x509_chain_covers(c, "cnonly.example.test"));
	pl_x509_chain_free(c);
}

static void odd_hosts_are_refused(void)
{
	pl_x509_chain_t *c = load("fullchain.pem");

	CHECK(!pl_x509_chain_covers(c, ""));
	CHECK(!pl_x509_chain_covers(c, NULL));
	CHECK(!pl_x509_chain_covers(c, "[]"));
	CHECK(!pl_x509_chain_covers(c, "[localhost]"));
	CHECK(!pl_x509_chain_covers(c, "[127.0.0.1]"));
	CHECK(!pl_x509_chain_covers(c, "local host"));
	CHECK(!pl_x509_chain_covers(c, "localhost\n"));
	CHECK(!pl_x509_chain_covers(c, "."));
	CHECK(!pl_x509_chain_covers(NULL, "localhost"));
	pl_x509_chain_free(c);
}

int main(void)
{
	fx_setup();
	RUN(covers_dns_and_ip_subject_alt_names);
	RUN(wildcard_covers_exactly_one_left_most_label);
	RUN(common_name_alone_covers_nothing);
	RUN(odd_hosts_are_refused);
	fx_teardown();
	return test_finish();
}
