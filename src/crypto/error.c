/* Text for the PL_ERR_ codes of padlock/common.h. */
#include "padlock/common.h"

const char *pl_strerror(int err)
{
	switch (err) {
	case PL_OK: return "success";
	case PL_ERR_NOMEM: return "out of memory";
	case PL_ERR_ARG: return "invalid argument";
	case PL_ERR_CRYPTO: return "cryptographic library failure";
	case PL_ERR_DECRYPT: return "authentication failed";
	case PL_ERR_DECODE: return "malformed input";
	case PL_ERR_TLS: return "TLS connection failed";
	case PL_ERR_CERT: return "certificate verification failed";
	case PL_ERR_IO: return "I/O error";
	case PL_ERR_UNSUPPORTED: return "not supported";
	case PL_ERR_CLOSED: return "connection closed by peer";
	case PL_ERR_STATE: return "not allowed in this state";
	default: return "unknown error";
	}
}
