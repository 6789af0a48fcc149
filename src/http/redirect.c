/*
 * HTTPS Everywhere: every request that comes over plain HTTP is sent to
 * the same URL over HTTPS (301 for GET and HEAD, 308 for the rest, so a
 * POST stays a POST), except the ACME http-01 challenges, which must be
 * answered over plain HTTP. No HSTS here: RFC 6797 8.1 has browsers ignore
 * it over plain HTTP, and 7.2 has servers not send it.
 */
#include <stdio.h>
#include <string.h>

#include "http/serve_int.h"

/* RFC 8555 8.3: http://DOMAIN/.well-known/acme-challenge/TOKEN */
#define ACME_PREFIX "/.well-known/acme-challenge/"

int pl_http_answer_redirect(pl_http_answer_t *a, int status,
			    const char *location)
{
	pl_http_buf_t body = PL_HTTP_BUF_INIT;
	pl_http_out_t o = pl_http_out_begin(&body);
	int ret;

	/* the URL is visible characters only, but a '"' or '<' in a query
	 * must not become markup */
	pl_http_out_str(&o, "<!doctype html>\n<title>");
	pl_http_out_dec(&o, (uint64_t)status);
	pl_http_out_str(&o, " ");
	pl_http_out_str(&o, pl_http_reason_phrase(status));
	pl_http_out_str(&o, "</title>\n<p>This page is at <a href=\"");
	pl_http_out_html_str(&o, location);
	pl_http_out_str(&o, "\">");
	pl_http_out_html_str(&o, location);
	pl_http_out_str(&o, "</a>.</p>\n");
	ret = pl_http_out_end(&o);
	if (ret == PL_OK) {
		pl_http_answer_field(a, "Location", location);
		pl_http_answer_field(a, "Content-Type", "text/html; charset=utf-8");
		pl_http_answer_field(a, "X-Content-Type-Options", "nosniff");
		ret = pl_http_answer_send(a, status, body.len, body.data, body.len);
	}
	pl_http_buf_free(&body);
	return ret;
}

static bool is_acme_challenge(pl_http_str_t path)
{
	size_t n = strlen(ACME_PREFIX);

	/* the directory itself too ("/.well-known/acme-challenge") */
	if (path.len == n - 1 && memcmp(path.ptr, ACME_PREFIX, n - 1) == 0)
		return true;
	return path.len >= n && memcmp(path.ptr, ACME_PREFIX, n) == 0;
}

/* The host of "host[:port]" or "[v6]:port". */
static pl_http_str_t host_without_port(pl_http_str_t h)
{
	const char *end;

	if (h.len > 0 && h.ptr[0] == '[') {
		end = memchr(h.ptr, ']', h.len);
		if (end != NULL)
			h.len = (size_t)(end - h.ptr) + 1;
		return h;
	}
	end = memchr(h.ptr, ':', h.len);
	if (end != NULL)
		h.len = (size_t)(end - h.ptr);
	return h;
}

/* The configured default host, as it goes into a URL: a reg-name, a
 * bracketed IPv6 literal, or a bare IPv6 address (then bracketed). 0 when
 * it is not usable (out gets nothing). */
static size_t default_host_for_url(const char *name, char *out, size_t cap)
{
	size_t n = name ? strlen(name) : 0;
	bool v6 = n > 0 && memchr(name, ':', n) != NULL;
	bool bracketed = n > 1 && name[0] == '[' && name[n - 1] == ']';

	if (n == 0 || n + 3 > cap || (bracketed && !v6))
		return 0;
	for (size_t i = bracketed; i < n - bracketed; i++) {
		uint8_t c = (uint8_t)name[i];
		bool ok = v6 ? pl_http_hex_value(c) >= 0 || c == ':' || c == '.'
			     : pl_http_is_regname_char(c);
		if (!ok)
			return 0;
	}
	if (v6 && !bracketed)
		return (size_t)snprintf(out, cap, "[%s]", name);
	memcpy(out, name, n + 1);
	return n;
}

