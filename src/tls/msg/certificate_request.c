/* CertificateRequest (RFC 8446 4.3.2; RFC 5246 7.4.4): TLS 1.3 carries
 * a context and extensions, TLS 1.2 certificate types, signature
 * algorithms and CA names. */
#include <string.h>

#include "tls/msg/msg.h"

int pl_msg_certificate_request_parse(pl_reader_t *body, uint16_t version,
				     pl_msg_certificate_request_t *m,
				     pl_msg_err_t *err)
{
	pl_reader_t block, schemes;
	memset(m, 0, sizeof(*m));
	m->version = version;
	if (version >= PL_TLS_VERSION_13) {
		if (pl_read_vec8(body, &m->context) ||
		    pl_read_vec16(body, &block) || pl_reader_done(body))
			return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
					   "CertificateRequest is malformed");
		return pl_exts_parse(&block, PL_MSG_CR, &m->ext,
				     "CertificateRequest", err);
	}
	if (pl_read_vec8(body, &m->cert_types) ||
	    pl_reader_left(&m->cert_types) == 0 ||
	    (version >= PL_TLS_VERSION_12 &&
	     (pl_read_vec16(body, &schemes) || pl_reader_left(&schemes) % 2)) ||
	    pl_read_vec16(body, &m->authorities) || pl_reader_done(body))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "CertificateRequest does not match its "
				   "length");
	if (version >= PL_TLS_VERSION_12) {
		m->schemes.wire = schemes;
		m->schemes.n = pl_reader_left(&schemes) / 2;
	}
	return PL_OK;
}

void pl_msg_certificate_request_write(pl_buf_t *b,
				      const pl_msg_certificate_request_t *m)
{
	if (m->version >= PL_TLS_VERSION_13) {
		pl_msg_write_vec(b, 1, &m->context);
		pl_exts_write(b, PL_MSG_CR, &m->ext, NULL);
		return;
	}
	pl_msg_write_vec(b, 1, &m->cert_types);
	if (m->version >= PL_TLS_VERSION_12) {
		pl_push_open(b, 2);
		for (size_t i = 0; i < m->schemes.n; i++)
			pl_push_u16(b, pl_u16_list_at(&m->schemes, i));
		pl_push_close(b);
	}
	pl_msg_write_vec(b, 2, &m->authorities);
}
