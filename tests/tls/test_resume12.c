/*
 * TLS 1.2 session tickets in memory (src/tls/resume12.c, RFC 5077, RFC
 * 7627 5.3): a padlock client keeps a padlock server's ticket and resumes
 * with the abbreviated handshake; every ticket that does not fit falls
 * back to a full handshake; a server that resumes with another suite or
 * extended master secret state is refused. Also the certificate check of
 * both versions: a ticket made under a certificate no longer served gives
 * a full handshake. Clocks are passed in.
 */
#include "engine_pair.h"

static time_t T0;

static const char *const chains[] = {"a", "b", NULL};

typedef struct {
	pl_tls_config_t *ccfg, *scfg;
	uint8_t *session;
	size_t session_len;
} world_t;

/* A TLS 1.2 client (1.3 too when both) and a server (ALPN h2), one full
 * handshake to a.test at T0, its session kept. */
static bool world_new(world_t *w, bool both)
{
	ep_pair_t p;
	memset(w, 0, sizeof(*w));
	w->ccfg = ep_client_config();
	w->scfg = ep_server_config(chains);
	CHECK(pl_tls_config_set_alpn(w->ccfg, "h2,http/1.1") == PL_OK);
	CHECK(pl_tls_config_set_alpn(w->scfg, "h2") == PL_OK);
	CHECK(pl_tls_config_set_versions(w->ccfg, PL_TLS_VERSION_12,
					 both ? PL_TLS_VERSION_13
					      : PL_TLS_VERSION_12) == PL_OK);
	ep_pair_new(&p, w->ccfg, w->scfg, "a.test");
	pl_tls_conn_set_time(p.client, T0);
	pl_tls_conn_set_time(p.server, T0);
	bool ok = ep_handshake(&p) && !pl_tls_resumed(p.client) &&
		  !pl_tls_resumed(p.server);
	CHECK(ok);
	CHECK_EQ_INT(pl_tls_version(p.client),
		     both ? PL_TLS_VERSION_13 : PL_TLS_VERSION_12);
	CHECK_EQ_INT(pl_tls_ticket_count(p.client), both ? 2 : 1);
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

/* A server config like w's (ALPN alpn, chains names) sharing its keys. */
static pl_tls_config_t *sibling(world_t *w, const char *alpn,
				const char *const *names)
{
	pl_tls_config_t *cfg = ep_server_config(names);
	CHECK(pl_tls_config_set_alpn(cfg, alpn) == PL_OK);
	pl_tls_config_set_ticket_keys(
		cfg, pl_tls_ticket_keys_dup(pl_tls_config_ticket_keys(w->scfg)));
	return cfg;
}

static void second(world_t *w, ep_pair_t *p, const pl_tls_config_t *scfg,
		   time_t now)
{
	ep_pair_new(p, w->ccfg, scfg, "a.test");
	pl_tls_conn_set_time(p->client, now);
	pl_tls_conn_set_time(p->server, now);
	CHECK(pl_tls_session_load(p->client, w->session, w->session_len) ==
	      PL_OK);
}

/* Resumes, or with want false falls back to a full handshake; either way
 * data flows and the pair is freed. */
static void expect(ep_pair_t *p, bool want)
{
	CHECK(ep_handshake(p));
	CHECK_MSG(pl_tls_resumed(p->client) == want &&
			  pl_tls_resumed(p->server) == want,
		  "resumed: client %d server %d, wanted %d",
		  pl_tls_resumed(p->client), pl_tls_resumed(p->server), want);
	CHECK((pl_tls_peer_chain(p->client) == NULL) == want);
	CHECK(ep_send(p, true, "ping", 4) && ep_send(p, false, "pong", 4));
	ep_pair_free(p);
}

static void resumes_with_an_abbreviated_handshake(void)
{
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, false))
		goto out;
	second(&w, &p, w.scfg, T0 + 60);
	CHECK(ep_handshake(&p) && pl_tls_resumed(p.client) &&
	      pl_tls_resumed(p.server));
	CHECK_EQ_INT(pl_tls_version(p.client), PL_TLS_VERSION_12);
	CHECK(strcmp(pl_tls_alpn(p.client), "h2") == 0);
	/* the ticket is still good: no new one */
	CHECK_EQ_INT(pl_tls_ticket_count(p.client), 0);
	CHECK(ep_send(&p, true, "ping", 4) && ep_send(&p, false, "pong", 4));
	ep_pair_free(&p);
	/* a client that speaks 1.3 too offers the 1.2 session */
	pl_tls_config_t *both = ep_client_config();
	CHECK(pl_tls_config_set_alpn(both, "h2") == PL_OK);
	pl_tls_config_t *only12 = sibling(&w, "h2", chains);
	CHECK(pl_tls_config_set_versions(only12, PL_TLS_VERSION_12,
					 PL_TLS_VERSION_12) == PL_OK);
	ep_pair_new(&p, both, only12, "a.test");
	pl_tls_conn_set_time(p.client, T0 + 5);
	pl_tls_conn_set_time(p.server, T0 + 5);
	CHECK(pl_tls_session_load(p.client, w.session, w.session_len) ==
	      PL_OK);
	expect(&p, true);
	/* and a 1.3 server answers it with a full 1.3 handshake */
	ep_pair_new(&p, both, w.scfg, "a.test");
	CHECK(pl_tls_session_load(p.client, w.session, w.session_len) ==
	      PL_OK);
	CHECK(ep_handshake(&p) && !pl_tls_resumed(p.client));
	CHECK_EQ_INT(pl_tls_version(p.client), PL_TLS_VERSION_13);
	ep_pair_free(&p);
	pl_tls_config_free(both);
	pl_tls_config_free(only12);
