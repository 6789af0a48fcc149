/*
 * libFuzzer harness: the parser of padlock get's --sessions file
 * (src/client/sessions.c), as the file's text. The file is the user's, but
 * anything that can write to it (another program, a bad disk, a copy from
 * elsewhere) can put any bytes there.
 *
 * Promises checked: the parser either keeps sessions (PL_OK, at most
 * PL_CLIENT_SESSIONS_MAX) or refuses the whole text with one sentence and
 * keeps nothing (PL_ERR_DECODE); a session it kept can be taken out only
 * for the host, port and name of its line, and then only once.
 *
 * Seeds: corpus/fuzz_sessions/ (files padlock get wrote, one with an IPv6
 * host, and broken ones).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1800000000 /* 2027-01-15: the seeds' sessions are valid */

#define REQUIRE(cond)                                                           \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "fuzz_sessions: %s:%d: %s\n", __FILE__, \
				__LINE__, #cond);                               \
			abort();                                                \
		}                                                               \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pl_client_sessions_t *s = pl_client_sessions_new();
	pl_client_session_t taken;
	char err[512] = "";
	int rc;

	if (s == NULL)
		return 0;
	rc = pl_client_sessions_parse(s, "FILE", (const char *)data, size, NOW,
				      err, sizeof err);
	REQUIRE(rc == PL_OK || rc == PL_ERR_DECODE);
	REQUIRE(pl_client_sessions_count(s) <= PL_CLIENT_SESSIONS_MAX);
	if (rc == PL_ERR_DECODE)
		REQUIRE(pl_client_sessions_count(s) == 0 &&
			strncmp(err, "FILE: line ", 11) == 0);
	/* The seeds' key: taken at most once, never under another name. */
	REQUIRE(!pl_client_sessions_take(s, "localhost", 4433, "other.test", NOW,
					 &taken));
	if (pl_client_sessions_take(s, "localhost", 4433, "localhost", NOW,
				    &taken)) {
		REQUIRE(taken.data != NULL && taken.len > 0 &&
			taken.len <= PL_CLIENT_SESSION_MAX);
		pl_client_session_clear(&taken);
		REQUIRE(!pl_client_sessions_take(s, "localhost", 4433,
						 "localhost", NOW, &taken));
	}
	pl_client_sessions_free(s);
	return 0;
}
