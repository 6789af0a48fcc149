/*
 * From a URL path to a path beneath the site's root. Everything that
 * could name something outside the root, or something hidden in it, is
 * refused here, before any file system call: after percent-decoding, no
 * segment may be ".", ".." or start with '.', and nothing may be encoded
 * that a later layer could decode again or read as a separator.
 */
#include <limits.h>
#include <string.h>

#include "http/serve_int.h"

/* What the decoder may have met that no file of ours can be named with:
 * %2F would be a separator only after decoding, %25 a second round of
 * escapes (double encoding), '\' a separator on other systems and in some
 * back ends, controls never name a web file. */
#define REFUSED_FLAGS                                                        \
	(PL_HTTP_PCT_SLASH | PL_HTTP_PCT_PERCENT | PL_HTTP_PCT_BACKSLASH |   \
	 PL_HTTP_PCT_CONTROL)

static const char *flags_why(unsigned flags)
{
	if (flags & PL_HTTP_PCT_SLASH)
		return "path: encoded slash (%2F)";
	if (flags & PL_HTTP_PCT_PERCENT)
		return "path: encoded percent sign (double encoding)";
	if (flags & PL_HTTP_PCT_BACKSLASH)
		return "path: backslash";
	return "path: control byte";
}

/* Checks the segments of the decoded path p[0..len), which starts with
 * '/'. */
static int segments_check(const char *p, size_t len, bool *dir_slash,
			  const char **why)
{
	size_t i = 1;

	*dir_slash = false;
	while (i <= len) {
		const char *end = memchr(p + i, '/', len - i);
		size_t seg = end ? (size_t)(end - (p + i)) : len - i;

		if (seg == 0) {
			/* only the last segment may be empty: "/" or "/dir/";
			 * "//" is refused, not merged, so that a URL has one
			 * spelling and "//host" never reaches a Location */
			if (end != NULL) {
				*why = "path: empty segment (//)";
				return PL_ERR_DECODE;
			}
			*dir_slash = true;
			break;
		}
		/* ".", "..", ".git", ".env": nothing hidden is served */
		if (p[i] == '.') {
			*why = "path: segment starting with a dot";
			return PL_ERR_DECODE;
		}
		if (seg > NAME_MAX) {
			*why = "path: segment longer than NAME_MAX";
			return PL_ERR_DECODE;
		}
		i += seg + 1;
	}
	return PL_OK;
}

int pl_http_path_to_relative(const char *raw, size_t raw_len, char *out,
			     size_t out_cap, bool *dir_slash, const char **why)
{
	size_t len;
	unsigned flags;

	*dir_slash = false;
	if (raw_len == 0 || raw[0] != '/') {
		*why = "path: does not start with /";
		return PL_ERR_DECODE;
	}
	if (raw_len >= PATH_MAX || out_cap < raw_len + 1) {
		*why = "path: longer than PATH_MAX";
		return PL_ERR_DECODE;
	}
	if (pl_http_percent_decode(raw, raw_len, out, out_cap, &len, &flags) !=
	    PL_OK) {
		*why = "path: bad percent escape or NUL";
		return PL_ERR_DECODE;
	}
	if (flags & REFUSED_FLAGS) {
		*why = flags_why(flags);
		return PL_ERR_DECODE;
	}
	if (segments_check(out, len, dir_slash, why) != PL_OK)
		return PL_ERR_DECODE;

	/* "/a/b/" -> "a/b", "/" -> "." */
	if (*dir_slash)
		len--;
	if (len <= 1) {
		memcpy(out, ".", 2);
		return PL_OK;
	}
	memmove(out, out + 1, len - 1);
	out[len - 1] = '\0';
	return PL_OK;
}
