/* ServerHello and HelloRetryRequest (RFC 8446 4.1.3, 4.1.4; RFC 5246
 * 7.4.1.3): the extensions are read as TLS 1.3's when supported_versions
 * is among them, as TLS 1.2's (and older) otherwise. */
#include <string.h>

#include "tls/msg/msg.h"

bool pl_msg_downgrade_sentinel(const uint8_t random[32])
{
	static const uint8_t downgrd[7] = {'D', 'O', 'W', 'N', 'G', 'R', 'D'};
	return memcmp(random + 24, downgrd, 7) == 0 &&
	       (random[31] == 0 || random[31] == 1);
}

/* Whether the extension block holds supported_versions (RFC 8446 4.1.3:
 * its presence is what makes a ServerHello TLS 1.3's). A malformed block
 * is left for the full parse to report. */
static bool has_supported_versions(pl_reader_t block)
{
	uint16_t type;
	pl_reader_t body;
	while (pl_read_u16(&block, &type) == PL_OK &&
	       pl_read_vec16(&block, &body) == PL_OK)
		if (type == PL_EXT_SUPPORTED_VERSIONS)
			return true;
	return false;
}

int pl_msg_server_hello_parse(pl_reader_t *body, pl_msg_server_hello_t *m,
			      pl_msg_err_t *err)
{
	const uint8_t *random;
	pl_reader_t block;
	memset(m, 0, sizeof(*m));
	if (pl_read_u16(body, &m->legacy_version) ||
	    pl_read_bytes(body, 32, &random) ||
	    pl_read_vec8(body, &m->session_id) || pl_read_u16(body, &m->suite) ||
	    pl_read_u8(body, &m->compression))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "ServerHello is cut short");
	memcpy(m->random, random, 32);
	if (pl_reader_left(&m->session_id) > 32)
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "ServerHello: session_id of %zu bytes (at "
				   "most 32)",
				   pl_reader_left(&m->session_id));
	/* RFC 5246 7.4.1.3: the extensions may be absent. */
	if (pl_reader_left(body) == 0) {
		pl_reader_init(&block, body->p, 0);
	} else if (pl_read_vec16(body, &block) || pl_reader_done(body)) {
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "ServerHello: the extensions block does not "
				   "match its length");
	} else {
		m->has_extensions = true;
	}
	m->tls13 = has_supported_versions(block);
	m->hrr = m->tls13 && memcmp(m->random, pl_msg_hrr_random, 32) == 0;
	if (m->hrr)
		return pl_exts_parse(&block, PL_MSG_HRR, &m->ext,
				     "HelloRetryRequest", err);
	return pl_exts_parse(&block, m->tls13 ? PL_MSG_SH : PL_MSG_SH12,
			     &m->ext, "ServerHello", err);
}

void pl_msg_server_hello_write(pl_buf_t *b, const pl_msg_server_hello_t *m)
{
	pl_push_u16(b, m->legacy_version);
	pl_push_bytes(b, m->hrr ? pl_msg_hrr_random : m->random, 32);
	pl_msg_write_vec(b, 1, &m->session_id);
	pl_push_u16(b, m->suite);
	pl_push_u8(b, m->compression);
	if (m->has_extensions)
		pl_exts_write(b,
			      m->hrr	 ? PL_MSG_HRR
			      : m->tls13 ? PL_MSG_SH
					 : PL_MSG_SH12,
			      &m->ext, NULL);
}
