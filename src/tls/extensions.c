/* Extension blocks (RFC 8446 4.2): split once, duplicates refused. */
#include "tls/tls_int.h"

int pl_tls_exts_parse(pl_tls_conn_t *c, pl_reader_t *block,
		      pl_tls_exts_t *exts, const char *what)
{
	exts->n = 0;
	while (pl_reader_left(block) > 0) {
		uint16_t type;
		pl_reader_t body;
		if (pl_read_u16(block, &type) || pl_read_vec16(block, &body))
			return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
					   "%s: extension block is malformed",
					   what);
		for (size_t i = 0; i < exts->n; i++)
			if (exts->type[i] == type)
				/* RFC 8446 4.2: at most one of each type */
				return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
						   "%s: extension %u appears "
						   "twice",
						   what, type);
		if (exts->n == PL_EXT_MAX_SEEN)
			return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
					   "%s: more than %d extensions", what,
					   PL_EXT_MAX_SEEN);
		exts->type[exts->n] = type;
		exts->body[exts->n] = body;
		exts->n++;
	}
	return PL_OK;
}

pl_reader_t *pl_tls_exts_find(pl_tls_exts_t *exts, uint16_t type)
{
	for (size_t i = 0; i < exts->n; i++)
		if (exts->type[i] == type)
			return &exts->body[i];
	return NULL;
}

/* Extensions a client may have sent (so a server may answer them). */
static bool client_offers(uint16_t type)
{
	switch (type) {
	case PL_EXT_SERVER_NAME:
	case PL_EXT_SUPPORTED_GROUPS:
	case PL_EXT_SIGNATURE_ALGORITHMS:
	case PL_EXT_ALPN:
	case PL_EXT_RECORD_SIZE_LIMIT:
	case PL_EXT_SUPPORTED_VERSIONS:
	case PL_EXT_KEY_SHARE:
	case PL_EXT_PSK_KEY_EXCHANGE_MODES:
		return true;
	default:
		return false;
	}
}

int pl_tls_exts_check(pl_tls_conn_t *c, const pl_tls_exts_t *exts,
		      const uint16_t *allowed, size_t n_allowed,
		      const char *what)
{
	for (size_t i = 0; i < exts->n; i++) {
		bool ok = false;
		for (size_t j = 0; j < n_allowed; j++)
			if (exts->type[i] == allowed[j])
				ok = true;
		if (ok)
			continue;
		/* RFC 8446 4.2: a response to an extension we never sent is
		 * unsupported_extension; a known extension in the wrong
		 * message is illegal_parameter. */
		if (!c->is_server && !client_offers(exts->type[i]))
			return pl_tls_fail(c, PL_ALERT_UNSUPPORTED_EXTENSION,
					   "%s: extension %u was not offered",
					   what, exts->type[i]);
		return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
				   "%s: extension %u is not allowed here", what,
				   exts->type[i]);
	}
	return PL_OK;
}
