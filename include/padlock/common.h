/*
 * padlock: definitions shared by every layer.
 *
 * Every function in libpadlock that can fail returns int: PL_OK (0) on
 * success or one of the negative PL_ERR_ codes below.
 */
#ifndef PADLOCK_COMMON_H
#define PADLOCK_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pl_err {
	PL_OK = 0,
	PL_ERR_NOMEM = -1,       /* an allocation failed */
	PL_ERR_ARG = -2,         /* the caller passed an invalid argument */
	PL_ERR_CRYPTO = -3,      /* libcrypto failed where it should not */
	PL_ERR_DECRYPT = -4,     /* AEAD tag or signature did not verify */
	PL_ERR_DECODE = -5,      /* malformed input */
	PL_ERR_TLS = -6,         /* the connection failed: see pl_tls_reason() */
	PL_ERR_CERT = -7,        /* a certificate did not verify */
	PL_ERR_IO = -8,          /* a file or socket operation failed */
	PL_ERR_UNSUPPORTED = -9, /* algorithm, group or key type not supported */
	PL_ERR_CLOSED = -10,     /* the peer closed the connection cleanly */
	PL_ERR_STATE = -11,      /* the call is not allowed in this state */
};

/* A short English description of a PL_ERR_ code; never NULL. */
const char *pl_strerror(int err);

#endif
