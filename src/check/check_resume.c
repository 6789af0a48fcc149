/*
 * Session resumption, proven by reconnecting rather than read from what a
 * server announces (step 3):
 *  - TLS 1.3 tickets (RFC 8446 2.2, 4.6.1): the engine's handshake kept
 *    the newest ticket; a second handshake offers it (psk_dhe_ke).
 *  - TLS 1.2 tickets (RFC 5077): a handshake of the engine in TLS 1.2
 *    alone, then a second one that offers its ticket.
 *  - TLS 1.2 session IDs (RFC 5246 7.3): the plaintext ServerHello of that
 *    handshake names the session; a probe offers that ID and reads whether
 *    the ServerHello echoes it (an abbreviated handshake). When the
 *    server sent a ticket, the session named by a handshake whose
 *    ClientHello leaves session_ticket out (a client without tickets).
 * Resumption is a matter of speed, not of security: its findings are ok
 * or info and never change the grade.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/check_internal.h"
#include "client/probe_internal.h"
#include "padlock/crypto.h"

/* One connection of the engine, from TCP connect to a done handshake. */
struct attempt {
	pl_tls_conn_t *conn;
	pl_client_io_t io;
	int fd;
	char why[360];          /* why it failed */
};

static void attempt_end(struct attempt *a)
{
	if (a->conn != NULL && pl_tls_handshake_done(a->conn))
		/* close_notify: a server drops a session whose connection
		 * ends without one (OpenSSL does) */
		(void)pl_client_close(&a->io);
	pl_tls_conn_free(a->conn);
	a->conn = NULL;
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}

/* Connects and runs a handshake that offers session (len bytes, or
 * none); tap, if set, sees the bytes received during the handshake. */
static bool attempt_handshake(struct check_run *run, pl_tls_config_t *cfg,
			      const uint8_t *session, size_t len,
			      struct attempt *a,
			      void (*tap)(void *, const uint8_t *, size_t),
			      void *tap_arg)
{
	pl_check_result_t *r = run->r;
	int timeout = check_timeout(run);

	memset(a, 0, sizeof *a);
	a->fd = -1;
	if (timeout <= 0) {
		snprintf(a->why, sizeof a->why, "the run's time ran out first");
		return false;
	}
	if (check_connect(r->tested_ip, r->port, timeout, &a->fd, NULL) !=
	    PL_CHECK_PORT_OPEN) {
		snprintf(a->why, sizeof a->why, "the TCP connect failed");
		return false;
	}
	a->conn = pl_tls_conn_new(cfg, run->verify_name);
	if (a->conn == NULL) {
		run->nomem = true;
		snprintf(a->why, sizeof a->why, "out of memory");
		return false;
	}
	pl_tls_conn_set_time(a->conn, run->opt.now);
	if (session != NULL && pl_tls_session_load(a->conn, session, len) !=
	    PL_OK) {
		snprintf(a->why, sizeof a->why, "padlock's engine could not "
			 "offer the session it saved");
		return false;
	}
	a->io.fd = a->fd;
	a->io.tls = a->conn;
	a->io.timeout_ms = check_timeout(run);
	a->io.on_handshake_bytes = tap;
	a->io.bytes_arg = tap_arg;
	if (a->io.timeout_ms <= 0 || pl_client_handshake(&a->io) != PL_OK) {
		snprintf(a->why, sizeof a->why, "%.300s", a->io.err[0] != '\0'
			 ? a->io.err : "the run's time ran out first");
		return false;
	}
	return true;
}

/* The engine's configuration for one version alone. */
static pl_tls_config_t *config_for(struct check_run *run, uint16_t version)
{
	pl_tls_config_t *cfg = NULL;

	if (check_engine_config(&run->opt, &cfg) != PL_OK ||
	    pl_tls_config_set_versions(cfg, version, version) != PL_OK) {
		if (cfg != NULL)
			pl_tls_config_free(cfg);
		run->nomem = true;
		return NULL;
	}
	return cfg;
}

/* A second connection offering session: YES it resumed, NO a full
 * handshake, UNCLEAR it failed (detail says why). */
