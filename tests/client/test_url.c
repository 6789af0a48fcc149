/* Tests of src/client/url.c and src/client/names.c: what padlock get
 * accepts on its command line, and the sentence it gives for the rest. */
#include "padlock/client.h"
#include "test.h"

static pl_client_url_t url;
static char err[PL_CLIENT_ERR_MAX];

static int parse(const char *text)
{
	err[0] = '\0';
	return pl_client_parse_url(text, &url, err, sizeof err);
}

static void url_defaults_to_port_443_and_root_path(void)
{
	CHECK_EQ_INT(parse("https://example.com"), PL_OK);
	CHECK(strcmp(url.host, "example.com") == 0);
	CHECK_EQ_INT(url.port, 443);
	CHECK(strcmp(url.path, "/") == 0);
	CHECK(strcmp(url.authority, "example.com") == 0);
	CHECK(!url.host_is_ip);
}

static void url_keeps_port_path_and_query_and_drops_fragment(void)
{
	CHECK_EQ_INT(parse("HTTPS://localhost:4433/a/b?q=1#frag"), PL_OK);
	CHECK(strcmp(url.host, "localhost") == 0);
	CHECK_EQ_INT(url.port, 4433);
	CHECK(strcmp(url.path, "/a/b?q=1") == 0);
	CHECK(strcmp(url.authority, "localhost:4433") == 0);
}

static void url_query_without_path_gets_a_slash(void)
{
	CHECK_EQ_INT(parse("https://h?x=1"), PL_OK);
	CHECK(strcmp(url.path, "/?x=1") == 0);
}

static void url_accepts_ipv4_and_bracketed_ipv6_literals(void)
{
	CHECK_EQ_INT(parse("https://127.0.0.1:8443/"), PL_OK);
	CHECK(url.host_is_ip);
	CHECK(strcmp(url.host, "127.0.0.1") == 0);
	CHECK_EQ_INT(parse("https://[::1]:4433/x"), PL_OK);
	CHECK(url.host_is_ip);
	CHECK(strcmp(url.host, "::1") == 0);
	CHECK_EQ_INT(url.port, 4433);
	CHECK(strcmp(url.authority, "[::1]:4433") == 0);
	CHECK_EQ_INT(parse("https://[::1]/"), PL_OK);
	CHECK(strcmp(url.authority, "[::1]") == 0);
}

static void url_without_scheme_is_https(void)
{
	CHECK_EQ_INT(parse("localhost:4433/x"), PL_OK);
	CHECK_EQ_INT(url.port, 4433);
	CHECK(strcmp(url.path, "/x") == 0);
}

static void url_empty_port_means_default(void)
{
	CHECK_EQ_INT(parse("https://h:/"), PL_OK);
	CHECK_EQ_INT(url.port, 443);
}

static void url_rejects_http_with_a_sentence(void)
{
	CHECK_EQ_INT(parse("http://example.com/"), PL_ERR_ARG);
	CHECK(strstr(err, "http:// URLs are not supported") != NULL);
	CHECK(strstr(err, "https://example.com/") != NULL);
}

static void url_rejects_what_it_cannot_fetch(void)
{
	CHECK_EQ_INT(parse("ftp://example.com/"), PL_ERR_ARG);
	CHECK(strstr(err, "scheme 'ftp'") != NULL);
	CHECK_EQ_INT(parse("https://user:pw@example.com/"), PL_ERR_ARG);
	CHECK(strstr(err, "credentials") != NULL);
	CHECK_EQ_INT(parse("https://example.com:0/"), PL_ERR_ARG);
	CHECK_EQ_INT(parse("https://example.com:65536/"), PL_ERR_ARG);
	CHECK_EQ_INT(parse("https://example.com:99999999999999999999/"),
		     PL_ERR_ARG);
	CHECK_EQ_INT(parse("https://example.com:44a/"), PL_ERR_ARG);
	CHECK_EQ_INT(parse("https:///path"), PL_ERR_ARG);
	CHECK(strstr(err, "no host name") != NULL);
	CHECK_EQ_INT(parse("https://exa mple.com/"), PL_ERR_ARG);
	CHECK(strstr(err, "space") != NULL);
	CHECK_EQ_INT(parse("https://example.com/a\r\nX: y"), PL_ERR_ARG);
	CHECK_EQ_INT(parse("https://ex$ample.com/"), PL_ERR_ARG);
	CHECK_EQ_INT(parse("https://::1/"), PL_ERR_ARG);
	CHECK(strstr(err, "brackets") != NULL);
	CHECK_EQ_INT(parse("https://[::1/"), PL_ERR_ARG);
	CHECK_EQ_INT(parse("https://[not-v6]/"), PL_ERR_ARG);
	CHECK_EQ_INT(parse("https://[::1]x/"), PL_ERR_ARG);
}