out:
	world_free(&w);
}

static void expired_ticket_gets_a_full_handshake(void)
{
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, false))
		goto out;
	second(&w, &p, w.scfg, T0 + 86400);
	expect(&p, true);
	second(&w, &p, w.scfg, T0 + 86400);
	pl_tls_conn_set_time(p.server, T0 + 86401);
	expect(&p, false);
	/* a server clock before the ticket was made */
	second(&w, &p, w.scfg, T0);
	pl_tls_conn_set_time(p.server, T0 - 1);
	expect(&p, false);
out:
	world_free(&w);
}

/* A full handshake when the server has other keys; the same keys in
 * another process resume (a fleet). */
static void unknown_key_gets_a_full_handshake(void)
{
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, false))
		goto out;
	pl_tls_config_t *other = ep_server_config(chains);
	CHECK(pl_tls_config_set_alpn(other, "h2") == PL_OK);
	second(&w, &p, other, T0 + 10);
	expect(&p, false);
	pl_tls_config_set_ticket_keys(
		other, pl_tls_ticket_keys_dup(pl_tls_config_ticket_keys(w.scfg)));
	second(&w, &p, other, T0 + 10);
	expect(&p, true);
	pl_tls_config_free(other);
out:
	world_free(&w);
}

/* RFC 5077 3.3: a ticket under a key that no longer seals resumes and is
 * renewed under the current key, which alone then opens it. */
static void rotated_key_renews_the_ticket(void)
{
	static const uint8_t secrets[2][32] = {{1}, {2}};
	world_t w;
	ep_pair_t p;
	uint8_t *renewed = NULL;
	size_t renewed_len = 0;
	uint32_t hint = 0, early;
	memset(&w, 0, sizeof(w));
	w.ccfg = ep_client_config();
	CHECK(pl_tls_config_set_versions(w.ccfg, PL_TLS_VERSION_12,
					 PL_TLS_VERSION_12) == PL_OK);
	pl_tls_config_t *old = ep_server_config(chains);
	pl_tls_config_set_ticket_keys(old, pl_tls_ticket_keys_list(secrets + 1, 1));
	pl_tls_config_t *both = ep_server_config(chains);
	pl_tls_config_set_ticket_keys(both, pl_tls_ticket_keys_list(secrets, 2));
	pl_tls_config_t *fresh = ep_server_config(chains);
	pl_tls_config_set_ticket_keys(fresh, pl_tls_ticket_keys_list(secrets, 1));
	w.scfg = old;
	ep_pair_new(&p, w.ccfg, old, "a.test");
	pl_tls_conn_set_time(p.client, T0);
	pl_tls_conn_set_time(p.server, T0);
	CHECK(ep_handshake(&p));
	CHECK(pl_tls_session_save(p.client, &w.session, &w.session_len) ==
	      PL_OK);
	ep_pair_free(&p);
	second(&w, &p, fresh, T0 + 100);
	expect(&p, false);
	second(&w, &p, both, T0 + 100);
	CHECK(ep_handshake(&p) && pl_tls_resumed(p.server));
	CHECK_EQ_INT(pl_tls_ticket_count(p.client), 1);
	/* the hint is what is left of the session's lifetime */
	CHECK(pl_tls_ticket_info(p.client, &hint, &early));
	CHECK_EQ_INT(hint, 86400 - 100);
	CHECK(pl_tls_session_save(p.client, &renewed, &renewed_len) == PL_OK);
	ep_pair_free(&p);
	free(w.session);
	w.session = renewed;
	w.session_len = renewed_len;
	second(&w, &p, fresh, T0 + 200);
	expect(&p, true);
	/* renewal keeps the creation time: the session still ends a day
	 * after the full handshake */
	second(&w, &p, fresh, T0 + 86401);
	expect(&p, false);
	pl_tls_config_free(both);
	pl_tls_config_free(fresh);
	world_free(&w);
}