static pl_check_answer_t try_session(struct check_run *run,
				     pl_tls_config_t *cfg,
				     const uint8_t *session, size_t len,
				     char *detail, size_t cap)
{
	struct attempt a;
	pl_check_answer_t answer;

	if (!attempt_handshake(run, cfg, session, len, &a, NULL, NULL)) {
		snprintf(detail, cap, "the second connection, which offered "
			 "the session, failed: %.300s", a.why);
		answer = PL_CHECK_UNCLEAR;
	} else if (pl_tls_resumed(a.conn)) {
		snprintf(detail, cap, "a second connection resumed the session "
			 "of the first");
		answer = PL_CHECK_YES;
	} else {
		snprintf(detail, cap, "a second connection offered the session "
			 "of the first and the server answered with a full "
			 "handshake");
		answer = PL_CHECK_NO;
	}
	attempt_end(&a);
	return answer;
}

/* ---- TLS 1.3 tickets ---------------------------------------------------- */

static void resume_tls13(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	pl_tls_config_t *cfg;

	if (!r->engine_handshake || run->engine_version != PL_TLS_VERSION_13) {
		snprintf(r->resume13_detail, sizeof r->resume13_detail,
			 "not tried: padlock's engine made no TLS 1.3 handshake "
			 "with the server");
		return;
	}
	if (run->session13 == NULL) {
		r->resume13 = PL_CHECK_NO;
		snprintf(r->resume13_detail, sizeof r->resume13_detail,
			 "the server sent no TLS 1.3 session ticket");
		return;
	}
	check_progress(run, PL_CHECK_STEP_PROTOCOLS,
		       "resuming with a TLS 1.3 ticket");
	if ((cfg = config_for(run, PL_TLS_VERSION_13)) == NULL)
		return;
	r->resume13 = try_session(run, cfg, run->session13,
				  run->session13_len, r->resume13_detail,
				  sizeof r->resume13_detail);
	pl_tls_config_free(cfg);
}

/* ---- TLS 1.2 tickets and session IDs ---------------------------------- */

/* What the first TLS 1.2 handshake gave: its ServerHello (read from the
 * plaintext bytes by the probe's parser), its ticket, its suite. */
struct first12 {
	pl_probe_parser_t parser;
	pl_probe_result_t hello;
	uint8_t *session;
	size_t session_len;
	uint16_t suite;
};

static void tap(void *arg, const uint8_t *data, size_t len)
{
	struct first12 *f = arg;

	/* out of memory here only costs the session-ID proof */
	(void)pl_probe_parser_feed(&f->parser, data, len);
}

static void resume_by_ticket12(struct check_run *run, pl_tls_config_t *cfg,
			       const struct first12 *f)
{
	pl_check_result_t *r = run->r;

	if (f->session != NULL) {
		check_progress(run, PL_CHECK_STEP_PROTOCOLS,
			       "resuming with a TLS 1.2 ticket");
		r->resume12_ticket = try_session(run, cfg, f->session,
			f->session_len, r->resume12_ticket_detail,
			sizeof r->resume12_ticket_detail);
	} else if (f->hello.session_ticket ||
		   r->tls12_session_ticket == PL_CHECK_YES)
		/* the probe's hello asks for a ticket; the engine's may not */
		snprintf(r->resume12_ticket_detail,
			 sizeof r->resume12_ticket_detail, "not tried: the "
			 "server accepts the session_ticket extension (RFC "
			 "5077), but padlock's engine received no ticket");
	else {
		r->resume12_ticket = PL_CHECK_NO;
		snprintf(r->resume12_ticket_detail,
			 sizeof r->resume12_ticket_detail, "the server sent no "
			 "TLS 1.2 session ticket");
	}
}

/* RFC 5246 7.4.1.2: a ClientHello with the ID of the session to resume,
 * and the suite that session used. */
