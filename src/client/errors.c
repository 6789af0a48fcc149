/* Error sentences of the client layer. */
#include <stdarg.h>
#include <stdio.h>

#include "client/client_internal.h"

int pl_client_fail(char *err, size_t err_len, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && err_len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return code;
}

void pl_client_quote(const char *in, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	if (cap == 0)
		return;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];
		/* room for one escape, "..." and the NUL */
		if (o + 4 + 3 + 1 > cap) {
			snprintf(out + o, cap - o, "...");
			return;
		}
		if (ch >= 0x20 && ch < 0x7f)
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
	}
	out[o] = '\0';
}
