/*
 * Step 6 of padlock check: does plain HTTP send visitors to HTTPS, and does
 * HTTPS tell browsers to stay there? Port 80 (--http-port) must answer a
 * GET of the same path with a redirect to https://HOST[:PORT]/PATH, the
 * same host and path; the HTTPS answer (read by check_engine.c) must carry
 * Strict-Transport-Security with a max-age of at least six months.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check/check_internal.h"
#include "client/client_internal.h"

#define HSTS_MIN_AGE 15768000LL /* six months of 365 days, in seconds */
#define HEAD_MAX 16384

#define REDIRECT_FIX \
	"answer every request on port 80 with a 301 to the same URL on "     \
	"https: nginx 'server { listen 80; return 301 "                      \
	"https://$host$request_uri; }', Apache 'Redirect permanent / "       \
	"https://NAME/'; padlock serve does it on its --http-port"

#define HSTS_FIX \
	"send 'Strict-Transport-Security: max-age=63072000; "                 \
	"includeSubDomains' on every HTTPS response: nginx 'add_header "      \
	"Strict-Transport-Security \"max-age=63072000; includeSubDomains\" "  \
	"always;', Apache 'Header always set Strict-Transport-Security "      \
	"\"max-age=63072000; includeSubDomains\"'; padlock serve sends it by " \
	"default (--hsts)"

/* ---- HSTS (RFC 6797 6.1) --------------------------------------------------- */

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Reads a directive value (token or quoted-string) at p into out; returns
 * the position after it, or NULL when malformed. */
static const char *read_value(const char *p, char *out, size_t cap)
{
	size_t n = 0;

	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\0')
				return NULL;
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (n + 1 < cap)
				out[n++] = *p;
		}
		out[n] = '\0';
		return p + 1;
	}
	while (*p != '\0' && *p != ';' && *p != ' ' && *p != '\t') {
		if (n + 1 < cap)
			out[n++] = *p;
		p++;
	}
	out[n] = '\0';
	return p;
}

static bool parse_max_age(const char *s, long long *out)
{
	long long v = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
		if (v > (1LL << 40))
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return true;
}

bool check_parse_hsts(const char *value, long long *max_age,
		      bool *include_subdomains, bool *preload)
{
	const char *p = value;
	bool seen_age = false;

	*max_age = -1;
	*include_subdomains = *preload = false;
	while (*p != '\0') {
		char name[32], val[64] = "";
		size_t n = 0;

		p = skip_space(p);
		while (*p != '\0' && *p != '=' && *p != ';' && *p != ' ' &&
		       *p != '\t') {
			if (n + 1 < sizeof name)
				name[n++] = *p;
			p++;
		}
		name[n] = '\0';
		p = skip_space(p);
		if (*p == '=') {
			p = read_value(skip_space(p + 1), val, sizeof val);
			if (p == NULL)
				return false;
			p = skip_space(p);
		}
		if (*p != '\0' && *p != ';')
			return false;
		if (*p == ';')
			p++;
		if (strcasecmp(name, "max-age") == 0) {
			/* RFC 6797 6.1: each directive at most once. */
			if (seen_age || !parse_max_age(val, max_age))
				return false;
			seen_age = true;
		} else if (strcasecmp(name, "includeSubDomains") == 0) {
			*include_subdomains = true;
		} else if (strcasecmp(name, "preload") == 0) {
			*preload = true;
		}
	}
	return seen_age;
}

