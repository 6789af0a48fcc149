/*
 * TLS 1.2 session tickets (RFC 5077, with RFC 7627 5.3): the server's
 * NewSessionTicket and its judgement of a ClientHello's ticket; the
 * client's offer of a saved 1.2 session and its recognition of the
 * abbreviated handshake (RFC 5246 7.3).
 *
 * Tickets are sealed with the same keys as TLS 1.3's (ticket_keys.c) and
 * issued only for sessions with the extended master secret (RFC 7627
 * 5.3). A ticket that does not open or does not fit this connection
 * (another version, suite, SNI, ALPN or certificate, no extended master
 * secret then or now, expired) gives a full handshake, never an error.
 * No session id is cached: a session id alone gets a full handshake.
 */
#include <stdlib.h>
#include <string.h>

#include "tls/tls_int.h"

void pl_tls_chain_tag(const pl_tls_conn_t *c,
		      uint8_t out[PL_TLS_CHAIN_TAG_LEN])
{
	uint8_t digest[PL_HASH_MAX];
	const uint8_t *der = NULL;
	size_t len = 0;
	memset(out, 0, PL_TLS_CHAIN_TAG_LEN);
	if (c->own == NULL || c->own->chain == NULL ||
	    (der = pl_x509_chain_der(c->own->chain, 0, &len)) == NULL ||
	    pl_hash_once(PL_HASH_SHA256, der, len, digest))
		return;
	memcpy(out, digest, PL_TLS_CHAIN_TAG_LEN);
}

/* ---- server ------------------------------------------------------------- */

/* Why the ticket in s does not fit this connection, or NULL. */
static const char *misfit(const pl_tls_conn_t *c,
			  const pl_tls_session_state_t *s)
{
	if (s->version != PL_TLS_VERSION_12 ||
	    s->secret_len != PL_TLS12_MASTER_LEN)
		return "it is for another version";
	if (s->suite != c->suite)
		return "it is for another cipher suite";
	/* RFC 7627 5.3: never resume a session without the extended master
	 * secret, nor one with it without it now */
	if (!s->ems)
		return "its session did not use the extended master secret";
	if (!c->hs->ems)
		return "this ClientHello does not offer the extended master "
		       "secret";
	return pl_tls_ticket_misfit(c, s);
}

int pl_tls12_server_ticket(pl_tls_conn_t *c, const pl_msg_client_hello_t *ch)
{
	const pl_tls_config_t *cfg = c->cfg;
	const pl_reader_t *ticket = &ch->ext.session_ticket;
	pl_tls_session_state_t s;
	const char *why = "no ticket key opens it";
	c->hs->ticket_ext = false;
	if (!pl_exts_has(&ch->ext, PL_EXT_SESSION_TICKET) || cfg->tickets == 0 ||
	    pl_tls_ticket_keys_count(cfg->ticket_keys) == 0)
		return PL_OK;
	/* RFC 7627 5.3: tickets only for sessions with the extended master
	 * secret */
	c->hs->ticket_ext = c->hs->ems;
	if (pl_reader_left(ticket) == 0)
		return PL_OK;
	if (pl_tls_ticket_open(cfg->ticket_keys, ticket->p,
			       pl_reader_left(ticket), &s) == PL_OK &&
	    (why = misfit(c, &s)) == NULL) {
		memcpy(c->hs->master_secret, s.secret, PL_TLS12_MASTER_LEN);
		c->resumed = true;
		/* A ticket under a key that no longer seals is renewed
		 * under the current one (RFC 5077 3.3), with the same
		 * creation time: the session ends when it would have. */
		c->hs->ticket_ext = s.old_key;
		c->hs->ticket_created = s.created;
		c->hs->ticket_lifetime = s.lifetime;
	}
	if (!c->resumed)
		pl_tls_trace(c, PL_STEP_CLIENT_HELLO,
			     "the client offered a ticket; full handshake: %s",
			     why);
	pl_cleanse(&s, sizeof(s));
	return PL_OK;
}

static int seal_ticket(pl_tls_conn_t *c, pl_tls_session_state_t *s,
		       pl_buf_t *ticket)
{
	uint8_t nonce[PL_AEAD_NONCE_LEN];
	int ret;
	memset(s, 0, sizeof(*s));
	s->version = PL_TLS_VERSION_12;
	s->suite = c->suite;
	s->ems = c->hs->ems;
	if (c->resumed) {
		s->created = c->hs->ticket_created;
		s->lifetime = c->hs->ticket_lifetime;
	} else {
		s->created = c->now > 0 ? (uint64_t)c->now : 0;
		s->lifetime = c->cfg->ticket_lifetime;
	}
	memcpy(s->secret, c->hs->master_secret, PL_TLS12_MASTER_LEN);
	s->secret_len = PL_TLS12_MASTER_LEN;
	if (c->server_name)
		strcpy(s->sni, c->server_name);
	if (c->alpn)
		strcpy(s->alpn, c->alpn);
	pl_tls_chain_tag(c, s->cert_tag);
	if ((ret = pl_tls_random(c, PL_TLS_RANDOM_TICKET, nonce,
				 sizeof(nonce))))
		return ret;
	return pl_tls_ticket_seal(c->cfg->ticket_keys, s, nonce, ticket);
}

