/*
 * HTTPS Everywhere (src/http/redirect.c): exact redirect targets for every
 * kind of request that can reach port 80, through the real parser.
 */
#include "http/serve_test.h"

#define NOW 1700000000

/* Redirects raw for https_port, with default_host, into reply. */
static void redirect(const char *raw, const char *default_host, int port,
		     pl_http_reply_t *reply)
{
	request_t r = request_parse(raw);
	int ret = pl_http_redirect(r.req, default_host, port, NOW, "padlock",
				   reply);

	CHECK_MSG(ret == PL_OK, "pl_http_redirect: %d for %s", ret, raw);
	request_free(&r);
}

/* The redirect for raw is status to location, with every field a
 * redirect has. */
static void check_redirect(const char *raw, const char *default_host, int port,
			   int status, const char *location)
{
	pl_http_reply_t reply;
	size_t body_len;
	const char *body;

	pl_http_reply_init(&reply);
	redirect(raw, default_host, port, &reply);
	CHECK_MSG(reply.status == status && reply_status_line(&reply) == status,
		  "%s: %d", raw, reply.status);
	CHECK_HEADER(&reply, "Location", location);
	CHECK_HEADER(&reply, "Connection", "close");
	CHECK_HEADER(&reply, "Content-Type", "text/html; charset=utf-8");
	CHECK_HEADER(&reply, "Server", "padlock");
	CHECK_HEADER(&reply, "Date", "Tue, 14 Nov 2023 22:13:20 GMT");
	/* RFC 6797 7.2: never over plain HTTP */
	CHECK_HEADER(&reply, "Strict-Transport-Security", NULL);
	CHECK(reply.close);
	CHECK_EQ_INT(reply.file_fd, -1);
	body = reply_body(&reply, &body_len);
	if (strncmp(raw, "HEAD ", 5) == 0)
		CHECK(body != NULL && body_len == 0);
	else
		CHECK(body != NULL && body_len > 0 && body_len < 512 &&
		      reply.body_bytes == body_len);
	pl_http_reply_free(&reply);
}

static void get_and_head_get_301_to_the_same_url(void)
{
	check_redirect("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", NULL, 443,
		       301, "https://example.com/");
	check_redirect("GET /a/b.html?c=d&e HTTP/1.1\r\nHost: example.com\r\n\r\n",
		       NULL, 443, 301, "https://example.com/a/b.html?c=d&e");
	check_redirect("HEAD /a HTTP/1.1\r\nHost: example.com\r\n\r\n", NULL, 443,
		       301, "https://example.com/a");
	/* the path and query exactly as sent: escapes, dots and all */
	check_redirect("GET /a/%2e%2e/b%20c/?x=%20&y=/z HTTP/1.1\r\nHost: example.com\r\n\r\n",
		       NULL, 443, 301, "https://example.com/a/%2e%2e/b%20c/?x=%20&y=/z");
	check_redirect("GET /a? HTTP/1.1\r\nHost: example.com\r\n\r\n", NULL, 443,
		       301, "https://example.com/a?");
	check_redirect("GET /?? HTTP/1.1\r\nHost: example.com\r\n\r\n", NULL, 443,
		       301, "https://example.com/??");
}

static void other_methods_get_308(void)
{
	check_redirect("POST /form HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n\r\n",
		       NULL, 443, 308, "https://example.com/form");
	check_redirect("PUT /x HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\n\r\n",
		       NULL, 443, 308, "https://example.com/x");
	check_redirect("DELETE /x?y HTTP/1.1\r\nHost: example.com\r\n\r\n", NULL,
		       443, 308, "https://example.com/x?y");
	check_redirect("OPTIONS /x HTTP/1.1\r\nHost: example.com\r\n\r\n", NULL,
		       443, 308, "https://example.com/x");
}

static void https_port_is_named_when_not_443(void)
{
	check_redirect("GET /p?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n", NULL,
		       8443, 301, "https://example.com:8443/p?q=1");
	/* the port of Host is the plain-HTTP one: dropped */
	check_redirect("GET /p HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", NULL,
		       443, 301, "https://example.com/p");
	check_redirect("GET /p HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", NULL,
		       8443, 301, "https://example.com:8443/p");
	check_redirect("GET / HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n", NULL, 1,
		       301, "https://127.0.0.1:1/");
	check_redirect("GET / HTTP/1.1\r\nHost: a\r\n\r\n", NULL, 65535, 301,
		       "https://a:65535/");
}

static void ipv6_hosts_keep_their_brackets(void)
{
	check_redirect("GET /x HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", NULL, 8443,
		       301, "https://[::1]:8443/x");
	check_redirect("GET /x HTTP/1.1\r\nHost: [2001:db8::7]\r\n\r\n", NULL, 443,
		       301, "https://[2001:db8::7]/x");
	/* a default host that is a bare IPv6 address gets them */
	check_redirect("GET /x HTTP/1.0\r\n\r\n", "::1", 443, 301,
		       "https://[::1]/x");
	check_redirect("GET /x HTTP/1.0\r\n\r\n", "[::1]", 8443, 301,
		       "https://[::1]:8443/x");
}