static void damaged_ticket_gets_a_full_handshake(void)
{
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, false))
		goto out;
	second(&w, &p, w.scfg, T0 + 10);
	p.client->offer.ticket_len -= 1; /* truncated */
	expect(&p, false);
	second(&w, &p, w.scfg, T0 + 10);
	p.client->offer.ticket_len = 10; /* shorter than any ticket */
	expect(&p, false);
	second(&w, &p, w.scfg, T0 + 10);
	p.client->offer.ticket[30] ^= 0x80; /* forged */
	expect(&p, false);
	second(&w, &p, w.scfg, T0 + 10);
	p.client->offer.ticket[0] ^= 0x80; /* unknown key id */
	expect(&p, false);
out:
	world_free(&w);
}

/* The client's offer replaced by a ticket sealed with the server's keys
 * over the saved session's state changed by change. */
static void reseal(ep_pair_t *p, const pl_tls_config_t *scfg,
		   void (*change)(pl_tls_session_state_t *))
{
	static const uint8_t nonce[PL_AEAD_NONCE_LEN] = {7};
	const pl_tls_ticket_keys_t *k = scfg->ticket_keys;
	pl_tls_ticket_t *t = &p->client->offer;
	pl_tls_session_state_t s;
	pl_buf_t b = PL_BUF_INIT;
	CHECK(pl_tls_ticket_open(k, t->ticket, t->ticket_len, &s) == PL_OK);
	change(&s);
	CHECK(pl_tls_ticket_seal(k, &s, nonce, &b) == PL_OK);
	free(t->ticket);
	t->ticket_len = pl_buf_size(&b);
	t->ticket = malloc(t->ticket_len);
	CHECK(t->ticket != NULL);
	memcpy(t->ticket, pl_buf_head(&b), t->ticket_len);
	pl_buf_free(&b);
	pl_cleanse(&s, sizeof(s));
}

static void same(pl_tls_session_state_t *s) { (void)s; }
static void no_ems(pl_tls_session_state_t *s) { s->ems = false; }
static void tls13(pl_tls_session_state_t *s) { s->version = PL_TLS_VERSION_13; }
static void other_suite(pl_tls_session_state_t *s)
{
	s->suite = PL_TLS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256;
}
static void other_sni(pl_tls_session_state_t *s) { strcpy(s->sni, "b.test"); }
static void other_alpn(pl_tls_session_state_t *s) { strcpy(s->alpn, "http/1.1"); }
static void other_cert(pl_tls_session_state_t *s) { s->cert_tag[0] ^= 1; }
static void short_secret(pl_tls_session_state_t *s) { s->secret_len = 32; }
static void long_life(pl_tls_session_state_t *s) { s->lifetime = 604800; }

/* Every field of the sealed state is checked: each change gives a full
 * handshake, never an error. */
static void every_mismatch_gets_a_full_handshake(void)
{
	static void (*const changes[])(pl_tls_session_state_t *) = {
		no_ems, tls13, other_suite, other_sni, other_alpn, other_cert,
		short_secret};
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, false))
		goto out;
	second(&w, &p, w.scfg, T0 + 10);
	reseal(&p, w.scfg, same); /* the test's own sealing resumes */
	expect(&p, true);
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		second(&w, &p, w.scfg, T0 + 10);
		reseal(&p, w.scfg, changes[i]);
		CHECK_MSG(ep_handshake(&p) && !pl_tls_resumed(p.server),
			  "change %zu resumed", i);
		ep_pair_free(&p);
	}
	/* a longer lifetime in the state does not outlast the server's */
	second(&w, &p, w.scfg, T0 + 10);
	pl_tls_conn_set_time(p.server, T0 + 86401);
	reseal(&p, w.scfg, long_life);
	expect(&p, false);
out:
	world_free(&w);
}

