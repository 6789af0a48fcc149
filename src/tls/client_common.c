/*
 * What a client does with a server's answer whatever the version: the
 * ALPN protocol it selected, and its certificate chain (parsed, shown,
 * verified against the trust store and the name asked for).
 */
#include <arpa/inet.h>
#include <string.h>

#include "tls/tls_int.h"

bool pl_tls_is_ip_literal(const char *name)
{
	uint8_t tmp[16];
	return inet_pton(AF_INET, name, tmp) == 1 ||
	       inet_pton(AF_INET6, name, tmp) == 1;
}

/* RFC 7301 3.2: the protocol must be one the client offered. */
int pl_tls_client_take_alpn(pl_tls_conn_t *c, const pl_reader_t *name,
			    const char *what)
{
	pl_reader_t ours;
	if (c->cfg->alpn_len == 0)
		return pl_tls_fail(c, PL_ALERT_UNSUPPORTED_EXTENSION,
				   "%s: ALPN was not offered", what);
	pl_reader_init(&ours, c->cfg->alpn_wire, c->cfg->alpn_len);
	pl_reader_t p;
	while (pl_msg_alpn_next(&ours, &p)) {
		if (pl_reader_left(&p) == pl_reader_left(name) &&
		    memcmp(p.p, name->p, pl_reader_left(&p)) == 0) {
			if (pl_tls_set_string(&c->alpn, name->p,
					      pl_reader_left(name)))
				return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
						   "out of memory");
			return PL_OK;
		}
	}
	return pl_tls_fail(c, PL_ALERT_ILLEGAL_PARAMETER,
			   "%s: the server selected an ALPN protocol that "
			   "was not offered", what);
}

static int verify_chain(pl_tls_conn_t *c)
{
	pl_x509_verdict_t v;
	memset(&v, 0, sizeof(v));
	if (!c->cfg->verify) {
		pl_tls_trace(c, PL_STEP_CERT_TRUSTED,
			     "Certificate chain NOT verified (verification "
			     "disabled): anyone could be on the other end");
		return PL_OK;
	}
	if (c->cfg->store == NULL)
		return pl_tls_fail(c, PL_ALERT_UNKNOWN_CA,
				   "no trusted CA certificates are configured");
	if (pl_x509_verify(c->cfg->store, c->peer_chain,
			   c->server_name, c->now,
			   &v) != PL_OK)
		return pl_tls_fail(c, v.alert ? v.alert : PL_ALERT_BAD_CERTIFICATE,
				   "%s", v.reason);
	if (pl_tls_set_string(&c->trusted_root, v.trusted_root,
			      strlen(v.trusted_root)))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR, "out of memory");
	pl_tls_trace(c, PL_STEP_CERT_TRUSTED,
		     "Certificate chain verified: valid now, issued for '%s', "
		     "and it leads to the trusted root '%s'",
		     c->server_name ? c->server_name : "", c->trusted_root);
	return PL_OK;
}

int pl_tls_client_take_chain(pl_tls_conn_t *c, const uint8_t *const *der,
			     const size_t *lens, size_t n)
{
	char text[256];
	if (n == 0) /* RFC 8446 4.4.2.4, RFC 5246 7.4.2 */
		return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
				   "the server sent no certificate");
	if (pl_x509_chain_from_der(der, lens, n, &c->peer_chain, text,
				   sizeof(text)))
		return pl_tls_fail(c, PL_ALERT_BAD_CERTIFICATE,
				   "server certificate does not parse: %s", text);
	pl_x509_info_t info;
	if (pl_x509_chain_info(c->peer_chain, 0, &info) == PL_OK)
		/* An empty subject (names in the SAN only) is not shown
		 * as ''. */
		pl_tls_trace(c, PL_STEP_CERTIFICATE,
			     "Certificate received: %zu certificate%s; the "
			     "server's is %s%s%sfor %s, issued by '%s'",
			     n, n == 1 ? "" : "s",
			     info.subject[0] != '\0' ? "'" : "", info.subject,
			     info.subject[0] != '\0' ? "' " : "", info.names,
			     info.issuer);
	return verify_chain(c);
}
