/*
 * What a server takes from a ClientHello whatever the version: the name
 * the client asked for (SNI) and the application protocol (ALPN).
 */
#include <ctype.h>
#include <string.h>

#include "tls/tls_int.h"

/* RFC 6066 3: RFC 1123 letters, digits, hyphens, dots. */
int pl_tls_take_sni(pl_tls_conn_t *c, const pl_msg_client_hello_t *ch)
{
	const pl_reader_t *name = &ch->ext.server_name;
	size_t n = pl_reader_left(name);
	if (!pl_exts_has(&ch->ext, PL_EXT_SERVER_NAME))
		return PL_OK;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = name->p[i];
		if (!(isalnum(b) || b == '-' || b == '.' || b == '_'))
			return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
					   "ClientHello: server_name holds a "
					   "byte 0x%02x that no host name has",
					   b);
	}
	if (pl_tls_set_string(&c->server_name, name->p, n))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR, "out of memory");
	for (char *p = c->server_name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return PL_OK;
}

/* RFC 8737 3: a ClientHello that offers only acme-tls/1 is a CA
 * validating a name; the config's callback may have its answer (the
 * challenge chain then goes before every configured one). */
static bool acme_challenge(pl_tls_conn_t *c, const pl_msg_client_hello_t *ch)
{
	static const char proto[] = "acme-tls/1";
	pl_reader_t theirs = ch->ext.alpn, name, more;
	pl_tls_chain_entry_t *e = &c->challenge_chain;

	if (c->cfg->challenge == NULL || !pl_exts_has(&ch->ext, PL_EXT_ALPN) ||
	    !pl_msg_alpn_next(&theirs, &name) || pl_msg_alpn_next(&theirs, &more) ||
	    pl_reader_left(&name) != sizeof proto - 1 ||
	    memcmp(name.p, proto, sizeof proto - 1) != 0)
		return false;
	if (e->chain != NULL) /* the second ClientHello, after a retry */
		return true;
	if (c->cfg->challenge(c->cfg->challenge_arg, c->server_name, &e->chain,
			      &e->key) != PL_OK ||
	    pl_tls_set_string(&c->alpn, proto, sizeof proto - 1)) {
		pl_x509_chain_free(e->chain);
		pl_pkey_free(e->key);
		e->chain = NULL;
		e->key = NULL;
		return false;
	}
	return true;
}

int pl_tls_choose_alpn(pl_tls_conn_t *c, const pl_msg_client_hello_t *ch)
{
	pl_reader_t ours;
	if (acme_challenge(c, ch))
		return PL_OK;
	if (!pl_exts_has(&ch->ext, PL_EXT_ALPN) || c->cfg->alpn_len == 0)
		return PL_OK;
	/* RFC 7301 3.2: the server's preference among the client's offers
	 * (the codec checked both lists' shape) */
	pl_reader_init(&ours, c->cfg->alpn_wire, c->cfg->alpn_len);
	pl_reader_t mine;
	while (pl_msg_alpn_next(&ours, &mine)) {
		pl_reader_t theirs = ch->ext.alpn, name;
		while (pl_msg_alpn_next(&theirs, &name)) {
			if (pl_reader_left(&name) == pl_reader_left(&mine) &&
			    memcmp(name.p, mine.p, pl_reader_left(&mine)) == 0) {
				if (pl_tls_set_string(&c->alpn, mine.p,
						      pl_reader_left(&mine)))
					return pl_tls_fail(
						c, PL_ALERT_INTERNAL_ERROR,
						"out of memory");
				return PL_OK;
			}
		}
	}
	return pl_tls_fail(c, PL_ALERT_NO_APPLICATION_PROTOCOL,
			   "none of the client's ALPN protocols is served here");
}
