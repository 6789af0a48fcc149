/*
 * TLS 1.3 resumption in memory (src/tls/resume13.c): a padlock client
 * keeps a padlock server's ticket and resumes with it; every ticket that
 * does not fit falls back to a full handshake, a wrong binder fails.
 * Clocks are passed in.
 */
#include "engine_pair.h"

/* Now (the test certificates are valid for 30 days from now); each
 * test's clocks count from it. */
static time_t T0;

static const char *const chains[] = {"a", "b", NULL};

typedef struct {
	pl_tls_config_t *ccfg, *scfg;
	uint8_t *session;
	size_t session_len;
} world_t;

/* A client and a server (ALPN alpn), one full handshake to a.test at T0,
 * its session kept. */
static bool world_new(world_t *w, const char *alpn)
{
	ep_pair_t p;
	memset(w, 0, sizeof(*w));
	w->ccfg = ep_client_config();
	w->scfg = ep_server_config(chains);
	CHECK(pl_tls_config_set_alpn(w->ccfg, "h2,http/1.1") == PL_OK);
	CHECK(pl_tls_config_set_alpn(w->scfg, alpn) == PL_OK);
	CHECK(pl_tls_config_set_versions(w->ccfg, PL_TLS_VERSION_13,
					 PL_TLS_VERSION_13) == PL_OK);
	ep_pair_new(&p, w->ccfg, w->scfg, "a.test");
	pl_tls_conn_set_time(p.client, T0);
	pl_tls_conn_set_time(p.server, T0);
	bool ok = ep_handshake(&p) && !pl_tls_resumed(p.client);
	CHECK(ok);
	CHECK_EQ_INT(pl_tls_ticket_count(p.client), 2);
	/* each ticket has its own nonce (RFC 8446 4.6.1), so their PSKs
	 * differ */
	CHECK(memcmp(p.client->tickets[0].psk, p.client->tickets[1].psk,
		     PL_HASH_MAX) != 0);
	CHECK(pl_tls_session_save(p.client, &w->session, &w->session_len) ==
	      PL_OK);
	ep_pair_free(&p);
	return ok && w->session != NULL;
}

static void world_free(world_t *w)
{
	pl_tls_config_free(w->ccfg);
	pl_tls_config_free(w->scfg);
	free(w->session);
}

/* A second connection to name offering the saved session, the client at
 * client_time, the server at server_time, with server config scfg. */
static void second(world_t *w, ep_pair_t *p, const pl_tls_config_t *scfg,
		   time_t client_time, time_t server_time)
{
	ep_pair_new(p, w->ccfg, scfg, "a.test");
	pl_tls_conn_set_time(p->client, client_time);
	pl_tls_conn_set_time(p->server, server_time);
	CHECK(pl_tls_session_load(p->client, w->session, w->session_len) ==
	      PL_OK);
}

/* Resumes, or with want false falls back to a full handshake. */
static void expect(ep_pair_t *p, bool want)
{
	CHECK(ep_handshake(p));
	CHECK_MSG(pl_tls_resumed(p->client) == want &&
			  pl_tls_resumed(p->server) == want,
		  "resumed: client %d server %d, wanted %d",
		  pl_tls_resumed(p->client), pl_tls_resumed(p->server), want);
	/* a resumed handshake carries no certificate */
	CHECK((pl_tls_peer_chain(p->client) == NULL) == want);
	CHECK(ep_send(p, true, "ping", 4) && ep_send(p, false, "pong", 4));
	ep_pair_free(p);
}

static void client_resumes_with_a_ticket(void)
{
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, "h2"))
		goto out;
	second(&w, &p, w.scfg, T0 + 60, T0 + 61);
	CHECK(ep_handshake(&p) && pl_tls_resumed(p.client));
	CHECK(strcmp(pl_tls_alpn(p.client), "h2") == 0);
	/* the resumed connection gets one ticket of its own (the client
	 * still holds the first connection's other one), not the 2 a full
	 * handshake gets */
	CHECK_EQ_INT(pl_tls_ticket_count(p.client), 1);
	ep_pair_free(&p);
	second(&w, &p, w.scfg, T0 + 3600, T0 + 3600);
	expect(&p, true);
out:
	world_free(&w);
}

/* RFC 8446 4.1.2: after a HelloRetryRequest the second ClientHello
 * offers the ticket again, its binder over the new transcript. */
static void resumes_after_a_hello_retry(void)
{
	static const uint16_t p384[] = {PL_GROUP_SECP384R1};
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, "h2"))
		goto out;
	pl_tls_config_t *other = ep_server_config(chains);
	CHECK(pl_tls_config_set_alpn(other, "h2") == PL_OK);
	CHECK(pl_tls_config_set_groups(other, p384, 1) == PL_OK);
	pl_tls_config_set_ticket_keys(
		other, pl_tls_ticket_keys_dup(pl_tls_config_ticket_keys(w.scfg)));
	second(&w, &p, other, T0 + 10, T0 + 10);
	CHECK(ep_handshake(&p) && pl_tls_did_hello_retry(p.client));
	CHECK(pl_tls_resumed(p.client) && pl_tls_resumed(p.server));
	ep_pair_free(&p);
	pl_tls_config_free(other);
