/*
 * padlock get -v: the handshake told step by step, in the words of the
 * article (hello, certificate, authentication, premaster secret, session
 * keys, finished), each line stamped with the milliseconds since connect.
 * Everything goes to stderr so that stdout carries only the body.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

#define HEAD_WIDTH 24 /* columns of the step header */
#define SECONDS_PER_DAY 86400

void pl_cli_verbose_start(pl_cli_verbose_t *v)
{
	clock_gettime(CLOCK_MONOTONIC, &v->start);
}

static double elapsed_ms(const pl_cli_verbose_t *v)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - v->start.tv_sec) * 1000.0 +
	       (double)(now.tv_nsec - v->start.tv_nsec) / 1e6;
}

/* Columns taken by UTF-8 text: one per code point (no wide characters
 * appear in the headers). */
static size_t columns(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* The length of the valid, printable UTF-8 sequence at s, or 0. */
static size_t utf8_printable(const unsigned char *s)
{
	size_t len;

	if (s[0] == '\t' || (s[0] >= 0x20 && s[0] < 0x7f))
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	/* U+0080..U+009F are the C1 controls, which some terminals obey */
	if (s[0] == 0xc2 && s[1] < 0xa0)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

void pl_cli_print_safe(FILE *f, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;

	while (*s != '\0') {
		size_t len = utf8_printable(s);
		if (len == 0) {
			fprintf(f, "\\x%02x", *s);
			s++;
			continue;
		}
		fwrite(s, 1, len, f);
		s += len;
	}
}

static void line_at(double ms, const char *head, const char *text)
{
	size_t width = columns(head);

	fprintf(stderr, "%8.1f ms  %s", ms, head);
	if (text != NULL && text[0] != '\0') {
		for (; width < HEAD_WIDTH; width++)
			fputc(' ', stderr);
		fputc(' ', stderr);
		pl_cli_print_safe(stderr, text);
	}
	fputc('\n', stderr);
	fflush(stderr);
}

void pl_cli_verbose_line(pl_cli_verbose_t *v, const char *head,
			 const char *text)
{
	if (v->on)
		line_at(elapsed_ms(v), head, text);
}

void pl_cli_verbose_flush(pl_cli_verbose_t *v)
{
	if (v->on && v->held[0] != '\0')
		line_at(v->held_ms, "← alert", v->held);
	v->held[0] = '\0';
}

/* ---- trace ---------------------------------------------------------------- */

struct step_head {
	const char *client; /* as the client sees it */
	const char *server; /* as the server sees it */
};

static const struct step_head step_heads[] = {
	[PL_STEP_CLIENT_HELLO] = { "ClientHello →", "← ClientHello" },
	[PL_STEP_HELLO_RETRY] = { "← HelloRetryRequest", "HelloRetryRequest →" },
	[PL_STEP_SERVER_HELLO] = { "← ServerHello", "ServerHello →" },
	[PL_STEP_KEY_EXCHANGE] = { "key exchange", "key exchange" },
	[PL_STEP_ENCRYPTED_EXTENSIONS] = { "← EncryptedExtensions",
					   "EncryptedExtensions →" },
	[PL_STEP_CERTIFICATE] = { "← Certificate", "Certificate →" },
	[PL_STEP_CERT_TRUSTED] = { "authentication", "authentication" },
	[PL_STEP_CERTIFICATE_VERIFY] = { "← CertificateVerify",
					 "CertificateVerify →" },
	[PL_STEP_SERVER_FINISHED] = { "← Finished", "Finished →" },
	[PL_STEP_CLIENT_FINISHED] = { "Finished →", "← Finished" },
	[PL_STEP_APPLICATION_KEYS] = { "session keys", "session keys" },
	[PL_STEP_SESSION_TICKET] = { "← NewSessionTicket",
				     "NewSessionTicket →" },
	[PL_STEP_KEY_UPDATE] = { "KeyUpdate", "KeyUpdate" },
	[PL_STEP_ALERT] = { "alert", "alert" },
};

/* TLS 1.2 names some steps after other messages: the server's key,
 * signed, travels in ServerKeyExchange; the client's in
 * ClientKeyExchange; ChangeCipherSpec comes before each Finished. */
static const struct step_head step_heads12[] = {
	[PL_STEP_KEY_EXCHANGE] = { "ClientKeyExchange →",
				   "← ClientKeyExchange" },
	[PL_STEP_CERTIFICATE_VERIFY] = { "← ServerKeyExchange",
					 "ServerKeyExchange →" },
	[PL_STEP_SERVER_FINISHED] = { "← CCS, Finished", "CCS, Finished →" },
	[PL_STEP_CLIENT_FINISHED] = { "CCS, Finished →", "← CCS, Finished" },
};

void pl_cli_trace(void *arg, const pl_tls_conn_t *conn, pl_tls_step_t step,
		  const char *text)
{
	pl_cli_verbose_t *v = arg;
	const char *head = "step";
	size_t i = (size_t)step;

	if (text == NULL)
		text = "";
	if (i < sizeof step_heads / sizeof step_heads[0] &&
	    step_heads[i].client != NULL)
		head = pl_tls_is_server(conn) ? step_heads[i].server
					      : step_heads[i].client;
	if (pl_tls_version(conn) == PL_TLS_VERSION_12 &&
	    i < sizeof step_heads12 / sizeof step_heads12[0] &&
	    step_heads12[i].client != NULL)
		head = pl_tls_is_server(conn) ? step_heads12[i].server
					      : step_heads12[i].client;
	/* The step does not say which way an alert went; the engine's text
	 * does ("sent alert ...", "peer sent ..."). */
	if (step == PL_STEP_ALERT && strncmp(text, "sent ", 5) == 0)
		head = "alert →";
	else if (step == PL_STEP_ALERT && strncmp(text, "peer sent", 9) == 0)
		head = "← alert";
	if (step == PL_STEP_ALERT && strstr(text, "close_notify") != NULL &&
	    strcmp(head, "← alert") == 0 && pl_tls_handshake_done(conn)) {
		snprintf(v->held, sizeof v->held, "%s", text);
		v->held_ms = elapsed_ms(v);
		return;
	}
	pl_cli_verbose_line(v, head, text);
}

/* ---- summary ---------------------------------------------------------------- */

static void field(const char *name, const char *value)
{
	fprintf(stderr, "    %-17s ", name);
	pl_cli_print_safe(stderr, value);
	fputc('\n', stderr);
}

static void format_time(time_t t, char *out, size_t cap)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, cap, "(time %lld)", (long long)t);
}

