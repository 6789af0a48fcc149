/*
 * Test-only hooks: replay published traces (RFC 8448) by fixing what is
 * normally random. Not in the public header; never used by padlock itself.
 */
#ifndef PL_TLS_TEST_HOOKS_H
#define PL_TLS_TEST_HOOKS_H

#include "padlock/tls.h"

/* The next random (ClientHello.random or ServerHello.random) is this. */
void pl_tls_test_set_random(pl_tls_conn_t *c, const uint8_t random[32]);

/* Key pairs to use, in order, instead of fresh ones (the connection takes
 * ownership). At most two (a HelloRetryRequest needs a second). */
int pl_tls_test_add_kex(pl_tls_conn_t *c, pl_kex_t *kex);

/* Client: send these ClientHello messages (handshake header included)
 * verbatim instead of building them: the first, and the one answering a
 * HelloRetryRequest. The bytes must outlive the handshake. The client
 * takes its random and session id from them. */
void pl_tls_test_set_client_hellos(pl_tls_conn_t *c, const uint8_t *ch1,
				   size_t ch1_len, const uint8_t *ch2,
				   size_t ch2_len);

/* Secrets, for key-schedule checks: "c hs" and "s hs" (until the
 * handshake completes), "c ap" and "s ap" (the current traffic secrets),
 * "res" (resumption master secret). NULL for anything else. */
const uint8_t *pl_tls_test_secret(const pl_tls_conn_t *c, const char *which);

#endif
