/* CertificateVerify (RFC 8446 4.4.3): the scheme and the signature. */
#include <string.h>

#include "tls/msg/msg.h"

int pl_msg_certificate_verify_parse(pl_reader_t *body,
				    pl_msg_certificate_verify_t *m,
				    pl_msg_err_t *err)
{
	memset(m, 0, sizeof(*m));
	if (pl_read_u16(body, &m->scheme) || pl_read_vec16(body, &m->signature) ||
	    pl_reader_done(body))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "CertificateVerify is malformed");
	return PL_OK;
}

void pl_msg_certificate_verify_write(pl_buf_t *b,
				     const pl_msg_certificate_verify_t *m)
{
	pl_push_u16(b, m->scheme);
	pl_msg_write_vec(b, 2, &m->signature);
}
