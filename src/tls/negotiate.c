/*
 * The server's version negotiation (RFC 8446 4.2.1): the first
 * ClientHello is parsed once, the version is picked from it, and the
 * parsed hello goes to that version's state machine. TLS 1.3 is the only
 * version padlock speaks so far; another version is another machine here.
 */
#include "tls/tls_int.h"

int pl_tls_server_pick_version(pl_tls_conn_t *c,
			       const pl_msg_client_hello_t *ch,
			       uint16_t *version)
{
	/* RFC 8446 4.2.1 (RFC 9846 4.3.1, E.2): without supported_versions
	 * the client offers legacy_version, TLS 1.2 or older, below this
	 * server's highest version. A client that signals it fell back to
	 * it (RFC 7507 3) learns that it need not have. */
	bool fallback = pl_u16_list_has(&ch->suites, PL_TLS_FALLBACK_SCSV);
	if (!pl_exts_has(&ch->ext, PL_EXT_SUPPORTED_VERSIONS) && fallback)
		return pl_tls_fail(c, PL_ALERT_INAPPROPRIATE_FALLBACK,
				   "the client fell back to %s (TLS_FALLBACK_SCSV) "
				   "although this server speaks TLS 1.3",
				   pl_tls_version_name(ch->legacy_version));
	if (!pl_exts_has(&ch->ext, PL_EXT_SUPPORTED_VERSIONS))
		return pl_tls_fail(c, PL_ALERT_PROTOCOL_VERSION,
				   "the client offers only TLS 1.2 or older "
				   "(no supported_versions); this server "
				   "speaks TLS 1.3");
	/* Unknown and draft versions in the list are ignored. */
	if (!pl_u16_list_has(&ch->ext.versions, PL_TLS_VERSION_13))
		return pl_tls_fail(c, PL_ALERT_PROTOCOL_VERSION,
				   "the client does not offer TLS 1.3");
	*version = PL_TLS_VERSION_13;
	return PL_OK;
}

int pl_tls_server_negotiate(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	uint16_t version;
	int ret = pl_tls_server_pick_version(c, &m->u.client_hello, &version);
	if (ret)
		return ret;
	c->machine = &pl_tls13_server_machine;
	c->machine_state = SV13_START;
	return pl_tls_machine_run(c, m);
}
