/* ClientHello (RFC 8446 4.1.2, RFC 5246 7.4.1.2), every version from
 * SSL 3.0: which version it offers is for the server to decide. */
#include <string.h>

#include "tls/msg/msg.h"

int pl_msg_client_hello_parse(pl_reader_t *body, pl_msg_client_hello_t *m,
			      pl_msg_err_t *err)
{
	const uint8_t *msg_start = body->p - 4;
	const uint8_t *random;
	pl_reader_t suites, block;
	int ret;
	memset(m, 0, sizeof(*m));
	if (pl_read_u16(body, &m->legacy_version) ||
	    pl_read_bytes(body, 32, &random) ||
	    pl_read_vec8(body, &m->session_id) || pl_read_vec16(body, &suites) ||
	    pl_read_vec8(body, &m->compression))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "ClientHello is truncated");
	memcpy(m->random, random, 32);
	/* Extensions are optional in the syntax (pre-TLS 1.2 clients).
	 * The empty block points into the body: NULL + 0 is undefined
	 * behaviour in C (found by fuzz_server under UBSan). */
	if (pl_reader_left(body) == 0) {
		pl_reader_init(&block, body->p, 0);
	} else if (pl_read_vec16(body, &block) || pl_reader_done(body)) {
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "ClientHello: malformed extensions");
	} else {
		m->has_extensions = true;
	}
	if (pl_reader_left(&m->session_id) > 32 || pl_reader_left(&suites) < 2 ||
	    pl_reader_left(&suites) % 2 || pl_reader_left(&m->compression) < 1)
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "ClientHello: malformed session id, cipher "
				   "suites or compression methods");
	m->suites.wire = suites;
	m->suites.n = pl_reader_left(&suites) / 2;
	if ((ret = pl_exts_parse(&block, PL_MSG_CH, &m->ext, "ClientHello",
				 err)))
		return ret;
	if (m->ext.psk_binders_at != NULL)
		m->binders_offset = (size_t)(m->ext.psk_binders_at - msg_start);
	return PL_OK;
}

void pl_msg_client_hello_write(pl_buf_t *b, pl_msg_client_hello_t *m)
{
	size_t msg_start = b->len - 4, binders = 0;
	pl_push_u16(b, m->legacy_version);
	pl_push_bytes(b, m->random, 32);
	pl_msg_write_vec(b, 1, &m->session_id);
	pl_push_open(b, 2);
	for (size_t i = 0; i < m->suites.n; i++)
		pl_push_u16(b, pl_u16_list_at(&m->suites, i));
	pl_push_close(b);
	pl_push_open(b, 1);
	if (m->compression.p != NULL)
		pl_push_bytes(b, m->compression.p,
			      pl_reader_left(&m->compression));
	else
		pl_push_u8(b, 0); /* null only */
	pl_push_close(b);
	if (m->has_extensions)
		pl_exts_write(b, PL_MSG_CH, &m->ext, &binders);
	m->binders_offset = binders ? binders - msg_start : 0;
}