int pl_tls12_send_ticket(pl_tls_conn_t *c)
{
	pl_msg_new_session_ticket_t m;
	pl_tls_session_state_t s;
	pl_buf_t ticket = PL_BUF_INIT;
	int ret;
	if (!c->hs->ticket_ext)
		return PL_OK;
	ret = seal_ticket(c, &s, &ticket);
	memset(&m, 0, sizeof(m));
	m.version = PL_TLS_VERSION_12;
	/* RFC 5077 3.3: the lifetime hint, seconds from now */
	uint64_t now = c->now > 0 ? (uint64_t)c->now : 0;
	uint64_t age = now > s.created ? now - s.created : 0;
	m.lifetime = age < s.lifetime ? (uint32_t)(s.lifetime - age) : 0;
	pl_cleanse(&s, sizeof(s));
	if (ret) {
		pl_buf_free(&ticket);
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "could not make a session ticket");
	}
	pl_reader_init(&m.ticket, pl_buf_head(&ticket), pl_buf_size(&ticket));
	pl_tls_hs_begin(c, PL_HS_NEW_SESSION_TICKET);
	pl_msg_new_session_ticket_write(&c->hs_out, &m);
	pl_buf_free(&ticket);
	if ((ret = pl_tls_hs_end(c)))
		return ret;
	c->hs->ticket_ext = false;
	pl_tls_trace(c, PL_STEP_SESSION_TICKET,
		     "NewSessionTicket sent (%s, lifetime hint %u s)",
		     c->resumed ? "renewed under the current key" : "TLS 1.2",
		     m.lifetime);
	return PL_OK;
}

/* ---- client ------------------------------------------------------------- */

void pl_tls12_client_ticket_ext(pl_tls_conn_t *c, pl_tls_exts_t *e)
{
	const pl_tls_ticket_t *t = &c->offer;
	bool ok = t->ticket != NULL && t->version == PL_TLS_VERSION_12;
	bool suite_ok = false;
	for (size_t i = 0; ok && i < c->cfg->n_suites12; i++)
		suite_ok |= c->cfg->suites12[i] == t->suite;
	/* RFC 5077 3.4: the ticket goes with a session id (the random one
	 * every ClientHello of ours has) that a resuming server echoes */
	c->hs->ticket12_offered = ok && suite_ok && c->hs->session_id_len > 0;
	if (c->hs->ticket12_offered)
		pl_reader_init(&e->session_ticket, t->ticket, t->ticket_len);
	else
		pl_reader_init(&e->session_ticket, (const uint8_t *)"", 0);
	pl_exts_add(e, PL_EXT_SESSION_TICKET);
}

int pl_tls12_client_resume(pl_tls_conn_t *c, const pl_msg_server_hello_t *sh)
{
	const pl_tls_ticket_t *t = &c->offer;
	/* RFC 5246 7.4.1.3: the resumed session's suite */
	if (sh->suite != t->suite)
		return pl_tls_fail(c, PL_ALERT_HANDSHAKE_FAILURE,
				   "the server resumes the session with %s, "
				   "but the session is %s",
				   pl_tls_suite_name(sh->suite),
				   pl_tls_suite_name(t->suite));
	/* RFC 7627 5.3: the extended master secret as in the session */
	if (c->hs->ems != t->ems)
		return pl_tls_fail(c, PL_ALERT_HANDSHAKE_FAILURE,
				   "the server resumes a session %s the "
				   "extended master secret %s it",
				   t->ems ? "that used" : "that did not use",
				   c->hs->ems ? "with" : "without");
	memcpy(c->hs->master_secret, t->psk, PL_TLS12_MASTER_LEN);
	if (pl_tls12_key_block(c))
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
				   "key schedule failed");
	c->resumed = true;
	return PL_OK;
}

int pl_tls12_handle_ticket(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	const pl_msg_new_session_ticket_t *nst = &m->u.new_session_ticket;
	const pl_reader_t *ticket = &nst->ticket;
	/* RFC 5077 3.3: only after a ServerHello with session_ticket */
	if (!c->hs->ticket_ext)
		return pl_tls_unexpected(c, m->type);
	c->hs->ticket_ext = false;
	/* an empty ticket: the server issues none after all */
	if (pl_reader_left(ticket) == 0)
		return PL_OK;
	pl_tls_ticket_t *t = pl_tls_keep_ticket(c, PL_TLS_VERSION_12, ticket,
						nst->lifetime);
	if (t == NULL)
		return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR, "out of memory");
	t->ems = c->hs->ems;
	memcpy(t->psk, c->hs->master_secret, PL_TLS12_MASTER_LEN);
	c->tickets_seen++;
	pl_tls_trace(c, PL_STEP_SESSION_TICKET,
		     "NewSessionTicket received (lifetime hint %u s) and kept "
		     "for resumption",
		     nst->lifetime);
	return PL_OK;
}
