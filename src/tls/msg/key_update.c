/* KeyUpdate (RFC 8446 4.6.3): one byte, request_update. */
#include "tls/msg/msg.h"

int pl_msg_key_update_parse(pl_reader_t *body, pl_msg_key_update_t *m,
			    pl_msg_err_t *err)
{
	if (pl_read_u8(body, &m->request_update) || pl_reader_done(body))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "KeyUpdate is not one byte");
	return PL_OK;
}

void pl_msg_key_update_write(pl_buf_t *b, const pl_msg_key_update_t *m)
{
	pl_push_u8(b, m->request_update);
}
