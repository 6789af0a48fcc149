/* CertificateStatus (RFC 6066 8): a TLS 1.2 server's stapled OCSP
 * response, after its Certificate. */
#include <string.h>

#include "tls/msg/msg.h"

int pl_msg_certificate_status_parse(pl_reader_t *body,
				    pl_msg_certificate_status_t *m,
				    pl_msg_err_t *err)
{
	memset(m, 0, sizeof(*m));
	if (pl_read_u8(body, &m->status_type) ||
	    pl_read_vec24(body, &m->response) || pl_reader_done(body) ||
	    pl_reader_left(&m->response) == 0)
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "CertificateStatus is malformed");
	return PL_OK;
}

void pl_msg_certificate_status_write(pl_buf_t *b,
				     const pl_msg_certificate_status_t *m)
{
	pl_push_u8(b, m->status_type);
	pl_msg_write_vec(b, 3, &m->response);
}