static void resume_by_id12(struct check_run *run, const struct first12 *f)
{
	static const uint16_t groups[] = {
		PL_GROUP_X25519, PL_GROUP_SECP256R1, PL_GROUP_SECP384R1,
	};
	pl_check_result_t *r = run->r;
	pl_probe_offer_t offer = {
		.version = PL_TLS_VERSION_12, .suites = &f->suite, .n_suites = 1,
		.groups = groups, .n_groups = sizeof groups / sizeof groups[0],
		.sni = r->sni[0] != '\0' ? r->sni : NULL,
		.session_id = f->hello.session_id,
		.session_id_len = f->hello.session_id_len,
	};
	pl_probe_result_t res;
	char *detail = r->resume12_id_detail;
	size_t cap = sizeof r->resume12_id_detail;

	if (f->hello.outcome != PL_PROBE_ACCEPTED) {
		snprintf(detail, cap, "not tried: the ServerHello of the first "
			 "TLS 1.2 handshake could not be read");
		return;
	}
	if (f->hello.session_id_len == 0) {
		r->resume12_id = PL_CHECK_NO;
		snprintf(detail, cap, "the server named no session ID, so it "
			 "keeps no sessions to resume by ID");
		return;
	}
	check_progress(run, PL_CHECK_STEP_PROTOCOLS,
		       "resuming with a TLS 1.2 session ID");
	if (!check_probe_batch(run, &offer, &res, 1)) {
		snprintf(detail, cap, "not tried: %s", check_skip_reason(run));
		return;
	}
	if (res.outcome != PL_PROBE_ACCEPTED) {
		r->resume12_id = PL_CHECK_UNCLEAR;
		snprintf(detail, cap, "a second ClientHello offering the session "
			 "ID got no ServerHello: %.200s", res.detail);
	} else if (res.resumed) {
		r->resume12_id = PL_CHECK_YES;
		snprintf(detail, cap, "a second ClientHello offering the session "
			 "ID of the first handshake resumed that session");
	} else {
		r->resume12_id = PL_CHECK_NO;
		snprintf(detail, cap, "a second ClientHello offering the session "
			 "ID of the first handshake got a full handshake");
	}
	pl_probe_result_free(&res);
}

/* A TLS 1.2 handshake of the engine whose ServerHello tap reads into f;
 * false (why says why) when it failed. */
static bool first_handshake12(struct check_run *run, pl_tls_config_t *cfg,
			      struct first12 *f, struct attempt *a)
{
	pl_probe_parser_init(&f->parser, PL_TLS_VERSION_12, false, &f->hello);
	return attempt_handshake(run, cfg, NULL, 0, a, tap, f);
}

static void first12_free(struct first12 *f)
{
	pl_probe_parser_free(&f->parser);
	pl_probe_result_free(&f->hello);
	if (f->session != NULL) {
		pl_cleanse(f->session, f->session_len);
		free(f->session);
	}
}

/* RFC 5077 3.4: a server that sends a ticket may leave the session ID
 * empty (OpenSSL does), or name one it keeps no session for (GnuTLS). A
 * ClientHello without the extension gets the session a client without
 * tickets would, so the session-ID proof starts from that handshake. */
static void resume_by_id12_without_tickets(struct check_run *run,
					   pl_tls_config_t *cfg)
{
	pl_check_result_t *r = run->r;
	struct first12 g;
	struct attempt a;

	memset(&g, 0, sizeof g);
	pl_tls_config_set_client_tickets12(cfg, false);
	check_progress(run, PL_CHECK_STEP_PROTOCOLS,
		       "a TLS 1.2 handshake without session_ticket");
	if (!first_handshake12(run, cfg, &g, &a)) {
		r->resume12_id = PL_CHECK_UNCLEAR;
		snprintf(r->resume12_id_detail, sizeof r->resume12_id_detail,
			 "not tried: a TLS 1.2 handshake without the "
			 "session_ticket extension failed: %.200s", a.why);
	} else {
		g.suite = pl_tls_suite(a.conn);
		attempt_end(&a);
		resume_by_id12(run, &g);
	}
	attempt_end(&a);
	first12_free(&g);
}

static bool tls12_left_out(const struct check_run *run)
{
	const pl_check_opts_t *o = &run->opt;

	return (o->tls_min != 0 && o->tls_min > PL_TLS_VERSION_12) ||
	       (o->tls_max != 0 && o->tls_max < PL_TLS_VERSION_12);
}

static void not_tried12(pl_check_result_t *r, const char *why)
{
	snprintf(r->resume12_ticket_detail, sizeof r->resume12_ticket_detail,
		 "not tried: %.370s", why);
	snprintf(r->resume12_id_detail, sizeof r->resume12_id_detail,
		 "not tried: %.370s", why);
}