static void report_hsts(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	char shown[600];

	r->hsts_checked = run->https_answered;
	r->https_status = run->https_status;
	if (!run->https_answered) {
		check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_INFO, "hsts.unchecked",
			  -1, "", "HSTS was not checked: no HTTPS response could "
			  "be read (padlock reads it over TLS 1.2 or 1.3)");
		return;
	}
	if (!run->hsts_seen) {
		check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_WARNING, "hsts.missing",
			  -1, HSTS_FIX, "the HTTPS response (status %d) has no "
			  "Strict-Transport-Security header: a visitor who types "
			  "the name can be kept on plain HTTP by anyone on the "
			  "path", run->https_status);
		return;
	}
	r->hsts_present = true;
	pl_client_quote(run->hsts, strlen(run->hsts), shown, sizeof shown);
	if (!check_parse_hsts(run->hsts, &r->hsts_max_age,
			      &r->hsts_include_subdomains, &r->hsts_preload)) {
		r->hsts_max_age = -1;
		check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_WARNING, "hsts.invalid",
			  -1, HSTS_FIX, "Strict-Transport-Security '%s' is not "
			  "valid (RFC 6797 6.1), so browsers ignore it", shown);
		return;
	}
	if (r->hsts_max_age < HSTS_MIN_AGE)
		check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_WARNING, "hsts.short",
			  -1, HSTS_FIX, "HSTS max-age is %lld s (%lld days), less "
			  "than six months (%lld s)", r->hsts_max_age,
			  r->hsts_max_age / 86400, HSTS_MIN_AGE);
	else
		check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_OK, "hsts.ok", -1, "",
			  "HSTS is on: max-age %lld s (%lld days)",
			  r->hsts_max_age, r->hsts_max_age / 86400);
	check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_INFO,
		  r->hsts_include_subdomains ? "hsts.include-subdomains"
					     : "hsts.no-include-subdomains", -1,
		  "", "includeSubDomains is %s", r->hsts_include_subdomains
						 ? "set: every subdomain is "
						   "HTTPS-only too"
						 : "not set");
	check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_INFO,
		  r->hsts_preload ? "hsts.preload" : "hsts.no-preload", -1, "",
		  "preload is %s", r->hsts_preload
				       ? "set (the name may be submitted to "
					 "browsers' preload list)"
				       : "not set");
}

/* ---- the port-80 request -------------------------------------------------------- */

static bool send_all(int fd, const char *buf, size_t len, long long deadline)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return false;
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		long long left = deadline - pl_client_now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return false;
	}
	return true;
}

/* Reads until the end of the head, the peer's close, HEAD_MAX bytes or the
 * deadline; the bytes read, NUL-terminated, in buf. */
