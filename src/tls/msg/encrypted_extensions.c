/* EncryptedExtensions (RFC 8446 4.3.1): one extension block. */
#include <string.h>

#include "tls/msg/msg.h"

int pl_msg_encrypted_extensions_parse(pl_reader_t *body,
				      pl_msg_encrypted_extensions_t *m,
				      pl_msg_err_t *err)
{
	pl_reader_t block;
	memset(m, 0, sizeof(*m));
	if (pl_read_vec16(body, &block) || pl_reader_done(body))
		return pl_msg_fail(err, PL_ALERT_DECODE_ERROR,
				   "EncryptedExtensions is malformed");
	return pl_exts_parse(&block, PL_MSG_EE, &m->ext, "EncryptedExtensions",
			     err);
}

void pl_msg_encrypted_extensions_write(pl_buf_t *b,
				       const pl_msg_encrypted_extensions_t *m)
{
	pl_exts_write(b, PL_MSG_EE, &m->ext, NULL);
}
