/* Finished (RFC 8446 4.4.4): verify_data, as long as the hash. */
#include "tls/msg/msg.h"

int pl_msg_finished_parse(pl_reader_t *body, size_t len, pl_msg_finished_t *m,
			  pl_msg_err_t *err)
{
	const uint8_t *p;
	if (pl_read_bytes(body, len, &p) || pl_reader_done(body))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "Finished is not %zu bytes long", len);
	pl_reader_init(&m->verify_data, p, len);
	return PL_OK;
}

void pl_msg_finished_write(pl_buf_t *b, const pl_msg_finished_t *m)
{
	pl_push_bytes(b, m->verify_data.p, pl_reader_left(&m->verify_data));
}