static size_t read_head(int fd, char *buf, long long deadline)
{
	size_t len = 0;

	buf[0] = '\0';
	while (len < HEAD_MAX && strstr(buf, "\r\n\r\n") == NULL &&
	       strstr(buf, "\n\n") == NULL) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - pl_client_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		n = recv(fd, buf + len, HEAD_MAX - len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	return len;
}

/* Status and Location from a response head; false when it is not HTTP. */
static bool parse_head(char *head, int *status, char *location, size_t cap)
{
	char *line, *save = NULL, *end = strstr(head, "\r\n\r\n");
	int code;

	/* Only the head: a body line must not pass for a header. */
	if (end == NULL)
		end = strstr(head, "\n\n");
	if (end != NULL)
		*end = '\0';
	location[0] = '\0';
	if (strncmp(head, "HTTP/1.", 7) != 0 || strlen(head) < 12 ||
	    sscanf(head + 8, " %3d", &code) != 1 || code < 100 || code > 999)
		return false;
	*status = code;
	line = strtok_r(head, "\r\n", &save);
	while ((line = strtok_r(NULL, "\r\n", &save)) != NULL) {
		if (strncasecmp(line, "Location:", 9) == 0 && location[0] == '\0') {
			const char *v = skip_space(line + 9);
			size_t n = strlen(v);

			while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
				n--;
			pl_client_quote(v, n, location, cap);
		}
	}
	return true;
}

/* https://NAME[:PORT]PATH, the URL port 80 should send visitors to. */
static void expected_location(struct check_run *run, char *out, size_t cap)
{
	const char *name = run->verify_name;
	bool v6 = check_is_ipv6(name);

	if (run->r->port == 443)
		snprintf(out, cap, "https://%s%s%s%s", v6 ? "[" : "", name,
			 v6 ? "]" : "", run->opt.path);
	else
		snprintf(out, cap, "https://%s%s%s:%u%s", v6 ? "[" : "", name,
			 v6 ? "]" : "", (unsigned)run->r->port, run->opt.path);
}

/* The "https://AUTHORITY" part of a URL, lower-cased, with ":443"
 * dropped; "" when url is not https. */
static void https_origin(const char *url, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	if (strncasecmp(url, "https://", 8) != 0)
		return;
	for (const char *p = url; *p != '\0' && n + 1 < cap; p++) {
		if (p >= url + 8 && (*p == '/' || *p == '?' || *p == '#'))
			break;
		out[n++] = (char)tolower((unsigned char)*p);
	}
	out[n] = '\0';
	if (n > 4 && strcmp(out + n - 4, ":443") == 0)
		out[n - 4] = '\0';
}

/* An origin from https_origin() split into its host and port ("443" when
 * none is written); an IPv6 literal keeps its brackets. */
static void split_origin(const char *origin, char *host, size_t host_cap,
			 char *port, size_t port_cap)
{
	const char *h = origin + 8, *end = strchr(h, ']');
	const char *colon = strrchr(end != NULL ? end : h, ':');

	snprintf(port, port_cap, "%s", colon != NULL ? colon + 1 : "443");
	snprintf(host, host_cap, "%.*s",
		 (int)(colon != NULL ? (size_t)(colon - h) : strlen(h)), h);
}

/* What differs between the redirect's origin and the expected one, in
 * words: "the port (8443, not 443)", "the host ('a', not 'b')", both. */
static void origin_difference(const char *got, const char *want, char *out,
			      size_t cap)
{
	char got_host[1100], want_host[1100], got_port[16], want_port[16];
	bool host_differs, port_differs;

	split_origin(got, got_host, sizeof got_host, got_port, sizeof got_port);
	split_origin(want, want_host, sizeof want_host, want_port,
		     sizeof want_port);
	host_differs = strcmp(got_host, want_host) != 0;
	port_differs = strcmp(got_port, want_port) != 0;
	if (host_differs && port_differs)
		snprintf(out, cap, "another host and port ('%s' port %s, not "
			 "'%s' port %s)", got_host, got_port, want_host,
			 want_port);
	else if (port_differs)
		snprintf(out, cap, "the same host but another port (%s, not "
			 "the HTTPS port checked, %s)", got_port, want_port);
	else
		snprintf(out, cap, "another host ('%s', not '%s')", got_host,
			 want_host);
}

static void judge_redirect(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	char got[1100], want[1100], differs[2400];
	int s = r->http_status;
	bool redirect = s == 301 || s == 302 || s == 303 || s == 307 || s == 308;

	if (!redirect || r->location[0] == '\0') {
		check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_WARNING,
			  "http.no-redirect", -1, REDIRECT_FIX,
			  "port %u answers %d%s instead of a redirect to %s: "
			  "visitors who type the name stay on plain HTTP",
			  (unsigned)r->http_port, s,
			  redirect ? " without a Location" : "",
			  r->expected_location);
		return;
	}
	https_origin(r->location, got, sizeof got);
	https_origin(r->expected_location, want, sizeof want);
	if (got[0] == '\0')
		check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_WARNING,
			  "http.redirect-not-https", -1, REDIRECT_FIX,
			  "port %u redirects (%d) to '%s', which is not https",
			  (unsigned)r->http_port, s, r->location);
	else if (strcmp(got, want) != 0) {
		origin_difference(got, want, differs, sizeof differs);
		check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_WARNING,
			  "http.redirect-elsewhere", -1, REDIRECT_FIX,
			  "port %u redirects (%d) to %s: %s; %s was expected",
			  (unsigned)r->http_port, s, r->location, differs,
			  r->expected_location);
	}
	else
		check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_OK, "http.redirect",
			  -1, "", "port %u answers %d with Location: %s",
			  (unsigned)r->http_port, s, r->location);
	if (got[0] != '\0' && strcmp(got, want) == 0 &&
	    strcmp(r->location, r->expected_location) != 0)
		check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_INFO,
			  "http.redirect-path", -1, "",
			  "the redirect does not keep the path: %s was expected",
			  r->expected_location);
	if (s == 302 || s == 303 || s == 307)
		check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_INFO,
			  "http.redirect-temporary", -1,
			  "answer 301 (or 308) instead",
			  "the redirect is temporary (%d): browsers ask port %u "
			  "again each time", s, (unsigned)r->http_port);
}

