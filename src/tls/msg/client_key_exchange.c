/* ClientKeyExchange for ECDHE (RFC 8422 5.7): the client's ephemeral
 * public key, never empty (padlock has no RSA key transport). */
#include <string.h>

#include "tls/msg/msg.h"

int pl_msg_client_key_exchange_parse(pl_reader_t *body,
				     pl_msg_client_key_exchange_t *m,
				     pl_msg_err_t *err)
{
	memset(m, 0, sizeof(*m));
	if (pl_read_vec8(body, &m->point) || pl_reader_done(body) ||
	    pl_reader_left(&m->point) == 0)
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "ClientKeyExchange is not one ECDH public "
				   "key");
	return PL_OK;
}

void pl_msg_client_key_exchange_write(pl_buf_t *b,
				      const pl_msg_client_key_exchange_t *m)
{
	pl_msg_write_vec(b, 1, &m->point);
}
