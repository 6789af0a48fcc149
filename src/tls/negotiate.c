/*
 * The server's version negotiation (RFC 8446 4.2.1, RFC 9846 4.3.1 and
 * E.2): the first ClientHello is parsed once, the version is picked from
 * it within the config's range, and the parsed hello goes to that
 * version's state machine (TLS 1.3 or TLS 1.2).
 */
#include "tls/tls_int.h"

/* The highest version the client offers that padlock knows (unknown,
 * draft and GREASE values in supported_versions are ignored), and the
 * version this server speaks with it (0: none). */
static void client_versions(const pl_tls_config_t *cfg,
			    const pl_msg_client_hello_t *ch,
			    uint16_t *client_max, uint16_t *chosen)
{
	*client_max = 0;
	*chosen = 0;
	if (!pl_exts_has(&ch->ext, PL_EXT_SUPPORTED_VERSIONS)) {
		/* RFC 8446 D.2 (RFC 9846 E.2): legacy_version, capped at
		 * TLS 1.2, is what such a client offers. */
		uint16_t v = ch->legacy_version;
		*client_max = v > PL_TLS_VERSION_12 ? PL_TLS_VERSION_12 : v;
		if (pl_tls_config_speaks(cfg, *client_max))
			*chosen = *client_max;
		return;
	}
	for (size_t i = 0; i < ch->ext.versions.n; i++) {
		uint16_t v = pl_u16_list_at(&ch->ext.versions, i);
		if (v >> 8 != 0x03 || v > PL_TLS_VERSION_13)
			continue;
		if (v > *client_max)
			*client_max = v;
		if (pl_tls_config_speaks(cfg, v) && v > *chosen)
			*chosen = v;
	}
}

static const char *range_name(const pl_tls_config_t *cfg)
{
	bool tls13 = pl_tls_config_speaks(cfg, PL_TLS_VERSION_13);
	bool tls12 = pl_tls_config_speaks(cfg, PL_TLS_VERSION_12);
	if (tls13 && tls12)
		return "TLS 1.2 and 1.3";
	return tls13 ? "TLS 1.3" : "TLS 1.2";
}

/* The highest version this server speaks. */
static uint16_t highest(const pl_tls_config_t *cfg)
{
	return pl_tls_config_speaks(cfg, PL_TLS_VERSION_13) ? PL_TLS_VERSION_13
							    : PL_TLS_VERSION_12;
}

int pl_tls_server_pick_version(pl_tls_conn_t *c,
			       const pl_msg_client_hello_t *ch,
			       uint16_t *version)
{
	const pl_tls_config_t *cfg = c->cfg;
	bool has_versions = pl_exts_has(&ch->ext, PL_EXT_SUPPORTED_VERSIONS);
	uint16_t client_max, chosen;
	client_versions(cfg, ch, &client_max, &chosen);
	/* RFC 7507 3: a client that signals it fell back below this
	 * server's highest version learns that it need not have. */
	if (pl_u16_list_has(&ch->suites, PL_TLS_FALLBACK_SCSV) &&
	    client_max < highest(cfg))
		return pl_tls_fail(c, PL_ALERT_INAPPROPRIATE_FALLBACK,
				   "the client fell back to %s (TLS_FALLBACK_SCSV) "
				   "although this server speaks %s",
				   pl_tls_version_name(client_max),
				   pl_tls_version_name(highest(cfg)));
	if (chosen != 0) {
		*version = chosen;
		return PL_OK;
	}
	if (!has_versions)
		return pl_tls_fail(c, PL_ALERT_PROTOCOL_VERSION,
				   "the client offers only %s (no "
				   "supported_versions); this server speaks %s",
				   client_max >= PL_TLS_VERSION_12
					   ? "TLS 1.2 or older"
					   : pl_tls_version_name(client_max),
				   range_name(cfg));
	return pl_tls_fail(c, PL_ALERT_PROTOCOL_VERSION,
			   "the client does not offer %s", range_name(cfg));
}

int pl_tls_server_negotiate(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	uint16_t version;
	int ret = pl_tls_server_pick_version(c, &m->u.client_hello, &version);
	if (ret)
		return ret;
	if (version == PL_TLS_VERSION_13) {
		c->machine = &pl_tls13_server_machine;
		c->machine_state = SV13_START;
	} else {
		c->machine = &pl_tls12_server_machine;
		c->machine_state = SV12_START;
	}
	return pl_tls_machine_run(c, m);
}