static void report_port(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	unsigned p = r->http_port;

	if (r->http_state == PL_CHECK_PORT_REFUSED)
		check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_WARNING,
			  "http.port-refused", -1, REDIRECT_FIX,
			  "nothing listens on port %u: visitors who type the name "
			  "without https:// get an error instead of the site", p);
	else if (r->http_state == PL_CHECK_PORT_FILTERED)
		check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_WARNING,
			  "http.port-filtered", -1,
			  "open TCP port 80 in the firewall (as for 443) and "
			  "redirect it to https",
			  "port %u does not answer (a firewall drops the packets): "
			  "visitors who type the name wait, then get an error", p);
	else
		check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_WARNING,
			  "http.port-unreachable", -1, REDIRECT_FIX,
			  "port %u cannot be reached (%s)", p,
			  pl_check_port_name(r->http_state));
}

static void request_redirect(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	char *head = malloc(HEAD_MAX + 1), request[2048], authority[300];
	const char *name = run->verify_name;
	bool v6 = check_is_ipv6(name);
	int fd = -1, timeout = check_timeout(run);

	if (head == NULL) {
		run->nomem = true;
		return;
	}
	if (timeout == 0)
		goto out;
	check_progress(run, PL_CHECK_STEP_HTTP, "GET %s on port %u", r->path,
		       (unsigned)r->http_port);
	r->http_state = check_connect(r->tested_ip, r->http_port, timeout, &fd,
				      NULL);
	if (r->http_state != PL_CHECK_PORT_OPEN) {
		report_port(run);
		goto out;
	}
	snprintf(authority, sizeof authority, r->http_port == 80 ? "%s%s%s"
		 : "%s%s%s:%u", v6 ? "[" : "", name, v6 ? "]" : "",
		 (unsigned)r->http_port);
	snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: %s\r\n"
		 "User-Agent: padlock-check/" "0.1\r\nAccept: */*\r\n"
		 "Connection: close\r\n\r\n", r->path, authority);
	long long deadline = pl_client_now_ms() + check_timeout(run);
	if (!send_all(fd, request, strlen(request), deadline) ||
	    read_head(fd, head, deadline) == 0) {
		check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_WARNING,
			  "http.no-answer", -1, REDIRECT_FIX,
			  "port %u accepted the connection but sent no answer",
			  (unsigned)r->http_port);
		goto out;
	}
	if (!parse_head(head, &r->http_status, r->location, sizeof r->location)) {
		r->http_status = 0;
		check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_WARNING,
			  "http.not-http", -1, REDIRECT_FIX,
			  "port %u does not answer in HTTP/1.x",
			  (unsigned)r->http_port);
		goto out;
	}
	judge_redirect(run);
out:
	if (fd >= 0)
		close(fd);
	free(head);
}

/* HTTP/2 (RFC 9113 3.2): the ALPN the server chose when offered
 * h2,http/1.1 as browsers offer it, and whether a GET over it worked. */
static void report_h2(struct check_run *run)
{
	pl_check_result_t *r = run->r;

	r->h2_answered = r->h2 == PL_CHECK_YES && run->https_answered;
	if (r->h2 == PL_CHECK_NOT_TESTED)
		return;
	if (r->h2 == PL_CHECK_NO) {
		check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_INFO, "http.no-h2", -1,
			  "turn HTTP/2 on (nginx 'http2 on;', Apache "
			  "'Protocols h2 http/1.1', padlock serve by default)",
			  "no HTTP/2: offered h2 and http/1.1 in ALPN, the "
			  "server chose %s, so browsers send one request at a "
			  "time per connection",
			  r->alpn[0] != '\0' ? r->alpn : "nothing (it ignores ALPN)");
		return;
	}
	if (r->h2_answered)
		check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_OK, "http.h2", -1, "",
			  "the server speaks HTTP/2: it chose h2 in ALPN and "
			  "answered a GET over it (status %d)", run->https_status);
	else
		check_add(run, PL_CHECK_STEP_HTTP, PL_CHECK_WARNING,
			  "http.h2-failed", -1,
			  "run 'padlock get -v' on the site to see the HTTP/2 "
			  "frames; try 'padlock get --http1.1' to compare",
			  "the server chose h2 in ALPN, but a GET over HTTP/2 "
			  "got no answer: %s", run->https_error[0] != '\0'
			  ? run->https_error : "the run's time ran out");
}

void check_step_http(struct check_run *run)
{
	pl_check_result_t *r = run->r;

	expected_location(run, r->expected_location, sizeof r->expected_location);
	if (!run->opt.skip_http)
		request_redirect(run);
	report_h2(run);
	report_hsts(run);
}
