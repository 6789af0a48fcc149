/*
 * The real handshake of padlock check: padlock's own engine connects as a
 * browser would (TLS 1.3, SNI, OCSP stapling asked for), keeps what was
 * negotiated and the chain as served, then sends one GET and reads the
 * head of the answer for step 6 (Strict-Transport-Security). The chain is
 * not verified here: step 5 judges it with the diagnostics, which say much
 * more than a handshake failing with unknown_ca.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/check_internal.h"
#include "client/client_internal.h"

/* pl_client_get callbacks: the head is all step 6 needs. */
static void on_head(void *arg, const pl_client_response_t *resp)
{
	struct check_run *run = arg;
	const char *hsts = pl_client_header(resp, "Strict-Transport-Security");

	run->https_answered = true;
	run->https_status = resp->status;
	if (hsts != NULL) {
		run->hsts_seen = true;
		snprintf(run->hsts, sizeof run->hsts, "%s", hsts);
	}
}

/* Stops the transfer after the head: the body does not matter, and a big
 * one would only cost time. */
static int on_body(void *arg, const uint8_t *data, size_t len, char *err,
		   size_t err_len)
{
	snprintf(err, err_len, "body not needed");
	return PL_ERR_STATE;
}

/* A copy of the server's chain that outlives the connection. */
static void keep_chain(struct check_run *run, const pl_tls_conn_t *conn)
{
	const pl_x509_chain_t *c = pl_tls_peer_chain(conn);
	size_t n = c != NULL ? pl_x509_chain_count(c) : 0;
	const uint8_t **der;
	size_t *lens;
	char err[256];

	if (n == 0)
		return;
	der = calloc(n, sizeof *der);
	lens = calloc(n, sizeof *lens);
	if (der == NULL || lens == NULL) {
		run->nomem = true;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		der[i] = pl_x509_chain_der(c, i, &lens[i]);
	if (pl_x509_chain_from_der(der, lens, n, &run->engine_chain, err,
				   sizeof err) != PL_OK)
		run->engine_chain = NULL;
out:
	free(der);
	free(lens);
}

static void keep_negotiated(struct check_run *run, const pl_tls_conn_t *conn)
{
	pl_check_result_t *r = run->r;
	size_t ocsp_len = 0;

	r->engine_handshake = true;
	r->engine_suite = pl_tls_suite(conn);
	r->engine_group = pl_tls_group(conn);
	r->engine_sigscheme = pl_tls_sigscheme(conn);
	pl_tls_ocsp_response(conn, &ocsp_len);
	run->engine_ocsp = ocsp_len > 0;
	run->engine_version = pl_tls_version(conn);
	snprintf(r->engine_detail, sizeof r->engine_detail,
		 "%s, %s, key exchange %s%s, signature %s",
		 pl_tls_version_name(pl_tls_version(conn)),
		 pl_tls_suite_name(r->engine_suite),
		 pl_tls_group_name(r->engine_group),
		 pl_tls_did_hello_retry(conn) ? " (after a HelloRetryRequest)"
					      : "",
		 pl_tls_sigscheme_name(r->engine_sigscheme));
	keep_chain(run, conn);
}

/* What ALPN chose from h2,http/1.1 (RFC 7301, RFC 9113 3.2). */
static void keep_alpn(pl_check_result_t *r, const pl_tls_conn_t *conn)
{
	const char *alpn = pl_tls_alpn(conn);

	if (alpn == NULL)
		alpn = "";
	pl_client_quote(alpn, strlen(alpn), r->alpn, sizeof r->alpn);
	r->h2 = strcmp(alpn, "h2") == 0 ? PL_CHECK_YES : PL_CHECK_NO;
}

/* The URL of the GET: the name verified, the port, opt.path. */
static void make_url(struct check_run *run, pl_client_url_t *url)
{
	const pl_check_result_t *r = run->r;
	bool v6 = check_is_ipv6(run->verify_name);

	memset(url, 0, sizeof *url);
	snprintf(url->host, sizeof url->host, "%s", run->verify_name);
	url->port = r->port;
	if (r->port == 443)
		snprintf(url->authority, sizeof url->authority, "%s%s%s",
			 v6 ? "[" : "", run->verify_name, v6 ? "]" : "");
	else
		snprintf(url->authority, sizeof url->authority, "%s%s%s:%u",
			 v6 ? "[" : "", run->verify_name, v6 ? "]" : "",
			 (unsigned)r->port);
	snprintf(url->path, sizeof url->path, "%s", run->opt.path);
	url->host_is_ip = v6 || r->sni[0] == '\0';
}

/* The GET after the handshake, over HTTP/2 when the server chose h2;
 * only its head is read. */
static void fetch_head(struct check_run *run, pl_client_io_t *io)
{
	pl_client_response_t *resp = malloc(sizeof *resp);
	bool h2 = strcmp(pl_client_protocol(io), "h2") == 0;
	pl_client_url_t url;

	if (resp == NULL) {
		run->nomem = true;
		return;
	}
	make_url(run, &url);
	io->timeout_ms = check_timeout(run);
	if (io->timeout_ms > 0) {
		check_progress(run, PL_CHECK_STEP_PROTOCOLS, "GET %s over %s",
			       url.path, h2 ? "HTTP/2" : "HTTPS");
		/* The answer matters, not how the body ends: on_body stops
		 * the transfer at once. */
		if (pl_client_get(io, &url, resp, on_head, on_body, run) !=
		    PL_OK && !run->https_answered)
			snprintf(run->https_error, sizeof run->https_error,
				 "%.300s", io->err);
		(void)pl_client_close(io);
	}
	free(resp);
}

int check_engine_config(const pl_check_opts_t *o, pl_tls_config_t **out)
{
	pl_tls_config_t *cfg = pl_tls_config_new(false);

	*out = cfg;
	if (cfg == NULL)
		return PL_ERR_NOMEM;
	if (o->tls_min != 0 &&
	    pl_tls_config_set_versions(cfg, o->tls_min, o->tls_max) != PL_OK)
		return PL_ERR_ARG;
	/* Step 5 judges the chain; here it is only received. */
	pl_tls_config_set_verify(cfg, false);
	pl_tls_config_set_status_request(cfg, true);
	/* As browsers do: HTTP/2 first (step 6 reports which was chosen). */
	return pl_tls_config_set_alpn(cfg, "h2,http/1.1");
}

/* Whether the engine's handshake (which offers X25519MLKEM768 first)
 * was post-quantum: worth knowing, not graded, since few servers can yet. */
static void report_post_quantum(struct check_run *run)
{
	uint16_t group = run->r->engine_group;

	if (pl_tls_group_is_post_quantum(group))
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_OK,
			  "protocol.post-quantum", -1, "",
			  "the key exchange is post-quantum: %s (%s), so "
			  "traffic recorded today stays secret against a "
			  "future quantum computer",
			  pl_tls_group_name(group), pl_tls_group_kind(group));
	else
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_INFO,
			  "protocol.post-quantum", -1,
			  "a TLS library with ML-KEM (padlock serve, OpenSSL "
			  "3.5 and later, BoringSSL) negotiates X25519MLKEM768",
			  "the server chose %s, not the post-quantum "
			  "X25519MLKEM768 offered: traffic recorded today "
			  "could be decrypted by a future quantum computer",
			  pl_tls_group_name(group));
}

