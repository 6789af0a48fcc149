/* What the engine accepts of the extensions a codec parsed (RFC 8446
 * 4.2), and codec failures turned into connection failures. */
#include "tls/tls_int.h"

int pl_tls_fail_msg(pl_tls_conn_t *c, int ret, const pl_msg_err_t *err)
{
	if (ret == PL_ERR_NOMEM)
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR, "out of memory");
	return pl_tls_fail(c, err->alert, "%s", err->text);
}

/* Extensions padlock's client may have sent (so a server may answer
 * them). */
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
	case PL_EXT_EC_POINT_FORMATS:
	case PL_EXT_EXTENDED_MASTER_SECRET:
	case PL_EXT_RENEGOTIATION_INFO:
		return true;
	default:
		return false;
	}
}

static int refuse(pl_tls_conn_t *c, uint16_t type, const char *what)
{
	/* RFC 8446 4.2: a response to an extension we never sent is
	 * unsupported_extension; a known extension in the wrong message is
	 * illegal_parameter. */
	if (!c->is_server && !client_offers(type))
		return pl_tls_fail(c, PL_ALERT_UNSUPPORTED_EXTENSION,
				   "%s: extension %u was not offered", what,
				   type);
	return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
			   "%s: extension %u is not allowed here", what, type);
}

int pl_tls_exts_check(pl_tls_conn_t *c, const pl_tls_exts_t *e,
		      const uint16_t *accepted, size_t n_accepted,
		      const char *what)
{
	uint64_t ok = 0;
	for (size_t j = 0; j < n_accepted; j++) {
		int row = pl_exts_row(accepted[j]);
		if (row >= 0)
			ok |= (uint64_t)1 << row;
	}
	for (size_t i = 0; i < e->n_order; i++)
		if (!(ok >> e->order[i] & 1))
			return refuse(c, pl_exts_type(e->order[i]), what);
	if (e->has_foreign)
		return refuse(c, e->foreign, what);
	return PL_OK;
}