/* A field of certificate i, indented under its "[i]". */
static void cert_field(const char *name, const char *value)
{
	fprintf(stderr, "        %-13s ", name);
	pl_cli_print_safe(stderr, value);
	fputc('\n', stderr);
}

/* A span of seconds to the nearest day ("397 days", "1 day"), or in hours
 * under a day: a 397-day certificate shows 397 a minute after its start,
 * not 396. */
static void span_text(long long seconds, char *out, size_t cap)
{
	long long days = (seconds + SECONDS_PER_DAY / 2) / SECONDS_PER_DAY;
	long long hours = (seconds + 1800) / 3600;

	if (seconds < SECONDS_PER_DAY)
		snprintf(out, cap, "%lld hour%s", hours, hours == 1 ? "" : "s");
	else
		snprintf(out, cap, "%lld day%s", days, days == 1 ? "" : "s");
}

/* "2025-01-01 ... UTC to 2025-03-01 ... UTC (59 days left)". */
static void validity(const pl_x509_info_t *info, time_t now, char *out,
		     size_t cap)
{
	char from[40], to[40], left[64], span[32];
	long long rest = (long long)info->not_after - now;

	format_time(info->not_before, from, sizeof from);
	format_time(info->not_after, to, sizeof to);
	span_text(rest < 0 ? -rest : rest, span, sizeof span);
	if (now < info->not_before)
		snprintf(left, sizeof left, "NOT VALID YET");
	else if (now > info->not_after)
		snprintf(left, sizeof left, "EXPIRED %s ago", span);
	else
		snprintf(left, sizeof left, "%s left", span);
	snprintf(out, cap, "%s to %s (%s)", from, to, left);
}

static void print_certificate(const pl_x509_chain_t *chain, size_t i,
			      time_t now)
{
	pl_x509_info_t info;
	char line[600];

	if (pl_x509_chain_info(chain, i, &info) != PL_OK) {
		fprintf(stderr, "    [%zu] (this certificate cannot be decoded)\n",
			i);
		return;
	}
	fprintf(stderr, "    [%zu]%s\n", i,
		i == 0 ? " the server's own certificate (leaf)"
		       : info.is_ca ? " a CA certificate" : "");
	/* An empty subject is allowed when the names are in the SAN (RFC
	 * 5280 4.2.1.6): say so rather than print nothing. */
	cert_field("subject", info.subject[0] != '\0'
				      ? info.subject
				      : "(empty: the names below identify it)");
	snprintf(line, sizeof line, "%s%s", info.issuer,
		 info.self_signed ? " (self-signed)" : "");
	cert_field("issuer", line);
	if (info.names[0] != '\0')
		cert_field("names", info.names);
	snprintf(line, sizeof line, "%s, signed with %s", info.key,
		 info.sig_alg);
	cert_field("key", line);
	validity(&info, now, line, sizeof line);
	cert_field("valid", line);
}