static void default_host_when_the_request_has_none(void)
{
	pl_http_reply_t reply;

	check_redirect("GET /x?y HTTP/1.0\r\n\r\n", "example.org", 443, 301,
		       "https://example.org/x?y");
	check_redirect("GET /x HTTP/1.0\r\n\r\n", "192.0.2.1", 8443, 301,
		       "https://192.0.2.1:8443/x");
	/* neither: 400, and no Location */
	pl_http_reply_init(&reply);
	redirect("GET /x HTTP/1.0\r\n\r\n", NULL, 443, &reply);
	CHECK_EQ_INT(reply.status, 400);
	CHECK_HEADER(&reply, "Location", NULL);
	CHECK(reply.close);
	redirect("GET /x HTTP/1.0\r\n\r\n", "", 443, &reply);
	CHECK_EQ_INT(reply.status, 400);
	/* a default host that could not go into a URL is not used */
	redirect("GET /x HTTP/1.0\r\n\r\n", "bad host", 443, &reply);
	CHECK_EQ_INT(reply.status, 400);
	redirect("GET /x HTTP/1.0\r\n\r\n", "evil.com/x", 443, &reply);
	CHECK_EQ_INT(reply.status, 400);
	redirect("GET /x HTTP/1.0\r\n\r\n", "a\r\nSet-Cookie: x", 443, &reply);
	CHECK_EQ_INT(reply.status, 400);
	redirect("GET /x HTTP/1.0\r\n\r\n", "[example.com]", 443, &reply);
	CHECK_EQ_INT(reply.status, 400);
	pl_http_reply_free(&reply);
}

static void absolute_form_uses_its_own_authority_and_path(void)
{
	check_redirect("GET http://other.example/p?q HTTP/1.1\r\nHost: example.com\r\n\r\n",
		       NULL, 443, 301, "https://other.example/p?q");
	check_redirect("GET http://other.example:8080/p HTTP/1.1\r\nHost: other.example:8080\r\n\r\n",
		       NULL, 8443, 301, "https://other.example:8443/p");
	check_redirect("GET http://h HTTP/1.1\r\nHost: h\r\n\r\n", NULL, 443, 301,
		       "https://h/");
	check_redirect("GET http://h?x=1 HTTP/1.1\r\nHost: h\r\n\r\n", NULL, 443,
		       301, "https://h/?x=1");
	check_redirect("POST http://[::1]:80/f HTTP/1.1\r\nHost: [::1]\r\nContent-Length: 0\r\n\r\n",
		       NULL, 443, 308, "https://[::1]/f");
}

static void no_path_targets_are_400(void)
{
	pl_http_reply_t reply;

	pl_http_reply_init(&reply);
	redirect("OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n", NULL, 443, &reply);
	CHECK_EQ_INT(reply.status, 400);
	CHECK(reply.close);
	CHECK_HEADER(&reply, "Location", NULL);
	redirect("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
		 NULL, 443, &reply);
	CHECK_EQ_INT(reply.status, 400);
	pl_http_reply_free(&reply);
}

static void acme_challenges_are_reserved(void)
{
	pl_http_reply_t reply;

	pl_http_reply_init(&reply);
	redirect("GET /.well-known/acme-challenge/tok3n HTTP/1.1\r\nHost: example.com\r\n\r\n",
		 NULL, 443, &reply);
	CHECK_EQ_INT(reply.status, 404);
	CHECK_HEADER(&reply, "Location", NULL);
	CHECK_HEADER(&reply, "Strict-Transport-Security", NULL);
	CHECK(reply.close);
	redirect("GET /.well-known/acme-challenge HTTP/1.1\r\nHost: example.com\r\n\r\n",
		 NULL, 443, &reply);
	CHECK_EQ_INT(reply.status, 404);
	redirect("GET http://example.com/.well-known/acme-challenge/x HTTP/1.1\r\nHost: example.com\r\n\r\n",
		 NULL, 443, &reply);
	CHECK_EQ_INT(reply.status, 404);
	pl_http_reply_free(&reply);
	/* the rest of .well-known is redirected */
	check_redirect("GET /.well-known/security.txt HTTP/1.1\r\nHost: example.com\r\n\r\n",
		       NULL, 443, 301, "https://example.com/.well-known/security.txt");
	check_redirect("GET /.well-known/acme-challengex HTTP/1.1\r\nHost: example.com\r\n\r\n",
		       NULL, 443, 301, "https://example.com/.well-known/acme-challengex");
}

