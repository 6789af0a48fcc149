/*
 * The request-target (RFC 9112 3.2) and the Host field (RFC 9110 7.2):
 * their checks while parsing, the split into path and query, and strict
 * percent-decoding (RFC 3986 2.1) for the modules that map a path to
 * something.
 */
#include <string.h>

#include "http/http_int.h"

static bool method_is(const char *method, size_t len, const char *lit)
{
	return len == strlen(lit) && memcmp(method, lit, len) == 0;
}

/* 1*5DIGIT */
static bool port_valid(const uint8_t *v, size_t len)
{
	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!pl_http_is_digit(v[i]))
			return false;
	}
	return true;
}

/* reg-name = *( unreserved / pct-encoded / sub-delims ), not empty here */
static bool regname_valid(const uint8_t *v, size_t len)
{
	size_t i = 0;

	if (len == 0)
		return false;
	while (i < len) {
		if (v[i] == '%') {
			if (len - i < 3 || pl_http_hex_value(v[i + 1]) < 0 ||
			    pl_http_hex_value(v[i + 2]) < 0)
				return false;
			i += 3;
		} else if (pl_http_is_regname_char(v[i])) {
			i++;
		} else {
			return false;
		}
	}
	return true;
}

/* An IP-literal's inside: hex digits, ':' and '.' (an IPv6 address,
 * perhaps with an IPv4 tail). IPvFuture and zone ids are refused. */
static bool ipv6_chars_valid(const uint8_t *v, size_t len)
{
	if (len < 2)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (pl_http_hex_value(v[i]) < 0 && v[i] != ':' && v[i] != '.')
			return false;
	}
	return true;
}

/* uri-host [ ":" port ], uri-host not empty; *has_port says whether the
 * port is there. */
static bool authority_valid(const uint8_t *v, size_t len, bool *has_port)
{
	const uint8_t *colon;
	size_t host_len;

	*has_port = false;
	if (len > 0 && v[0] == '[') {
		const uint8_t *close = memchr(v, ']', len);
		if (close == NULL || !ipv6_chars_valid(v + 1, (size_t)(close - v) - 1))
			return false;
		host_len = (size_t)(close - v) + 1;
	} else {
		colon = memchr(v, ':', len);
		host_len = colon ? (size_t)(colon - v) : len;
		if (!regname_valid(v, host_len))
			return false;
	}
	if (host_len == len)
		return true;
	*has_port = true;
	return v[host_len] == ':' && port_valid(v + host_len + 1, len - host_len - 1);
}

bool pl_http_host_valid(const uint8_t *value, size_t len)
{
	bool has_port;

	/* RFC 9112 3.2: empty when the target URI has no authority */
	return len == 0 || authority_valid(value, len, &has_port);
}

/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 3.1);
 * returns its length, 0 when there is none. */
static size_t scheme_len(const uint8_t *t, size_t len)
{
	size_t i = 0;

	if (len == 0 || !pl_http_is_alpha(t[0]))
		return 0;
	while (i < len && (pl_http_is_alpha(t[i]) || pl_http_is_digit(t[i]) ||
			   t[i] == '+' || t[i] == '-' || t[i] == '.'))
		i++;
	return i;
}

/* The authority of "scheme://authority/..." at t[*start..*end), or false
 * when the target does not have that shape. */
static bool find_authority(const uint8_t *t, size_t len, size_t *start,
			   size_t *end)
{
	size_t s = scheme_len(t, len);
	size_t i;

	if (s == 0 || len - s < 3 || memcmp(t + s, "://", 3) != 0)
		return false;
	i = s + 3;
	*start = i;
	while (i < len && t[i] != '/' && t[i] != '?')
		i++;
	*end = i;
	return true;
}

