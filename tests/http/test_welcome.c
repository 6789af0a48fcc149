/*
 * The welcome page (src/http/welcome.c): the visitor's connection shown in
 * elements with stable ids, every value HTML-escaped, nothing loaded from
 * elsewhere, never cached.
 */
#include "http/serve_int.h"
#include "http/serve_test.h"

#define NOW 1700000000

static const char *const chain[] = {
	"subject  CN=localhost\nissuer   CN=padlock local CA <root>\nnames    localhost, 127.0.0.1",
	"subject  CN=padlock local CA <root>\nissuer   CN=padlock local CA <root>",
};
static const char *const steps[] = {
	"ClientHello received: TLS 1.3, x25519 key share",
	"ServerHello sent: premaster secret from ephemeral x25519 & both randoms",
	"Finished received",
};
static const uint32_t step_us[] = {49, 12345, 950};

static pl_http_conninfo_t info(void)
{
	pl_http_conninfo_t c = {
		.peer = "203.0.113.7",
		.tls_version = "TLS 1.3",
		.suite = "TLS_AES_128_GCM_SHA256",
		.group = "x25519",
		.sigscheme = "ecdsa_secp256r1_sha256",
		.sni = "<b>evil</b>.example",
		.alpn = "http/1.1",
		.hello_retry = false,
		.chain_text = chain,
		.chain_len = 2,
		.step_text = steps,
		.step_us = step_us,
		.n_steps = 3,
	};
	return c;
}

static const pl_http_site_t welcome_site = {NULL, false, 63072000, "padlock", NULL};

/* Serves raw on the welcome site; returns the whole response as text (the
 * caller frees it). */
static char *serve(const char *raw, const pl_http_conninfo_t *c,
		   pl_http_reply_t *reply)
{
	request_t r = request_parse(raw);

	CHECK(pl_http_serve(&welcome_site, r.req, c, NOW, reply) == PL_OK);
	request_free(&r);
	return reply_text(reply);
}

static void page_shows_the_connection_in_elements_with_ids(void)
{
	pl_http_conninfo_t c = info();
	pl_http_reply_t reply;
	char *text;

	pl_http_reply_init(&reply);
	text = serve("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", &c, &reply);
	CHECK_EQ_INT(reply.status, 200);
	CHECK(strstr(text, "<code id=\"tls-version\">TLS 1.3</code>") != NULL);
	CHECK(strstr(text, "<code id=\"suite\">TLS_AES_128_GCM_SHA256</code>") != NULL);
	CHECK(strstr(text, "<code id=\"group\">x25519</code>") != NULL);
	CHECK(strstr(text, "<code id=\"sigscheme\">ecdsa_secp256r1_sha256</code>") != NULL);
	CHECK(strstr(text, "<code id=\"alpn\">http/1.1</code>") != NULL);
	CHECK(strstr(text, "<code id=\"hrr\">no</code>") != NULL);
	CHECK(strstr(text, "<code id=\"peer\">203.0.113.7</code>") != NULL);
	CHECK(strstr(text, "id=\"steps\"") != NULL);
	CHECK(strstr(text, "id=\"chain\"") != NULL);
	CHECK(strstr(text, "id=\"premaster\"") != NULL);
	CHECK(strstr(text, "id=\"exposed\"") != NULL);
	/* the article's account of the premaster secret, and what is not
	 * hidden */
	CHECK(strstr(text, "both sides derive it from an ephemeral (EC)DHE exchange") != NULL);
	CHECK(strstr(text, "forward secrecy") != NULL);
	CHECK(strstr(text, "What HTTPS does not hide") != NULL);
	CHECK(strstr(text, "Your IP address") != NULL);
	CHECK(strstr(text, "Sizes and timing") != NULL);
	CHECK(strstr(text, "How often") != NULL);
	/* each step with its time, in ms to a tenth */
	CHECK(strstr(text, "<span class=\"t\">0.0 ms</span><span>ClientHello received") != NULL);
	CHECK(strstr(text, "<span class=\"t\">12.3 ms</span>") != NULL);
	CHECK(strstr(text, "<span class=\"t\">1.0 ms</span><span>Finished received</span>") != NULL);
	pl_http_reply_free(&reply);
	free(text);
}

static void every_value_is_escaped(void)
{
	pl_http_conninfo_t c = info();
	pl_http_reply_t reply;
	char *text;

	c.suite = "\"'&<>";
	c.peer = "<img src=x onerror=alert(1)>";
	pl_http_reply_init(&reply);
	text = serve("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", &c, &reply);
	CHECK(strstr(text, "<code id=\"sni\">&lt;b&gt;evil&lt;/b&gt;.example</code>") != NULL);
	CHECK(strstr(text, "<code id=\"suite\">&quot;&#39;&amp;&lt;&gt;</code>") != NULL);
	CHECK(strstr(text, "<code id=\"peer\">&lt;img src=x onerror=alert(1)&gt;</code>") != NULL);
	CHECK(strstr(text, "CN=padlock local CA &lt;root&gt;\nissuer") != NULL);
	CHECK(strstr(text, "ephemeral x25519 &amp; both randoms") != NULL);
	CHECK(strstr(text, "<b>") == NULL);
	CHECK(strstr(text, "<root>") == NULL);
	CHECK(strstr(text, "<img") == NULL);
	pl_http_reply_free(&reply);
	free(text);
}

