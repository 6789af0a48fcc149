/*
 * src/http/conninfo.c: the host a request names (Host without its port,
 * IPv6 literals kept whole) and the welcome page's text of a real chain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "padlock/http.h"
#include "padlock/x509.h"
#include "test.h"

static void host_of(const char *host, const char *want)
{
	pl_http_request_t req;
	size_t len;
	memset(&req, 0, sizeof(req));
	req.host.ptr = host;
	req.host.len = strlen(host);
	const char *got = pl_http_host_name(&req, &len);
	CHECK_MSG(len == strlen(want) && (len == 0 || memcmp(got, want, len) == 0),
		  "host of '%s': got '%.*s', want '%s'", host, (int)len,
		  got ? got : "", want);
}

static void host_name_drops_the_port_only(void)
{
	host_of("example.com", "example.com");
	host_of("example.com:8443", "example.com");
	host_of("[::1]:8443", "[::1]");
	host_of("[2001:db8::1]", "[2001:db8::1]");
	host_of("127.0.0.1:443", "127.0.0.1");
	host_of("", "");
}

static void chain_text_describes_each_certificate(void)
{
	char err[256], path[1024], *text[4];
	const char *src = getenv("PADLOCK_SOURCE_DIR");
	snprintf(path, sizeof(path), "%s/tests/fuzz/fixtures/p256-cert.pem",
		 src ? src : "..");
	pl_x509_chain_t *chain = pl_x509_chain_load_pem(path, err, sizeof(err));
	CHECK_MSG(chain != NULL, "%s", err);
	if (chain == NULL)
		return;
	size_t n = pl_http_chain_text(chain, text, 4);
	CHECK_EQ_INT(n, 1);
	if (n == 1) {
		CHECK_MSG(strstr(text[0], "subject: CN=fuzz.padlock.test\n") != NULL ||
			  strstr(text[0], "subject: CN = fuzz.padlock.test\n") != NULL,
			  "%s", text[0]);
		CHECK_MSG(strstr(text[0], "names: fuzz.padlock.test") != NULL,
			  "%s", text[0]);
		CHECK_MSG(strstr(text[0], "valid: 2026-11-26 to 2126-11-02") != NULL,
			  "%s", text[0]);
		free(text[0]);
	}
	CHECK_EQ_INT(pl_http_chain_text(chain, text, 0), 0);
	CHECK_EQ_INT(pl_http_chain_text(NULL, text, 4), 0);
	pl_x509_chain_free(chain);
}

int main(void)
{
	RUN(host_name_drops_the_port_only);
	RUN(chain_text_describes_each_certificate);
	return test_finish();
}
