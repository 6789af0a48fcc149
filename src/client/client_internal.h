/* Helpers shared by the files of src/client; not part of the public API. */
#ifndef PADLOCK_CLIENT_INTERNAL_H
#define PADLOCK_CLIENT_INTERNAL_H

#include <stddef.h>
#include <time.h>

#include "padlock/client.h"

/* Writes one sentence (printf format) into err, truncating if needed, and
 * returns code, so that a failure reads "return pl_client_fail(...)". */
int pl_client_fail(char *err, size_t err_len, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Copies up to len bytes of untrusted text from in into out (cap bytes,
 * always NUL-terminated), escaping anything that is not printable ASCII as
 * \xNN and ending with "..." when it does not fit: safe to show a person. */
void pl_client_quote(const char *in, size_t len, char *out, size_t cap);

/* pl_client_fetch over HTTP/2 (h2.c): req->method is set. */
int pl_client_h2_fetch(pl_client_io_t *io, const pl_client_url_t *url,
		       const pl_client_request_t *req,
		       pl_client_response_t *resp);

/* The parser of a --sessions file (sessions.c), apart from the file so
 * that it can be fuzzed: adds the unexpired sessions of the len bytes of
 * text to s. Returns PL_OK, or PL_ERR_DECODE with one sentence in err
 * (naming name and the line) and nothing of the text kept. */
int pl_client_sessions_parse(pl_client_sessions_t *s, const char *name,
			     const char *text, size_t len, time_t now,
			     char *err, size_t err_len);

/* How many sessions s holds. */
size_t pl_client_sessions_count(const pl_client_sessions_t *s);

/* Milliseconds on the monotonic clock, for deadlines. */
static inline long long pl_client_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