static void url_rejects_an_over_long_path(void)
{
	static char long_url[8192];
	size_t n = (size_t)snprintf(long_url, sizeof long_url, "https://h/");

	memset(long_url + n, 'a', sizeof long_url - n - 1);
	long_url[sizeof long_url - 1] = '\0';
	CHECK_EQ_INT(parse(long_url), PL_ERR_ARG);
	CHECK(strstr(err, "longer than") != NULL);
}

static void names_map_suites_and_groups_to_code_points(void)
{
	uint16_t out[6];
	size_t n = 0;

	CHECK_EQ_INT(pl_client_parse_suites("TLS_CHACHA20_POLY1305_SHA256,"
					    "tls_aes_128_gcm_sha256", out, 4,
					    &n, err, sizeof err), PL_OK);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(out[0], PL_TLS_CHACHA20_POLY1305_SHA256);
	CHECK_EQ_INT(out[1], PL_TLS_AES_128_GCM_SHA256);
	CHECK_EQ_INT(pl_client_parse_groups("x25519,P-256,secp384r1", out, 4,
					    &n, err, sizeof err), PL_OK);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(out[0], PL_GROUP_X25519);
	CHECK_EQ_INT(out[1], PL_GROUP_SECP256R1);
	CHECK_EQ_INT(out[2], PL_GROUP_SECP384R1);
	CHECK_EQ_INT(pl_client_parse_groups("P-521,X448,ffdhe2048,ffdhe3072,"
					    "ffdhe4096,secp521r1", out, 6,
					    &n, err, sizeof err), PL_OK);
	CHECK_EQ_INT(n, 6);
	CHECK_EQ_INT(out[0], PL_GROUP_SECP521R1);
	CHECK_EQ_INT(out[1], PL_GROUP_X448);
	CHECK_EQ_INT(out[2], PL_GROUP_FFDHE2048);
	CHECK_EQ_INT(out[3], PL_GROUP_FFDHE3072);
	CHECK_EQ_INT(out[4], PL_GROUP_FFDHE4096);
	CHECK_EQ_INT(out[5], PL_GROUP_SECP521R1);
}

static void names_reject_unknown_and_empty_entries(void)
{
	uint16_t out[2];
	size_t n = 0;

	CHECK_EQ_INT(pl_client_parse_groups("x25519,ffdhe6144", out, 2, &n, err,
					    sizeof err), PL_ERR_ARG);
	CHECK(strstr(err, "unknown group 'ffdhe6144'") != NULL);
	CHECK(strstr(err, "x25519") != NULL);
	CHECK_EQ_INT(pl_client_parse_suites("", out, 2, &n, err, sizeof err),
		     PL_ERR_ARG);
	CHECK_EQ_INT(pl_client_parse_groups("x25519,,x25519", out, 2, &n, err,
					    sizeof err), PL_ERR_ARG);
	CHECK_EQ_INT(pl_client_parse_groups("x25519,x25519,x25519", out, 2, &n,
					    err, sizeof err), PL_ERR_ARG);
	CHECK(strstr(err, "too many") != NULL);
}

int main(void)
{
	RUN(url_defaults_to_port_443_and_root_path);
	RUN(url_keeps_port_path_and_query_and_drops_fragment);
	RUN(url_query_without_path_gets_a_slash);
	RUN(url_accepts_ipv4_and_bracketed_ipv6_literals);
	RUN(url_without_scheme_is_https);
	RUN(url_empty_port_means_default);
	RUN(url_rejects_http_with_a_sentence);
	RUN(url_rejects_what_it_cannot_fetch);
	RUN(url_rejects_an_over_long_path);
	RUN(names_map_suites_and_groups_to_code_points);
	RUN(names_reject_unknown_and_empty_entries);
	return test_finish();
}
