/*
 * HTML escaping for the pages the server writes itself (the welcome page,
 * redirect bodies): nothing from a request or a certificate reaches them
 * as markup.
 */
#include <string.h>

#include "http/serve_int.h"

void pl_http_out_html(pl_http_out_t *o, const char *s, size_t len)
{
	size_t run = 0; /* bytes waiting to be copied as they are */

	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)s[i];
		const char *ref = NULL;

		switch (c) {
		case '&': ref = "&amp;"; break;
		case '<': ref = "&lt;"; break;
		case '>': ref = "&gt;"; break;
		case '"': ref = "&quot;"; break;
		case '\'': ref = "&#39;"; break;
		case '\t': case '\n': break;
		default:
			/* controls are parse errors in HTML (13.2.5) */
			if (c < 0x20 || c == 0x7f)
				ref = "?";
			break;
		}
		if (ref == NULL) {
			run++;
			continue;
		}
		pl_http_out_put(o, s + i - run, run);
		run = 0;
		pl_http_out_str(o, ref);
	}
	pl_http_out_put(o, s + len - run, run);
}

void pl_http_out_html_str(pl_http_out_t *o, const char *s)
{
	if (s != NULL)
		pl_http_out_html(o, s, strlen(s));
}