static void resume_tls12(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	struct first12 f;
	struct attempt a;
	uint32_t early_data = 0;
	pl_tls_config_t *cfg;

	if (r->protocols[3].accepted != PL_CHECK_YES) {
		not_tried12(r, "the server does not accept TLS 1.2");
		return;
	}
	if (tls12_left_out(run)) {
		not_tried12(r, "--tls-versions leaves TLS 1.2 out");
		return;
	}
	if ((cfg = config_for(run, PL_TLS_VERSION_12)) == NULL)
		return;
	memset(&f, 0, sizeof f);
	check_progress(run, PL_CHECK_STEP_PROTOCOLS,
		       "a TLS 1.2 handshake with padlock's engine");
	if (!first_handshake12(run, cfg, &f, &a)) {
		char why[400];
		snprintf(why, sizeof why, "a TLS 1.2 handshake with padlock's "
			 "engine failed: %.300s", a.why);
		not_tried12(r, why);
		goto out;
	}
	f.suite = pl_tls_suite(a.conn);
	if (pl_tls_session_save(a.conn, &f.session, &f.session_len) != PL_OK)
		f.session = NULL;
	else if (!pl_tls_ticket_info(a.conn, &r->tls12_ticket_lifetime,
				     &early_data))
		r->tls12_ticket_lifetime = 0;
	r->tls12_ticket_received = f.session != NULL;
	attempt_end(&a);
	resume_by_ticket12(run, cfg, &f);
	if (f.hello.outcome == PL_PROBE_ACCEPTED &&
	    (f.session != NULL || f.hello.session_ticket))
		resume_by_id12_without_tickets(run, cfg);
	else
		resume_by_id12(run, &f);
out:
	attempt_end(&a);
	first12_free(&f);
	pl_tls_config_free(cfg);
}

/* ---- findings -------------------------------------------------------------- */

#define SHARE_KEYS_FIX \
	"if several servers answer for the name, give them the same ticket " \
	"keys (nginx 'ssl_session_ticket_key', padlock serve " \
	"'--ticket-key-file'); otherwise check that the server keeps its " \
	"keys for the lifetime it announces"

/* "2 hours", "7 days", "90 s": a ticket's lifetime for people. */
static void lifetime_text(uint32_t s, char *out, size_t cap)
{
	if (s >= 86400 && s % 86400 == 0)
		snprintf(out, cap, "%u day%s", s / 86400, s == 86400 ? "" : "s");
	else if (s >= 3600 && s % 3600 == 0)
		snprintf(out, cap, "%u hour%s", s / 3600, s == 3600 ? "" : "s");
	else if (s >= 60 && s % 60 == 0)
		snprintf(out, cap, "%u minute%s", s / 60, s == 60 ? "" : "s");
	else
		snprintf(out, cap, "%u s", s);
}

/* 0-RTT (RFC 8446 2.3, 4.2.10, 8): what the tickets allow, and what it
 * costs: early data can be replayed by whoever recorded it. */
static void report_early_data(struct check_run *run)
{
	uint32_t max = run->r->ticket_max_early_data;

	if (max > 0)
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_INFO,
			  "session.early-data", -1,
			  "accept early data only for requests that are safe to "
			  "replay (GET without side effects), or turn it off "
			  "(nginx 'ssl_early_data off;')",
			  "the server's tickets allow 0-RTT early data (up to %u "
			  "bytes): a returning client may send its first request "
			  "before the handshake ends, and an attacker who "
			  "recorded it can replay it (RFC 8446 8)", max);
	else
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_INFO,
			  "session.no-early-data", -1, "",
			  "the server's tickets allow no 0-RTT early data: a "
			  "resumed connection still waits one round trip, and "
			  "no request can be replayed");
}

static void report_tls13(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	size_t n = r->engine_tickets;
	char life[32], tickets[160];

	if (!r->engine_handshake || run->engine_version != PL_TLS_VERSION_13)
		return;
	if (n == 0) {
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_INFO,
			  "session.no-tickets", -1,
			  "turn session tickets on (nginx 'ssl_session_tickets "
			  "on;', OpenSSL's default)",
			  "the server sent no TLS 1.3 session ticket: every "
			  "connection of a returning client makes a full "
			  "handshake (slower, more work for the server)");
		return;
	}
	lifetime_text(r->ticket_lifetime, life, sizeof life);
	snprintf(tickets, sizeof tickets, "the server sent %zu TLS 1.3 "
		 "session ticket%s, valid for %s (lifetime hint %u s)", n,
		 n == 1 ? "" : "s", life, r->ticket_lifetime);
	if (r->resume13 == PL_CHECK_YES)
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_OK,
			  "session.tickets", -1, "",
			  "%s, and a second connection resumed with one (RFC "
			  "8446 2.2): a returning client skips the certificate "
			  "and its signature", tickets);
	else if (r->resume13 == PL_CHECK_NO)
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_INFO,
			  "session.tickets-not-resumed", -1, SHARE_KEYS_FIX,
			  "%s, but a second connection that offered one got a "
			  "full handshake: returning clients gain nothing from "
			  "them", tickets);
	else
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_INFO,
			  "session.tickets", -1, "",
			  "%s; whether it resumes with them is not known: %s",
			  tickets, r->resume13_detail);
	report_early_data(run);
}