static void body_escapes_the_url(void)
{
	pl_http_reply_t reply;
	size_t body_len;
	const char *body;
	char *text;

	/* the parser lets '"', '<' and '>' through in a query */
	pl_http_reply_init(&reply);
	redirect("GET /?q=\"><script>alert(1)</script>&x='y' HTTP/1.1\r\nHost: example.com\r\n\r\n",
		 NULL, 443, &reply);
	CHECK_EQ_INT(reply.status, 301);
	CHECK_HEADER(&reply, "Location",
		     "https://example.com/?q=\"><script>alert(1)</script>&x='y'");
	body = reply_body(&reply, &body_len);
	CHECK(body != NULL);
	text = reply_text(&reply);
	body = strstr(text, "\r\n\r\n");
	CHECK(body != NULL && strstr(body, "<script>") == NULL);
	CHECK(body != NULL && strstr(body, "href=\"https://example.com/?q=&quot;&gt;&lt;script&gt;"
			   "alert(1)&lt;/script&gt;&amp;x=&#39;y&#39;\"") != NULL);
	free(text);
	pl_http_reply_free(&reply);
}

static void bad_arguments_are_refused(void)
{
	request_t r = request_parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
	pl_http_reply_t reply;

	pl_http_reply_init(&reply);
	CHECK(pl_http_redirect(r.req, NULL, 0, NOW, NULL, &reply) == PL_ERR_ARG);
	CHECK(pl_http_redirect(r.req, NULL, 65536, NOW, NULL, &reply) == PL_ERR_ARG);
	CHECK(pl_http_redirect(NULL, NULL, 443, NOW, NULL, &reply) == PL_ERR_ARG);
	CHECK(pl_http_redirect(r.req, NULL, 443, NOW, NULL, NULL) == PL_ERR_ARG);
	/* no Server header when none is given */
	CHECK(pl_http_redirect(r.req, NULL, 443, NOW, NULL, &reply) == PL_OK);
	CHECK_HEADER(&reply, "Server", NULL);
	pl_http_reply_free(&reply);
	request_free(&r);
}

/* pl_http_redirect_to: the given host, whatever the request names (a
 * server that redirects only its own names sends strangers there). */
static void redirect_to_ignores_the_requests_host(void)
{
	pl_http_reply_t reply;
	request_t r;

	r = request_parse("GET /a?b HTTP/1.1\r\nHost: evil.com\r\n\r\n");
	pl_http_reply_init(&reply);
	CHECK(pl_http_redirect_to(r.req, "example.com", 443, NOW, "padlock",
				  &reply) == PL_OK);
	CHECK_EQ_INT(reply.status, 301);
	CHECK_HEADER(&reply, "Location", "https://example.com/a?b");
	request_free(&r);
	/* the absolute-form authority is not kept either */
	r = request_parse("POST http://evil.com:80/f HTTP/1.1\r\nHost: evil.com\r\n"
			  "Content-Length: 0\r\n\r\n");
	CHECK(pl_http_redirect_to(r.req, "example.com", 8443, NOW, "padlock",
				  &reply) == PL_OK);
	CHECK_EQ_INT(reply.status, 308);
	CHECK_HEADER(&reply, "Location", "https://example.com:8443/f");
	/* a host that cannot go into a URL: 400, never a Location */
	CHECK(pl_http_redirect_to(r.req, "", 443, NOW, "padlock", &reply) == PL_OK);
	CHECK_EQ_INT(reply.status, 400);
	CHECK_HEADER(&reply, "Location", NULL);
	CHECK(pl_http_redirect_to(r.req, NULL, 443, NOW, "padlock", &reply) ==
	      PL_ERR_ARG);
	request_free(&r);
	pl_http_reply_free(&reply);
}

/* The host a request names, for site selection and the logs alike. */
static void request_host_prefers_the_absolute_target(void)
{
	static const struct {
		const char *raw, *host;
	} cases[] = {
		{"GET / HTTP/1.1\r\nHost: example.com:8443\r\n\r\n", "example.com"},
		{"GET / HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n", "[::1]"},
		/* RFC 9112 3.2.2: the target wins over Host */
		{"GET https://b.example:443/x HTTP/1.1\r\nHost: a.example\r\n\r\n",
		 "b.example"},
		{"GET http://[2001:db8::1]/ HTTP/1.1\r\nHost: a.example\r\n\r\n",
		 "[2001:db8::1]"},
		{"GET / HTTP/1.0\r\n\r\n", ""},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		request_t r = request_parse(cases[i].raw);
		pl_http_str_t h = pl_http_request_host(r.req);
		CHECK_MSG(h.len == strlen(cases[i].host) &&
				  memcmp(h.ptr, cases[i].host, h.len) == 0,
			  "%s: %.*s", cases[i].raw, (int)h.len, h.ptr);
		request_free(&r);
	}
}

int main(void)
{
	RUN(get_and_head_get_301_to_the_same_url);
	RUN(other_methods_get_308);
	RUN(https_port_is_named_when_not_443);
	RUN(ipv6_hosts_keep_their_brackets);
	RUN(default_host_when_the_request_has_none);
	RUN(absolute_form_uses_its_own_authority_and_path);
	RUN(no_path_targets_are_400);
	RUN(acme_challenges_are_reserved);
	RUN(body_escapes_the_url);
	RUN(bad_arguments_are_refused);
	RUN(redirect_to_ignores_the_requests_host);
	RUN(request_host_prefers_the_absolute_target);
	return test_finish();
}
