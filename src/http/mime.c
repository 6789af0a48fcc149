/*
 * MIME types of the common web files, by extension. Text types and the
 * textual application types say charset=utf-8, so a browser never guesses
 * (a guessed charset has been an XSS vector, e.g. UTF-7).
 */
#include <string.h>

#include "http/serve_int.h"

static const struct {
	const char *ext; /* lower case, without the dot */
	const char *type;
} types[] = {
	{"html", "text/html; charset=utf-8"},
	{"htm", "text/html; charset=utf-8"},
	{"css", "text/css; charset=utf-8"},
	{"js", "text/javascript; charset=utf-8"},  /* RFC 9239 */
	{"mjs", "text/javascript; charset=utf-8"},
	{"json", "application/json; charset=utf-8"},
	{"map", "application/json; charset=utf-8"}, /* source maps */
	{"webmanifest", "application/manifest+json; charset=utf-8"},
	{"svg", "image/svg+xml; charset=utf-8"},
	{"xml", "application/xml; charset=utf-8"},
	{"txt", "text/plain; charset=utf-8"},
	{"md", "text/markdown; charset=utf-8"},     /* RFC 7763 */
	{"csv", "text/csv; charset=utf-8"},
	{"png", "image/png"},
	{"jpg", "image/jpeg"},
	{"jpeg", "image/jpeg"},
	{"gif", "image/gif"},
	{"webp", "image/webp"},
	{"avif", "image/avif"},
	{"ico", "image/vnd.microsoft.icon"},
	{"pdf", "application/pdf"},
	{"wasm", "application/wasm"},
	{"woff", "font/woff"},                      /* RFC 8081 */
	{"woff2", "font/woff2"},
	{"ttf", "font/ttf"},
	{"otf", "font/otf"},
	{"mp4", "video/mp4"},
	{"webm", "video/webm"},
	{"mp3", "audio/mpeg"},
	{"ogg", "audio/ogg"},
	{"wav", "audio/wav"},
	{"zip", "application/zip"},
	{"gz", "application/gzip"},
	{"tar", "application/x-tar"},
};

const char *pl_http_mime_type(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *base = slash ? slash + 1 : name;
	const char *dot = strrchr(base, '.');

	/* "Makefile" and ".profile" have no extension */
	if (dot != NULL && dot != base) {
		size_t len = strlen(dot + 1);

		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
			if (pl_http_str_ieq(dot + 1, len, types[i].ext))
				return types[i].type;
		}
	}
	return "application/octet-stream";
}