static void report(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	bool tls13 = r->protocols[4].accepted == PL_CHECK_YES;

	if (r->engine_handshake) {
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_OK,
			  "protocol.engine-handshake", -1, "",
			  "a full handshake with padlock's engine completed: %s",
			  r->engine_detail);
		report_post_quantum(run);
	} else if (tls13)
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_FAILURE,
			  "protocol.engine-failed", -1,
			  "run 'padlock get -v https://HOST:PORT/' to see the "
			  "handshake step by step",
			  "the server answers a TLS 1.3 ClientHello, but a full "
			  "handshake with padlock's engine failed: %s",
			  r->engine_detail);
	else if (r->protocols[4].accepted == PL_CHECK_NO &&
		 r->protocols[3].accepted == PL_CHECK_NO)
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_INFO,
			  "protocol.engine-failed", -1, "",
			  "padlock's engine speaks TLS 1.2 and 1.3, which the "
			  "server refuses, so it could not complete a "
			  "handshake: %s", r->engine_detail);
	else
		check_add(run, PL_CHECK_STEP_PROTOCOLS, PL_CHECK_INFO,
			  "protocol.engine-failed", -1, "",
			  "a full handshake with padlock's engine (TLS 1.2 and "
			  "1.3) failed: %s", r->engine_detail);
}

void check_engine_handshake(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	pl_tls_config_t *cfg = NULL;
	pl_tls_conn_t *conn = NULL;
	pl_client_io_t io;
	int fd = -1;

	memset(&io, 0, sizeof io);
	if (check_engine_config(&run->opt, &cfg) != PL_OK) {
		run->nomem = true;
		goto out;
	}
	check_progress(run, PL_CHECK_STEP_PROTOCOLS,
		       "a handshake with padlock's engine");
	if (check_connect(r->tested_ip, r->port, check_timeout(run), &fd,
			  NULL) != PL_CHECK_PORT_OPEN) {
		snprintf(r->engine_detail, sizeof r->engine_detail,
			 "the TCP connect failed this time");
		goto report;
	}
	conn = pl_tls_conn_new(cfg, run->verify_name);
	if (conn == NULL) {
		run->nomem = true;
		goto out;
	}
	pl_tls_conn_set_time(conn, run->opt.now);
	io.fd = fd;
	io.tls = conn;
	io.timeout_ms = check_timeout(run);
	if (io.timeout_ms > 0 && pl_client_handshake(&io) == PL_OK) {
		keep_negotiated(run, conn);
		keep_alpn(r, conn);
		fetch_head(run, &io);
		/* NewSessionTickets come after the handshake, read with the
		 * answer. */
		r->engine_tickets = pl_tls_ticket_count(conn);
		if (!pl_tls_ticket_info(conn, &r->ticket_lifetime,
					&r->ticket_max_early_data))
			r->ticket_lifetime = r->ticket_max_early_data = 0;
		/* kept for check_resumption's second connection */
		if (r->engine_tickets > 0 &&
		    run->engine_version == PL_TLS_VERSION_13 &&
		    pl_tls_session_save(conn, &run->session13,
					&run->session13_len) != PL_OK)
			run->session13 = NULL;
	} else {
		snprintf(r->engine_detail, sizeof r->engine_detail, "%.300s",
			 io.err[0] != '\0' ? io.err : "the run's time ran out");
	}
report:
	report(run);
out:
	pl_tls_conn_free(conn);
	if (cfg != NULL)
		pl_tls_config_free(cfg);
	if (fd >= 0)
		close(fd);
}
