/* ServerKeyExchange for ECDHE (RFC 8422 5.4, RFC 5246 7.4.3): the named
 * curve, the server's ephemeral public key, and a signature over both
 * randoms and those parameters. padlock's TLS 1.2 has no other key
 * exchange (RFC 10015). */
#include <string.h>

#include "tls/msg/msg.h"

int pl_msg_server_key_exchange_parse(pl_reader_t *body,
				     pl_msg_server_key_exchange_t *m,
				     pl_msg_err_t *err)
{
	const uint8_t *start = body->p;
	memset(m, 0, sizeof(*m));
	if (pl_read_u8(body, &m->curve_type))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "ServerKeyExchange is empty");
	/* RFC 8422 5.4: explicit curves are deprecated; only named_curve
	 * is legal. */
	if (m->curve_type != PL_EC_NAMED_CURVE)
		return pl_msg_fail(err, PL_ALERT_ILLEGAL_PARAMETER,
				   "ServerKeyExchange: curve type %u is not "
				   "named_curve (3)",
				   m->curve_type);
	if (pl_read_u16(body, &m->group) || pl_read_vec8(body, &m->point) ||
	    pl_reader_left(&m->point) == 0)
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "ServerKeyExchange: malformed ECDH "
				   "parameters");
	pl_reader_init(&m->params, start, (size_t)(body->p - start));
	if (pl_read_u16(body, &m->scheme) ||
	    pl_read_vec16(body, &m->signature) || pl_reader_done(body) ||
	    pl_reader_left(&m->signature) == 0)
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "ServerKeyExchange: malformed signature");
	return PL_OK;
}

void pl_msg_ecdh_params_write(pl_buf_t *b, uint16_t group,
			      const pl_reader_t *point)
{
	pl_push_u8(b, PL_EC_NAMED_CURVE);
	pl_push_u16(b, group);
	pl_msg_write_vec(b, 1, point);
}

void pl_msg_server_key_exchange_write(pl_buf_t *b,
				      const pl_msg_server_key_exchange_t *m)
{
	pl_msg_ecdh_params_write(b, m->group, &m->point);
	pl_push_u16(b, m->scheme);
	pl_msg_write_vec(b, 2, &m->signature);
}
