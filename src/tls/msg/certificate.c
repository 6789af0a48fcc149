/* Certificate (RFC 8446 4.4.2; RFC 5246 7.4.2): TLS 1.3 adds a request
 * context and an extension block to every entry. */
#include <string.h>

#include "tls/msg/msg.h"

/* One entry; PL_ERR_DECODE with err (when not NULL) filled. */
static int read_entry(pl_reader_t *list, uint16_t version,
		      pl_msg_cert_entry_t *e, pl_msg_err_t *err)
{
	pl_reader_t block;
	pl_msg_err_t ignored;
	memset(e, 0, sizeof(*e));
	if (pl_read_vec24(list, &e->cert) || pl_reader_left(&e->cert) == 0 ||
	    (version >= PL_TLS_VERSION_13 && pl_read_vec16(list, &block)))
		return err ? pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
					 "Certificate entry is malformed")
			   : PL_ERR_DECODE;
	if (version < PL_TLS_VERSION_13 || pl_reader_left(&block) == 0)
		return PL_OK;
	e->has_ext = true;
	return pl_exts_parse(&block, PL_MSG_CT, &e->ext, "CertificateEntry",
			     err ? err : &ignored);
}

int pl_msg_certificate_parse(pl_reader_t *body, uint16_t version,
			     pl_msg_certificate_t *m, pl_msg_err_t *err)
{
	pl_msg_cert_entry_t entry;
	int ret;
	memset(m, 0, sizeof(*m));
	m->version = version;
	if ((version >= PL_TLS_VERSION_13 && pl_read_vec8(body, &m->context)) ||
	    pl_read_vec24(body, &m->list) || pl_reader_done(body))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "Certificate is malformed");
	pl_reader_t it = m->list;
	while (pl_reader_left(&it) > 0) {
		if ((ret = read_entry(&it, version, &entry, err)))
			return ret;
		m->n++;
	}
	return PL_OK;
}

bool pl_msg_certificate_next(pl_reader_t *it, uint16_t version,
			     pl_msg_cert_entry_t *e)
{
	return pl_reader_left(it) > 0 &&
	       read_entry(it, version, e, NULL) == PL_OK;
}

void pl_msg_certificate_write(pl_buf_t *b, const pl_msg_certificate_t *m)
{
	size_t n = m->chain ? pl_x509_chain_count(m->chain) : 0;
	if (m->version >= PL_TLS_VERSION_13) {
		pl_msg_write_vec(b, 1, &m->context);
	}
	pl_push_open(b, 3);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const uint8_t *der = pl_x509_chain_der(m->chain, i, &len);
		pl_push_open(b, 3);
		pl_push_bytes(b, der, len);
		pl_push_close(b);
		if (m->version >= PL_TLS_VERSION_13)
			pl_push_u16(b, 0); /* no entry extensions */
	}
	pl_push_close(b);
}