static void page_is_self_contained_and_never_cached(void)
{
	pl_http_conninfo_t c = info();
	pl_http_reply_t reply;
	char *text;
	const char *body;
	size_t body_len;
	char len[32];

	pl_http_reply_init(&reply);
	text = serve("GET /?from=test HTTP/1.1\r\nHost: localhost\r\n\r\n", &c, &reply);
	CHECK_EQ_INT(reply.status, 200);
	CHECK_HEADER(&reply, "Content-Type", "text/html; charset=utf-8");
	CHECK_HEADER(&reply, "Cache-Control", "no-store");
	CHECK_HEADER(&reply, "Strict-Transport-Security", "max-age=63072000");
	CHECK_HEADER(&reply, "X-Content-Type-Options", "nosniff");
	CHECK(reply_header(&reply, "Content-Security-Policy") != NULL &&
	      strncmp(reply_header(&reply, "Content-Security-Policy"),
		      "default-src 'none'", 18) == 0);
	body = reply_body(&reply, &body_len);
	snprintf(len, sizeof len, "%zu", body_len);
	CHECK_HEADER(&reply, "Content-Length", len);
	CHECK_EQ_INT(reply.body_bytes, body_len);
	CHECK_EQ_INT(reply.file_fd, -1);
	CHECK(body != NULL && strncmp(body, "<!doctype html>", 15) == 0);
	/* nothing from elsewhere, no script */
	CHECK(strstr(text, "<script") == NULL);
	CHECK(strstr(text, "src=") == NULL);
	CHECK(strstr(text, "<link") == NULL);
	CHECK(strstr(text, "url(") == NULL);
	CHECK(strstr(text, "@import") == NULL);
	CHECK(strstr(text, "http://") == NULL);
	CHECK(strstr(text, "https://") == NULL);
	CHECK(strstr(text, "</html>\n") != NULL);
	pl_http_reply_free(&reply);
	free(text);
}

static void head_has_the_same_length_and_no_body(void)
{
	pl_http_conninfo_t c = info();
	pl_http_reply_t reply;
	char *text, len[32];
	size_t body_len;

	pl_http_reply_init(&reply);
	text = serve("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", &c, &reply);
	snprintf(len, sizeof len, "%s", reply_header(&reply, "Content-Length"));
	free(text);
	text = serve("HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n", &c, &reply);
	CHECK_EQ_INT(reply.status, 200);
	CHECK_HEADER(&reply, "Content-Length", len);
	CHECK(reply_body(&reply, &body_len) != NULL && body_len == 0);
	CHECK_EQ_INT(reply.body_bytes, 0);
	pl_http_reply_free(&reply);
	free(text);
}

static void unknown_values_leave_empty_elements(void)
{
	pl_http_conninfo_t c = info();
	pl_http_reply_t reply;
	char *text;

	c.sni = "";
	c.alpn = "";
	c.hello_retry = true;
	c.chain_len = 0;
	c.n_steps = 0;
	pl_http_reply_init(&reply);
	text = serve("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", &c, &reply);
	CHECK(strstr(text, "<code id=\"sni\"></code>") != NULL);
	CHECK(strstr(text, "<code id=\"alpn\"></code>") != NULL);
	CHECK(strstr(text, "<code id=\"hrr\">yes</code>") != NULL);
	free(text);
	/* no connection information at all */
	text = serve("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", NULL, &reply);
	CHECK_EQ_INT(reply.status, 200);
	CHECK(strstr(text, "<code id=\"tls-version\"></code>") != NULL);
	CHECK(strstr(text, "<code id=\"peer\"></code>") != NULL);
	pl_http_reply_free(&reply);
	free(text);
}

static void other_paths_and_methods_are_refused(void)
{
	pl_http_conninfo_t c = info();
	pl_http_reply_t reply;
	char *text;

	pl_http_reply_init(&reply);
	text = serve("GET /favicon.ico HTTP/1.1\r\nHost: localhost\r\n\r\n", &c, &reply);
	CHECK_EQ_INT(reply.status, 404);
	CHECK_HEADER(&reply, "Strict-Transport-Security", "max-age=63072000");
	free(text);
	text = serve("GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n", &c, &reply);
	CHECK_EQ_INT(reply.status, 404);
	free(text);
	text = serve("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n", &c, &reply);
	CHECK_EQ_INT(reply.status, 405);
	CHECK_HEADER(&reply, "Allow", "GET, HEAD");
	free(text);
	/* absolute-form of "/" is the page */
	text = serve("GET https://localhost HTTP/1.1\r\nHost: localhost\r\n\r\n", &c, &reply);
	CHECK_EQ_INT(reply.status, 200);
	pl_http_reply_free(&reply);
	free(text);
}

int main(void)
{
	RUN(page_shows_the_connection_in_elements_with_ids);
	RUN(every_value_is_escaped);
	RUN(page_is_self_contained_and_never_cached);
	RUN(head_has_the_same_length_and_no_body);
	RUN(unknown_values_leave_empty_elements);
	RUN(other_paths_and_methods_are_refused);
	return test_finish();
}
