/* NewSessionTicket (RFC 8446 4.6.1; RFC 5077 3.3 for TLS 1.2: a lifetime
 * hint and the ticket). */
#include <string.h>

#include "tls/msg/msg.h"

int pl_msg_new_session_ticket_parse(pl_reader_t *body, uint16_t version,
				    pl_msg_new_session_ticket_t *m,
				    pl_msg_err_t *err)
{
	pl_reader_t block;
	memset(m, 0, sizeof(*m));
	m->version = version;
	if (version < PL_TLS_VERSION_13) {
		if (pl_read_u32(body, &m->lifetime) ||
		    pl_read_vec16(body, &m->ticket) || pl_reader_done(body))
			return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
					   "NewSessionTicket is malformed");
		return PL_OK;
	}
	if (pl_read_u32(body, &m->lifetime) || pl_read_u32(body, &m->age_add) ||
	    pl_read_vec8(body, &m->nonce) || pl_read_vec16(body, &m->ticket) ||
	    pl_read_vec16(body, &block) || pl_reader_done(body) ||
	    pl_reader_left(&m->ticket) == 0)
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "NewSessionTicket is malformed");
	return pl_exts_parse(&block, PL_MSG_NST, &m->ext, "NewSessionTicket",
			     err);
}

void pl_msg_new_session_ticket_write(pl_buf_t *b,
				     const pl_msg_new_session_ticket_t *m)
{
	pl_push_u32(b, m->lifetime);
	if (m->version >= PL_TLS_VERSION_13) {
		pl_push_u32(b, m->age_add);
		pl_msg_write_vec(b, 1, &m->nonce);
	}
	pl_msg_write_vec(b, 2, &m->ticket);
	if (m->version >= PL_TLS_VERSION_13)
		pl_exts_write(b, PL_MSG_NST, &m->ext, NULL);
}
