/*
 * The engine's traffic secrets, read from its private state for tests
 * and fuzz harnesses that check the key schedule or protect records the
 * way the peer would: "c hs" and "s hs" (until the handshake completes),
 * "c ap" and "s ap" (the current traffic secrets), "res" (resumption
 * master secret). NULL for anything else.
 */
#ifndef PADLOCK_TEST_ENGINE_SECRETS_H
#define PADLOCK_TEST_ENGINE_SECRETS_H

#include <string.h>

#include "tls/tls_int.h"

static inline const uint8_t *test_secret(const pl_tls_conn_t *c,
					 const char *which)
{
	if (strcmp(which, "c ap") == 0)
		return c->is_server ? c->rd.secret : c->wr.secret;
	if (strcmp(which, "s ap") == 0)
		return c->is_server ? c->wr.secret : c->rd.secret;
	if (strcmp(which, "res") == 0)
		return c->resumption_secret;
	if (c->hs == NULL)
		return NULL;
	if (strcmp(which, "c hs") == 0)
		return c->hs->client_hs;
	if (strcmp(which, "s hs") == 0)
		return c->hs->server_hs;
	return NULL;
}

#endif