static void print_chain(const pl_tls_conn_t *conn, const char *trust_source,
			bool insecure)
{
	const pl_x509_chain_t *chain = pl_tls_peer_chain(conn);
	size_t count = chain != NULL ? pl_x509_chain_count(chain) : 0;
	time_t now = time(NULL);
	char line[400];

	if (pl_tls_resumed(conn)) {
		fprintf(stderr, "  certificate chain: none was sent, as the "
			"session resumed (RFC 8446 2.2): the server proved it "
			"holds the key of the earlier session, whose certificate "
			"was verified when the ticket came\n");
		return;
	}
	fprintf(stderr, "  certificate chain as the server sent it (%zu):\n",
		count);
	for (size_t i = 0; i < count; i++)
		print_certificate(chain, i, now);
	if (insecure) {
		fprintf(stderr, "  trusted root: NOT CHECKED (--insecure): "
				"nothing proves this server is who it claims\n");
		return;
	}
	const char *root = pl_tls_trusted_root(conn);
	snprintf(line, sizeof line, "%s, from %s",
		 root != NULL && root[0] != '\0' ? root : "(not reported)",
		 trust_source);
	fprintf(stderr, "  trusted root that vouched for the chain:\n");
	field("root", line);
}

static void print_parameters(const pl_tls_conn_t *conn)
{
	const char *alpn = pl_tls_alpn(conn);
	uint16_t group = pl_tls_group(conn);
	char line[320];

	fprintf(stderr, "  connection:\n");
	field("protocol", pl_tls_version_name(pl_tls_version(conn)));
	field("cipher suite", pl_tls_suite_name(pl_tls_suite(conn)));
	snprintf(line, sizeof line, "%s, ephemeral (%s)%s",
		 pl_tls_group_name(group), pl_tls_group_kind(group),
		 pl_tls_did_hello_retry(conn) ? ", after a HelloRetryRequest"
					      : "");
	field("key exchange", line);
	field("server signature", pl_tls_resumed(conn)
		      ? "none (a resumed session needs no signature)"
		      : pl_tls_sigscheme_name(pl_tls_sigscheme(conn)));
	field("ALPN", alpn != NULL && alpn[0] != '\0' ? alpn
		      : "none (the server chose no application protocol)");
	if (pl_tls_version(conn) == PL_TLS_VERSION_12)
		snprintf(line, sizeof line, "none was sent: TLS 1.2's is the "
			 "ephemeral ECDHE (%s) secret of the ServerKeyExchange "
			 "and ClientKeyExchange keys, and the master secret "
			 "comes from it and the session hash: forward secret. "
			 "TLS 1.3 would save a round trip and hide the "
			 "certificate",
			 pl_tls_group_name(group));
	else
		snprintf(line, sizeof line, "none was sent: in TLS 1.3 both "
			 "sides derive it from an ephemeral exchange (%s), so a "
			 "recorded session stays secret even if the server's "
			 "private key leaks later (forward secrecy)%s",
			 pl_tls_group_name(group),
			 pl_tls_group_is_post_quantum(group)
				 ? ", and even against a future quantum "
				   "computer (ML-KEM-768 beside X25519)"
				 : "");
	field("premaster secret", line);
}

void pl_cli_print_summary(pl_cli_verbose_t *v, const pl_tls_conn_t *conn,
			  const char *trust_source, bool insecure)
{
	if (!v->on)
		return;
	pl_cli_verbose_line(v, "handshake done", "");
	print_parameters(conn);
	print_chain(conn, trust_source, insecure);
	fflush(stderr);
}

void pl_cli_print_head(pl_cli_verbose_t *v, const pl_client_response_t *r)
{
	char status[300];

	if (!v->on)
		return;
	snprintf(status, sizeof status, "%s %d%s%s", r->version, r->status,
		 r->reason[0] != '\0' ? " " : "", r->reason);
	pl_cli_verbose_line(v, "← HTTP response", status);
	for (size_t i = 0; i < r->header_count; i++) {
		fprintf(stderr, "             ");
		pl_cli_print_safe(stderr, r->headers[i].name);
		fputs(": ", stderr);
		pl_cli_print_safe(stderr, r->headers[i].value);
		fputc('\n', stderr);
	}
	fflush(stderr);
}

/* ---- the application protocol ------------------------------------------------ */

void pl_cli_print_protocol(pl_cli_verbose_t *v, const pl_tls_conn_t *conn,
			   const char *protocol)
{
	const char *alpn = conn != NULL ? pl_tls_alpn(conn) : "";
	char line[200];

	if (strcmp(protocol, "h2") == 0)
		snprintf(line, sizeof line, "HTTP/2 (the server chose h2 in ALPN): "
			 "binary frames, one stream per request");
	else if (conn == NULL)
		snprintf(line, sizeof line, "HTTP/1.1 over plain TCP (no TLS)");
	else if (alpn == NULL || alpn[0] == '\0')
		snprintf(line, sizeof line, "HTTP/1.1 (the server chose no "
			 "protocol in ALPN)");
	else
		snprintf(line, sizeof line, "HTTP/1.1 (the server chose %s in "
			 "ALPN)", alpn);
	pl_cli_verbose_line(v, "application protocol", line);
}

void pl_cli_h2_frame(void *arg, bool sent, const char *frame, const char *text)
{
	char head[64];

	snprintf(head, sizeof head, sent ? "%s →" : "← %s", frame);
	pl_cli_verbose_line(arg, head, text);
}