/* https://HOST[:PORT] and the target from its path on: the path and
 * query exactly as received. */
static int build_location(pl_http_buf_t *loc, pl_http_str_t host, int port,
			  const pl_http_request_t *req, pl_http_str_t path)
{
	const char *target_end = req->target.ptr + req->target.len;
	pl_http_out_t o = pl_http_out_begin(loc);

	pl_http_out_str(&o, "https://");
	pl_http_out_put(&o, host.ptr, host.len);
	if (port != 443) {
		pl_http_out_str(&o, ":");
		pl_http_out_dec(&o, (uint64_t)port);
	}
	/* absolute-form "http://host" or "http://host?q": the path is "/" */
	if (path.len == 0)
		pl_http_out_str(&o, "/");
	pl_http_out_put(&o, path.ptr, (size_t)(target_end - path.ptr));
	pl_http_out_put(&o, "", 1); /* a C string for the field */
	return pl_http_out_end(&o);
}

pl_http_str_t pl_http_request_host(const pl_http_request_t *req)
{
	pl_http_str_t path, query, authority;

	/* RFC 9112 3.2.2: an absolute-form target's authority wins over Host */
	if (req->target_form == PL_HTTP_TARGET_ABSOLUTE) {
		pl_http_target_split(req->target, req->target_form, &path,
				     &query, &authority);
		return host_without_port(authority);
	}
	return host_without_port(req->host);
}

/* To fixed_host when given, else to the request's own host, else to
 * default_host. */
static int redirect(const pl_http_request_t *req, const char *fixed_host,
		    const char *default_host, int https_port, time_t now,
		    const char *server, pl_http_reply_t *reply)
{
	pl_http_buf_t loc = PL_HTTP_BUF_INIT;
	pl_http_str_t path, query, authority, host = {"", 0};
	char fallback[256];
	pl_http_answer_t a;
	int status, ret;

	if (req == NULL || reply == NULL || https_port < 1 || https_port > 65535)
		return PL_ERR_ARG;
	/* the connection is closed after the answer: the client's next
	 * request goes to the HTTPS port anyway */
	pl_http_answer_start(&a, req, now, server, -1, false, reply);
	/* "*" (OPTIONS) and authority-form (CONNECT) name no page */
	if (req->target_form != PL_HTTP_TARGET_ORIGIN &&
	    req->target_form != PL_HTTP_TARGET_ABSOLUTE)
		return pl_http_answer_error(&a, 400, "redirect: no path in the request-target");
	pl_http_target_split(req->target, req->target_form, &path, &query,
			     &authority);
	if (is_acme_challenge(path))
		return pl_http_answer_error(&a, 404, "redirect: ACME challenge path");

	if (fixed_host == NULL)
		host = pl_http_request_host(req);
	if (host.len == 0) {
		host.len = default_host_for_url(fixed_host ? fixed_host : default_host,
						fallback, sizeof fallback);
		host.ptr = fallback;
		if (host.len == 0)
			return pl_http_answer_error(&a, 400, "redirect: no Host and no default host");
	}
	/* RFC 9110 15.4.9: 308 keeps the method and body; 301 lets old
	 * clients turn a POST into a GET */
	status = pl_http_method_is(req, "GET") || pl_http_method_is(req, "HEAD")
			 ? 301
			 : 308;
	ret = build_location(&loc, host, https_port, req, path);
	if (ret == PL_OK)
		ret = pl_http_answer_redirect(&a, status, (const char *)loc.data);
	pl_http_buf_free(&loc);
	return ret;
}

int pl_http_redirect(const pl_http_request_t *req, const char *default_host,
		     int https_port, time_t now, const char *server,
		     pl_http_reply_t *reply)
{
	return redirect(req, NULL, default_host, https_port, now, server, reply);
}

int pl_http_redirect_to(const pl_http_request_t *req, const char *host,
			int https_port, time_t now, const char *server,
			pl_http_reply_t *reply)
{
	if (host == NULL)
		return PL_ERR_ARG;
	return redirect(req, host, NULL, https_port, now, server, reply);
}