static void report_tls12_ticket(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	char life[64] = "";

	if (r->tls12_ticket_lifetime > 0) {
		char span[32];
		lifetime_text(r->tls12_ticket_lifetime, span, sizeof span);
		snprintf(life, sizeof life, " (lifetime hint %s)", span);
	}
	if (r->resume12_ticket == PL_CHECK_YES)
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_OK,
			  "session.tls12-tickets", -1, "",
			  "TLS 1.2: the server sent a session ticket (RFC 5077)%s "
			  "and a second connection resumed with it", life);
	else if (r->resume12_ticket == PL_CHECK_UNCLEAR)
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_INFO,
			  "session.tls12-tickets", -1, "",
			  "TLS 1.2: the server sent a session ticket (RFC 5077)%s; "
			  "whether it resumes with it is not known: %s", life,
			  r->resume12_ticket_detail);
	else if (r->resume12_ticket == PL_CHECK_NO && r->tls12_ticket_received)
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_INFO,
			  "session.tls12-tickets-not-resumed", -1,
			  SHARE_KEYS_FIX, "TLS 1.2: the server sent a session "
			  "ticket (RFC 5077)%s, but a second connection that "
			  "offered it got a full handshake", life);
	else if (r->resume12_ticket == PL_CHECK_NOT_TESTED &&
		 r->tls12_session_ticket == PL_CHECK_YES)
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_INFO,
			  "session.tls12-tickets", -1, "",
			  "TLS 1.2: the server accepts the session_ticket "
			  "extension (RFC 5077), so it sends tickets; resuming "
			  "with one was not tried, as padlock's engine received "
			  "none");
}

static void report_tls12_id(struct check_run *run)
{
	pl_check_result_t *r = run->r;

	if (r->resume12_id == PL_CHECK_YES)
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_OK,
			  "session.tls12-ids", -1, "",
			  "TLS 1.2: a second ClientHello that offered the session "
			  "ID of the first handshake resumed that session (RFC "
			  "5246 7.3): the server keeps a session cache");
	else if (r->resume12_id == PL_CHECK_NO &&
		 r->tls12_session_id == PL_CHECK_YES)
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_INFO,
			  "session.tls12-ids-not-resumed", -1,
			  "if several servers answer for the name, share their "
			  "session cache, or rely on tickets",
			  "TLS 1.2: the server names sessions with IDs (RFC 5246 "
			  "7.4.1.3) but gave a full handshake to a ClientHello "
			  "that offered one: %s", r->resume12_id_detail);
}

static void report_tls12(struct check_run *run)
{
	const pl_check_result_t *r = run->r;

	if (r->protocols[3].accepted != PL_CHECK_YES)
		return;
	report_tls12_ticket(run);
	report_tls12_id(run);
	if (r->resume12_ticket != PL_CHECK_YES && r->resume12_id != PL_CHECK_YES &&
	    r->tls12_session_ticket == PL_CHECK_NO &&
	    r->tls12_session_id == PL_CHECK_NO)
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_INFO,
			  "session.tls12-none", -1,
			  "turn a session cache or tickets on (nginx "
			  "'ssl_session_cache shared:SSL:10m;' or "
			  "'ssl_session_tickets on;')",
			  "TLS 1.2: the server issues neither session IDs nor "
			  "session tickets: every TLS 1.2 connection of a "
			  "returning client makes a full handshake");
}

void check_resumption(struct check_run *run)
{
	if (run->silent || run->out_of_time)
		return;
	resume_tls13(run);
	resume_tls12(run);
	report_tls13(run);
	report_tls12(run);
}