/* The server's answer to a client that changes its suites or ALPN. */
static void other_suite_or_alpn_gets_a_full_handshake(void)
{
	static const uint16_t aes256[] = {PL_TLS_ECDHE_ECDSA_AES_256_GCM_SHA384};
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, false))
		goto out;
	pl_tls_config_t *suite = sibling(&w, "h2", chains);
	CHECK(pl_tls_config_set_suites(suite, aes256, 1) == PL_OK);
	second(&w, &p, suite, T0 + 10);
	expect(&p, false);
	pl_tls_config_t *alpn = sibling(&w, "http/1.1", chains);
	second(&w, &p, alpn, T0 + 10);
	expect(&p, false);
	pl_tls_config_free(suite);
	pl_tls_config_free(alpn);
out:
	world_free(&w);
}

/* The client's ClientHello without extended_master_secret (type 23). */
static int drop_ems(void *arg, const pl_tls_conn_t *conn, int index,
		    const uint8_t **msg, size_t *len)
{
	static uint8_t out[4096];
	(void)arg, (void)conn, (void)index;
	if (*len > sizeof(out))
		return PL_ERR_ARG;
	memcpy(out, *msg, *len);
	if (!ep_drop_ext(out, len, PL_EXT_EXTENDED_MASTER_SECRET))
		return PL_ERR_ARG;
	*msg = out;
	return PL_OK;
}

/* RFC 7627 5.3: a ClientHello without the extended master secret does
 * not resume an EMS session (a full handshake), and gets no ticket. */
static void no_ems_now_gets_a_full_handshake(void)
{
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, false))
		goto out;
	pl_tls_config_set_client_hello(w.ccfg, drop_ems, NULL);
	second(&w, &p, w.scfg, T0 + 10);
	CHECK(ep_handshake(&p) && !pl_tls_resumed(p.server));
	CHECK(!p.server->hs && !pl_tls_resumed(p.client));
	CHECK_EQ_INT(pl_tls_ticket_count(p.client), 0);
	ep_pair_free(&p);
out:
	world_free(&w);
}

/* RFC 5246 7.4.1.3, RFC 7627 5.3 from the client's side: a server that
 * resumes with another suite, or another extended master secret state,
 * than the session's is refused with handshake_failure. */
static void client_refuses_a_changed_resumption(void)
{
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, false))
		goto out;
	second(&w, &p, w.scfg, T0 + 10);
	p.client->offer.suite = PL_TLS_ECDHE_RSA_AES_128_GCM_SHA256;
	ep_pump(&p);
	CHECK(pl_tls_failed(p.client));
	CHECK_EQ_INT(pl_tls_alert(p.client), PL_ALERT_HANDSHAKE_FAILURE);
	CHECK(strstr(pl_tls_reason(p.client), "resumes the session with") !=
	      NULL);
	ep_pair_free(&p);
	second(&w, &p, w.scfg, T0 + 10);
	p.client->offer.ems = false;
	ep_pump(&p);
	CHECK(pl_tls_failed(p.client));
	CHECK_EQ_INT(pl_tls_alert(p.client), PL_ALERT_HANDSHAKE_FAILURE);
	CHECK(strstr(pl_tls_reason(p.client), "extended master secret") !=
	      NULL);
	ep_pair_free(&p);
out:
	world_free(&w);
}

/* Tickets off: no session_ticket answered, none sent, none resumed. */
static void tickets_off_sends_and_resumes_none(void)
{
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, false))
		goto out;
	CHECK(pl_tls_config_set_tickets(w.scfg, 0, 86400) == PL_OK);
	second(&w, &p, w.scfg, T0 + 10);
	CHECK(ep_handshake(&p) && !pl_tls_resumed(p.server));
	CHECK_EQ_INT(pl_tls_ticket_count(p.client), 0);
	ep_pair_free(&p);
out:
	world_free(&w);
}

/* What a ClientHello carried: its session_ticket extension's length (-1
 * without one); with replay set, the recorded ClientHello goes instead. */
typedef struct {
	uint8_t hello[4096];
	size_t len;
	long ticket_len;
	bool replay;
} hello_tap_t;

static int tap_hello(void *arg, const pl_tls_conn_t *conn, int index,
		     const uint8_t **msg, size_t *len)
{
	hello_tap_t *t = arg;
	size_t ext_len = 0;
	(void)conn, (void)index;
	if (t->replay) {
		*msg = t->hello, *len = t->len;
		return PL_OK;
	}
	if (*len > sizeof(t->hello))
		return PL_ERR_ARG;
	memcpy(t->hello, *msg, *len);
	t->len = *len;
	t->ticket_len = ep_find_ext(t->hello, t->len, PL_EXT_SESSION_TICKET,
				    &ext_len) != NULL ? (long)ext_len : -1;
	return PL_OK;
}

