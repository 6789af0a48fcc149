/* The messages without a body: ServerHelloDone (RFC 5246 7.4.5) and
 * HelloRequest (7.4.1.1). */
#include "tls/msg/msg.h"

int pl_msg_empty_parse(pl_reader_t *body, uint8_t type, pl_msg_err_t *err)
{
	if (pl_reader_left(body) != 0)
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "%s has a body of %zu bytes (it has none)",
				   pl_tls_handshake_name(type),
				   pl_reader_left(body));
	return PL_OK;
}