out:
	world_free(&w);
}

static void expired_ticket_gets_a_full_handshake(void)
{
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, "h2"))
		goto out;
	/* the server's clock says a day and a second: past the lifetime */
	second(&w, &p, w.scfg, T0 + 86401 - 5, T0 + 86401);
	expect(&p, false);
out:
	world_free(&w);
}

static void age_out_of_window_gets_a_full_handshake(void)
{
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, "h2"))
		goto out;
	second(&w, &p, w.scfg, T0 + 100, T0 + 100 + 11);
	expect(&p, false);
	second(&w, &p, w.scfg, T0 + 100, T0 + 100 + 9);
	expect(&p, true);
out:
	world_free(&w);
}

static void rotated_out_key_gets_a_full_handshake(void)
{
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, "h2"))
		goto out;
	pl_tls_config_t *other = ep_server_config(chains);
	CHECK(pl_tls_config_set_alpn(other, "h2") == PL_OK);
	second(&w, &p, other, T0 + 10, T0 + 10);
	expect(&p, false);
	/* the same keys in another process (a fleet) resume */
	pl_tls_config_set_ticket_keys(
		other, pl_tls_ticket_keys_dup(pl_tls_config_ticket_keys(w.scfg)));
	second(&w, &p, other, T0 + 10, T0 + 10);
	expect(&p, true);
	pl_tls_config_free(other);
out:
	world_free(&w);
}

static void changed_alpn_gets_a_full_handshake(void)
{
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, "h2"))
		goto out;
	pl_tls_config_t *other = ep_server_config(chains);
	CHECK(pl_tls_config_set_alpn(other, "http/1.1") == PL_OK);
	pl_tls_config_set_ticket_keys(
		other, pl_tls_ticket_keys_dup(pl_tls_config_ticket_keys(w.scfg)));
	second(&w, &p, other, T0 + 10, T0 + 10);
	expect(&p, false);
	pl_tls_config_free(other);
out:
	world_free(&w);
}

/* A session is offered only to its own name; a server that gets one for
 * another name (a client that ignores this) does a full handshake. */
static void changed_sni_gets_a_full_handshake(void)
{
	world_t w;
	ep_pair_t p, q;
	if (!world_new(&w, "h2"))
		goto out;
	ep_pair_new(&p, w.ccfg, w.scfg, "b.test");
	CHECK(pl_tls_session_load(p.client, w.session, w.session_len) ==
	      PL_ERR_ARG);
	second(&w, &q, w.scfg, T0 + 10, T0 + 10);
	p.client->offer = q.client->offer; /* moved, freed with p */
	memset(&q.client->offer, 0, sizeof(q.client->offer));
	ep_pair_free(&q);
	pl_tls_conn_set_time(p.client, T0 + 10);
	pl_tls_conn_set_time(p.server, T0 + 10);
	CHECK(ep_handshake(&p) && !pl_tls_resumed(p.server));
	CHECK(strcmp(pl_tls_sni(p.server), "b.test") == 0);
	ep_pair_free(&p);
out:
	world_free(&w);
}

static void wrong_binder_is_decrypt_error(void)
{
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, "h2"))
		goto out;
	second(&w, &p, w.scfg, T0 + 10, T0 + 10);
	p.client->offer.psk[0] ^= 1;
	ep_pump(&p);
	CHECK(pl_tls_failed(p.server));
	CHECK_EQ_INT(pl_tls_alert(p.server), PL_ALERT_DECRYPT_ERROR);
	CHECK(strstr(pl_tls_reason(p.server), "binder") != NULL);
	ep_pair_free(&p);
out:
	world_free(&w);
}

static void damaged_ticket_gets_a_full_handshake(void)
{
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, "h2"))
		goto out;
	second(&w, &p, w.scfg, T0 + 10, T0 + 10);
	p.client->offer.ticket_len -= 1; /* truncated */
	expect(&p, false);
	second(&w, &p, w.scfg, T0 + 10, T0 + 10);
	p.client->offer.ticket[20] ^= 0x80; /* forged */
	expect(&p, false);
out:
	world_free(&w);
}

static void tickets_off_sends_and_resumes_none(void)
{
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, "h2"))
		goto out;
	CHECK(pl_tls_config_set_tickets(w.scfg, 0, 86400) == PL_OK);
	second(&w, &p, w.scfg, T0 + 10, T0 + 10);
	CHECK(ep_handshake(&p) && !pl_tls_resumed(p.server));
	CHECK_EQ_INT(pl_tls_ticket_count(p.client), 0);
	uint8_t *s;
	size_t n;
	CHECK(pl_tls_session_save(p.client, &s, &n) == PL_ERR_STATE);
	ep_pair_free(&p);
	CHECK(pl_tls_config_set_tickets(w.scfg, 3, 0) == PL_ERR_ARG);
	CHECK(pl_tls_config_set_tickets(w.scfg, 3, 604801) == PL_ERR_ARG);