/* pl_tls_config_set_client_tickets12 (tls12tix's area, a getsess2
 * addition): off, the ClientHello has no session_ticket (RFC 5077 3.2),
 * offers no saved ticket and gets none; a server answering with the
 * extension all the same is refused with unsupported_extension. */
static void client_tickets_off_leaves_the_extension_out(void)
{
	world_t w;
	ep_pair_t p;
	hello_tap_t tap = {.ticket_len = -2};
	if (!world_new(&w, false))
		goto out;
	pl_tls_config_set_client_hello(w.ccfg, tap_hello, &tap);
	pl_tls_config_set_client_tickets12(w.ccfg, false);
	second(&w, &p, w.scfg, T0 + 10);
	CHECK(ep_handshake(&p) && !pl_tls_resumed(p.client) &&
	      !pl_tls_resumed(p.server));
	CHECK_EQ_INT(tap.ticket_len, -1);
	CHECK_EQ_INT(pl_tls_ticket_count(p.client), 0);
	ep_pair_free(&p);
	/* on again (the default): the saved ticket is offered, resumed */
	pl_tls_config_set_client_tickets12(w.ccfg, true);
	second(&w, &p, w.scfg, T0 + 10);
	expect(&p, true);
	CHECK(tap.ticket_len > 0);
	/* a ClientHello of a client with tickets on (an empty extension),
	 * sent by one with them off: the server's session_ticket is refused */
	ep_pair_new(&p, w.ccfg, w.scfg, "a.test");
	CHECK(ep_handshake(&p));
	CHECK_EQ_INT(tap.ticket_len, 0);
	ep_pair_free(&p);
	tap.replay = true;
	pl_tls_config_set_client_tickets12(w.ccfg, false);
	ep_pair_new(&p, w.ccfg, w.scfg, "a.test");
	ep_pump(&p);
	CHECK(pl_tls_failed(p.client));
	CHECK_EQ_INT(pl_tls_alert(p.client), PL_ALERT_UNSUPPORTED_EXTENSION);
	CHECK(strstr(pl_tls_reason(p.client), "session_ticket was not "
		     "offered") != NULL);
	ep_pair_free(&p);
out:
	world_free(&w);
}

/* The certificate the session was made under is no longer served for
 * the name: a full handshake, in TLS 1.2 and 1.3. */
static void certificate_no_longer_served_gets_a_full_handshake(void)
{
	static const char *const replaced[] = {"a2", "b", NULL};
	static const char *const added[] = {"a", "a2", "b", NULL};
	for (int both = 0; both < 2; both++) {
		world_t w;
		ep_pair_t p;
		if (!world_new(&w, both))
			continue;
		pl_tls_config_t *next = sibling(&w, "h2", replaced);
		second(&w, &p, next, T0 + 10);
		expect(&p, false);
		pl_tls_config_t *more = sibling(&w, "h2", added);
		second(&w, &p, more, T0 + 10);
		expect(&p, true);
		pl_tls_config_free(next);
		pl_tls_config_free(more);
		world_free(&w);
	}
}

static void saved_session_bytes_are_checked(void)
{
	world_t w;
	ep_pair_t p;
	if (!world_new(&w, false))
		goto out;
	ep_pair_new(&p, w.ccfg, w.scfg, "a.test");
	for (size_t n = 0; n < w.session_len; n++)
		CHECK(pl_tls_session_load(p.client, w.session, n) ==
		      PL_ERR_DECODE);
	w.session[1] = 0x03, w.session[2] = 0x02; /* TLS 1.1 */
	CHECK(pl_tls_session_load(p.client, w.session, w.session_len) ==
	      PL_ERR_DECODE);
	ep_pair_free(&p);
out:
	world_free(&w);
}

int main(void)
{
	ep_setup();
	T0 = time(NULL);
	RUN(resumes_with_an_abbreviated_handshake);
	RUN(expired_ticket_gets_a_full_handshake);
	RUN(unknown_key_gets_a_full_handshake);
	RUN(rotated_key_renews_the_ticket);
	RUN(damaged_ticket_gets_a_full_handshake);
	RUN(every_mismatch_gets_a_full_handshake);
	RUN(other_suite_or_alpn_gets_a_full_handshake);
	RUN(no_ems_now_gets_a_full_handshake);
	RUN(client_refuses_a_changed_resumption);
	RUN(tickets_off_sends_and_resumes_none);
	RUN(client_tickets_off_leaves_the_extension_out);
	RUN(certificate_no_longer_served_gets_a_full_handshake);
	RUN(saved_session_bytes_are_checked);
	return test_finish();
}