int pl_http_target_check(const char *method, size_t method_len,
			 const uint8_t *t, size_t len, const char **why)
{
	size_t a, b;
	bool has_port;

	for (size_t i = 0; i < len; i++) {
		/* RFC 9112 3.2: no whitespace; RFC 3986: no controls, nothing
		 * outside ASCII (clients percent-encode it), no fragment. */
		if (t[i] <= 0x20 || t[i] >= 0x7f) {
			*why = "the request-target contains a control, space or non-ASCII byte";
			return -1;
		}
		if (t[i] == '#') {
			*why = "the request-target contains a fragment ('#')";
			return -1;
		}
	}
	/* RFC 9112 3.2.3: authority-form is for CONNECT, and only it */
	if (method_is(method, method_len, "CONNECT")) {
		if (!authority_valid(t, len, &has_port) || !has_port) {
			*why = "CONNECT needs a host:port target";
			return -1;
		}
		return PL_HTTP_TARGET_AUTHORITY;
	}
	/* RFC 9112 3.2.4: "*" is for OPTIONS only */
	if (len == 1 && t[0] == '*') {
		if (!method_is(method, method_len, "OPTIONS")) {
			*why = "the target * is for OPTIONS only";
			return -1;
		}
		return PL_HTTP_TARGET_ASTERISK;
	}
	if (t[0] == '/')
		return PL_HTTP_TARGET_ORIGIN;
	/* RFC 9112 3.2.2, with the "//" authority every http(s) URI has; RFC
	 * 9110 4.2.1: an empty host MUST be rejected, 4.2.4: so should
	 * userinfo ('@' is not a host character). */
	if (find_authority(t, len, &a, &b)) {
		if (!authority_valid(t + a, b - a, &has_port)) {
			*why = "the request-target's authority is not a valid host[:port]";
			return -1;
		}
		return PL_HTTP_TARGET_ABSOLUTE;
	}
	*why = "the request-target is not in origin, absolute, authority or asterisk form";
	return -1;
}

void pl_http_target_split(pl_http_str_t target, pl_http_target_form_t form,
			  pl_http_str_t *path, pl_http_str_t *query,
			  pl_http_str_t *authority)
{
	const uint8_t *t = (const uint8_t *)target.ptr;
	size_t start = 0, a = 0, b = 0;
	const uint8_t *q;

	if (authority)
		*authority = (pl_http_str_t){target.ptr, 0};
	*query = (pl_http_str_t){target.ptr + target.len, 0};
	if (form == PL_HTTP_TARGET_AUTHORITY || form == PL_HTTP_TARGET_ASTERISK) {
		*path = target;
		return;
	}
	if (form == PL_HTTP_TARGET_ABSOLUTE &&
	    find_authority(t, target.len, &a, &b)) {
		if (authority)
			*authority = (pl_http_str_t){target.ptr + a, b - a};
		start = b;
	}
	q = target.len > start ? memchr(t + start, '?', target.len - start) : NULL;
	if (q == NULL) {
		*path = (pl_http_str_t){target.ptr + start, target.len - start};
		return;
	}
	*path = (pl_http_str_t){target.ptr + start, (size_t)(q - t) - start};
	*query = (pl_http_str_t){(const char *)q + 1,
				 target.len - (size_t)(q - t) - 1};
}

/* ---- percent-decoding (RFC 3986 2.1) ------------------------------------------ */

static unsigned byte_flags(uint8_t c)
{
	unsigned f = 0;

	if (c == '\\')
		f |= PL_HTTP_PCT_BACKSLASH;
	if (c >= 0x80)
		f |= PL_HTTP_PCT_NONASCII;
	if (c < 0x20 || c == 0x7f)
		f |= PL_HTTP_PCT_CONTROL;
	return f;
}

static unsigned escape_flags(uint8_t c)
{
	unsigned f = byte_flags(c);

	if (c == '/')
		f |= PL_HTTP_PCT_SLASH;
	if (c == '.')
		f |= PL_HTTP_PCT_DOT;
	if (c == '%')
		f |= PL_HTTP_PCT_PERCENT;
	return f;
}

int pl_http_percent_decode(const char *in, size_t in_len, char *out,
			   size_t out_cap, size_t *out_len, unsigned *flags)
{
	const uint8_t *s = (const uint8_t *)in;
	unsigned f = 0;
	size_t i = 0, o = 0;
	int ret = PL_OK;

	if (flags)
		*flags = 0;
	if (out == NULL || out_len == NULL || (in == NULL && in_len > 0) ||
	    in_len == SIZE_MAX || out_cap < in_len + 1)
		return PL_ERR_ARG;
	while (i < in_len) {
		uint8_t c = s[i];
		if (c == '%') {
			int hi = in_len - i >= 3 ? pl_http_hex_value(s[i + 1]) : -1;
			int lo = in_len - i >= 3 ? pl_http_hex_value(s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi | lo) == 0) {
				ret = PL_ERR_DECODE;
				break;
			}
			c = (uint8_t)(hi << 4 | lo);
			f |= escape_flags(c);
			i += 3;
		} else {
			if (c == '\0') {
				ret = PL_ERR_DECODE;
				break;
			}
			f |= byte_flags(c);
			i++;
		}
		/* o <= i - 1 here: in-place decoding never overtakes reading */
		out[o++] = (char)c;
	}
	if (flags)
		*flags = f;
	if (ret != PL_OK) {
		*out_len = i;
		out[o] = '\0';
		return ret;
	}
	out[o] = '\0';
	*out_len = o;
	return PL_OK;
}