out:
	world_free(&w);
}

/* The ClientHello offering the saved session for psk_ke alone, without
 * supported_groups and key_share (RFC 8446 4.2.9, 9.2), its binder made
 * again over the new bytes (4.2.11.2). */
static int psk_ke_only(void *arg, const pl_tls_conn_t *conn, int index,
		       const uint8_t **msg, size_t *len)
{
	static uint8_t out[4096];
	uint8_t th[PL_HASH_MAX];
	size_t n = *len, modes_len;
	pl_hash_alg_t hash;
	pl_aead_alg_t aead;
	(void)arg, (void)index;
	if (n > sizeof(out) ||
	    !pl_tls_suite_params(conn->offer.suite, &hash, &aead))
		return PL_ERR_ARG;
	memcpy(out, *msg, n);
	if (!ep_drop_ext(out, &n, PL_EXT_SUPPORTED_GROUPS) ||
	    !ep_drop_ext(out, &n, PL_EXT_KEY_SHARE))
		return PL_ERR_ARG;
	uint8_t *modes = ep_find_ext(out, n, PL_EXT_PSK_KEY_EXCHANGE_MODES,
				     &modes_len);
	if (modes == NULL || modes_len != 2)
		return PL_ERR_ARG;
	modes[1] = 0; /* psk_ke */
	size_t hl = pl_hash_len(hash);
	if (pl_hash_once(hash, out, n - 3 - hl, th) ||
	    pl_tls_psk_binder(hash, conn->offer.psk, th, out + n - hl))
		return PL_ERR_ARG;
	*msg = out;
	*len = n;
	return PL_OK;
}

/* RFC 8446 4.2.9: a ClientHello with no key share can only resume with
 * psk_ke. Not configured: handshake_failure (no mode in common, and no
 * full handshake possible). Configured: resumed, the ServerHello without
 * key_share. A ticket that does not resume: handshake_failure. */
static void psk_ke_without_key_share(void)
{
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, "h2"))
		goto out;
	pl_tls_config_set_client_hello(w.ccfg, psk_ke_only, NULL);
	second(&w, &p, w.scfg, T0 + 10, T0 + 10);
	ep_move(p.client, p.server);
	CHECK(pl_tls_failed(p.server));
	CHECK_EQ_INT(pl_tls_alert(p.server), PL_ALERT_HANDSHAKE_FAILURE);
	CHECK(strstr(pl_tls_reason(p.server), "does not allow psk_ke") != NULL);
	ep_pair_free(&p);
	pl_tls_config_set_psk_ke(w.scfg, true);
	second(&w, &p, w.scfg, T0 + 10, T0 + 10);
	ep_move(p.client, p.server);
	CHECK(!pl_tls_failed(p.server) && pl_tls_resumed(p.server));
	CHECK(p.server->hs != NULL && p.server->hs->psk_ke);
	ep_pair_free(&p);
	second(&w, &p, w.scfg, T0 + 10, T0 + 10);
	p.client->offer.ticket[20] ^= 0x80;
	ep_move(p.client, p.server);
	CHECK(pl_tls_failed(p.server));
	CHECK_EQ_INT(pl_tls_alert(p.server), PL_ALERT_HANDSHAKE_FAILURE);
	CHECK(strstr(pl_tls_reason(p.server), "does not resume") != NULL);
	ep_pair_free(&p);
out:
	world_free(&w);
}

static void saved_session_bytes_are_checked(void)
{
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, "h2"))
		goto out;
	ep_pair_new(&p, w.ccfg, w.scfg, "a.test");
	for (size_t n = 0; n < w.session_len; n++)
		CHECK(pl_tls_session_load(p.client, w.session, n) ==
		      PL_ERR_DECODE);
	ep_pair_free(&p);
out:
	world_free(&w);
}

int main(void)
{
	ep_setup();
	T0 = time(NULL);
	RUN(client_resumes_with_a_ticket);
	RUN(resumes_after_a_hello_retry);
	RUN(expired_ticket_gets_a_full_handshake);
	RUN(age_out_of_window_gets_a_full_handshake);
	RUN(rotated_out_key_gets_a_full_handshake);
	RUN(changed_alpn_gets_a_full_handshake);
	RUN(changed_sni_gets_a_full_handshake);
	RUN(wrong_binder_is_decrypt_error);
	RUN(damaged_ticket_gets_a_full_handshake);
	RUN(tickets_off_sends_and_resumes_none);
	RUN(psk_ke_without_key_share);
	RUN(saved_session_bytes_are_checked);
	return test_finish();
}
