/*
 * The welcome page of the zero-argument start: what a site without files
 * shows. It tells visitors about their own connection, as the server saw
 * it: version, suite, key exchange, signature, SNI, ALPN, the certificate
 * chain and each handshake step with its time; and, plainly, what HTTPS
 * does not hide.
 *
 * One self-contained page: inline CSS, no script, no outside resource
 * (the Content-Security-Policy forbids them). Every value from the
 * connection is HTML-escaped; each has a stable id for tests that read
 * the DOM (tls-version, suite, group, sigscheme, sni, alpn, hrr, peer,
 * steps, chain), whose text is exactly the value, "" when unknown.
 */
#include <stdio.h>
#include <string.h>

#include "http/serve_int.h"

static const char page_head[] =
	"<!doctype html>\n"
	"<html lang=\"en\">\n"
	"<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<title>padlock: your HTTPS connection</title>\n"
	"<style>\n"
	":root{color-scheme:light dark;--fg:#1d232a;--bg:#fbfbf8;--mute:#5b6470;"
	"--line:#d9dcd3;--accent:#17693b;--code:#eef0e8}\n"
	"@media (prefers-color-scheme:dark){:root{--fg:#e6e8e3;--bg:#15181b;"
	"--mute:#9aa3ad;--line:#30363c;--accent:#62c48b;--code:#20252a}}\n"
	"body{margin:0;background:var(--bg);color:var(--fg);"
	"font:16px/1.55 system-ui,-apple-system,\"Segoe UI\",sans-serif}\n"
	"main{max-width:52rem;margin:0 auto;padding:2rem 1.25rem 4rem}\n"
	"h1{font-size:1.7rem;margin:0 0 .25rem}\n"
	"h1 .lock{color:var(--accent);vertical-align:-3px;margin-right:.5rem}\n"
	"h2{font-size:1.2rem;margin:2.5rem 0 .75rem;padding-bottom:.3rem;"
	"border-bottom:1px solid var(--line)}\n"
	"p.lead{color:var(--mute);margin-top:0}\n"
	"table{border-collapse:collapse;width:100%}\n"
	"th,td{text-align:left;vertical-align:top;padding:.45rem .6rem;"
	"border-bottom:1px solid var(--line)}\n"
	"th{font-weight:600;white-space:nowrap;width:12rem}\n"
	"code,pre{font:14px/1.45 ui-monospace,\"SFMono-Regular\",Menlo,monospace}\n"
	"td code{background:var(--code);padding:.1rem .35rem;border-radius:4px}\n"
	"td code:empty{display:none}\n"
	".note,.none{color:var(--mute);font-size:.92rem}\n"
	".note{display:block}\n"
	"ol.steps{list-style:none;padding:0;margin:0}\n"
	"ol.steps li{display:flex;gap:1rem;padding:.35rem 0;"
	"border-bottom:1px solid var(--line)}\n"
	"ol.steps .t{flex:0 0 5.5rem;text-align:right;color:var(--accent);"
	"font-variant-numeric:tabular-nums}\n"
	"ol.chain{padding-left:1.5rem}\n"
	"ol.chain pre{background:var(--code);padding:.6rem .8rem;border-radius:6px;"
	"overflow-x:auto;white-space:pre-wrap}\n"
	"ul.exposed li{margin:.4rem 0}\n"
	"footer{margin-top:3rem;color:var(--mute);font-size:.92rem}\n"
	"</style>\n"
	"</head>\n"
	"<body>\n"
	"<main>\n"
	"<h1><svg class=\"lock\" viewBox=\"0 0 24 24\" width=\"26\" "
	"height=\"26\" aria-hidden=\"true\"><rect x=\"4\" y=\"10\" "
	"width=\"16\" height=\"12\" rx=\"2\" fill=\"currentColor\"/>"
	"<path d=\"M8 10V7a4 4 0 0 1 8 0v3\" fill=\"none\" "
	"stroke=\"currentColor\" stroke-width=\"2.5\"/></svg>"
	"This page came to you over HTTPS</h1>\n"
	"<p class=\"lead\">padlock is running. This is its built-in page: it "
	"shows your own connection, as the server saw it a moment ago.</p>\n";

static const char page_foot[] =
	"<footer>\n"
	"<p>To serve your own site instead, put its files in "
	"<code>./public</code> or start <code>padlock serve --root DIR</code>. "
	"This page uses no script and loads nothing else: what you see is all "
	"that was sent.</p>\n"
	"</footer>\n"
	"</main>\n"
	"</body>\n"
	"</html>\n";

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

/* A table row whose <code id=...> holds exactly the value; empty_note is
 * shown beside it when the value is empty, note under it otherwise. */
static void value_row(pl_http_out_t *o, const char *label, const char *id,
		      const char *value, const char *empty_note,
		      const char *note)
{
	value = str_or_empty(value);
	pl_http_out_str(o, "<tr><th scope=\"row\">");
	pl_http_out_str(o, label);
	pl_http_out_str(o, "</th><td><code id=\"");
	pl_http_out_str(o, id);
	pl_http_out_str(o, "\">");
	pl_http_out_html_str(o, value);
	pl_http_out_str(o, "</code>");
	if (value[0] == '\0') {
		pl_http_out_str(o, "<span class=\"none\">");
		pl_http_out_str(o, empty_note);
		pl_http_out_str(o, "</span>");
	} else if (note != NULL) {
		pl_http_out_str(o, "<span class=\"note\">");
		pl_http_out_str(o, note);
		pl_http_out_str(o, "</span>");
	}
	pl_http_out_str(o, "</td></tr>\n");
}

/* RFC 10024's hybrid: the one group that holds against a quantum
 * computer (the engine names it; this layer sees the name only). */
static bool post_quantum(const pl_http_conninfo_t *c)
{
	return c->group != NULL && strcmp(c->group, "X25519MLKEM768") == 0;
}

static void connection_table(pl_http_out_t *o, const pl_http_conninfo_t *c)
{
	pl_http_out_str(o, "<h2>Your connection</h2>\n<table>\n");
	value_row(o, "Protocol", "tls-version", c->tls_version, "unknown",
		  "the version of TLS, the protocol under HTTPS's padlock");
	value_row(o, "Cipher suite", "suite", c->suite, "unknown",
		  "the cipher that encrypts and authenticates every record, "
		  "and the hash the keys are derived with");
	value_row(o, "Key exchange", "group", c->group, "unknown",
		  post_quantum(c)
			  ? "post-quantum hybrid key exchange: X25519 + "
			    "ML-KEM-768, ephemeral: fresh keys on each side, "
			    "for this connection only"
			  : "ephemeral: a fresh key pair on each side, for this "
			    "connection only");
	value_row(o, "Server signature", "sigscheme", c->sigscheme, "unknown",
		  "how the server proved it holds the private key of its "
		  "certificate");
	value_row(o, "Server name (SNI)", "sni", c->sni,
		  "none: your client did not name the site",
		  "the name your client asked for, so the server could pick "
		  "its certificate");
	value_row(o, "Application protocol (ALPN)", "alpn", c->alpn,
		  "none negotiated: HTTP/1.1 by default",
		  "agreed on inside the handshake");
	value_row(o, "HelloRetryRequest", "hrr", c->hello_retry ? "yes" : "no",
		  "", c->hello_retry
			      ? "the server asked your client for a key share in "
				"another group: one extra round trip"
			      : "your client's first key share was accepted: one "
				"round trip");
	pl_http_out_str(o, "</table>\n");
}

/* A TLS 1.2 visitor: the same story in that version's messages, and
 * what TLS 1.3 would have changed. */
static void premaster_section12(pl_http_out_t *o, const char *group)
{
	pl_http_out_str(o, "<h2>Where the premaster secret went</h2>\n"
			   "<p id=\"premaster\">Your client speaks TLS 1.2 "
			   "with this server. The classic account of HTTPS has "
			   "your browser encrypt a premaster secret with the "
			   "server's public key; padlock never offers that (RSA "
			   "key transport has no forward secrecy). Instead the "
			   "server sent a fresh ephemeral ECDHE public key (<code>");
	pl_http_out_html_str(o, group);
	pl_http_out_str(o, "</code>) in its ServerKeyExchange, signed with its "
			   "certificate's key over both hellos' random values; "
			   "your client checked that signature and answered with "
			   "its own ephemeral key in ClientKeyExchange. The shared "
			   "secret each side computed is the premaster secret: it "
			   "never crossed the network. The master secret comes "
			   "from it and the hash of the whole handshake (the "
			   "extended master secret), the session keys from the "
			   "master secret and both randoms; ChangeCipherSpec "
			   "switched each side to them, and Finished proved both "
			   "saw the same handshake. TLS 1.3 would have done it in "
			   "one round trip fewer and encrypted the certificate "
			   "too.</p>\n");
}

static void premaster_section(pl_http_out_t *o, const pl_http_conninfo_t *c)
{
	const char *group = str_or_empty(c->group);

	if (strcmp(str_or_empty(c->tls_version), "TLS 1.2") == 0) {
		premaster_section12(o, group);
		return;
	}

	pl_http_out_str(o, "<h2>Where the premaster secret went</h2>\n"
			   "<p id=\"premaster\">The classic account of HTTPS has "
			   "your browser encrypt a premaster secret with the "
			   "server's public key. TLS 1.3 removed that: whoever "
			   "got hold of the server's private key later could "
			   "decrypt every recorded session. Instead, in TLS 1.3 "
			   "both sides derive it from an ephemeral (EC)DHE "
			   "exchange");
	if (group[0] != '\0') {
		pl_http_out_str(o, " (here <code>");
		pl_http_out_html_str(o, group);
		pl_http_out_str(o, "</code>)");
	}
	pl_http_out_str(o, ": each side made a key pair for this connection "
			   "only and sent the public half in its hello; each "
			   "computed the same shared secret from its own private "
			   "half and the other's public half. That secret never "
			   "crossed the network and was forgotten after the "
			   "handshake; the session keys come from it and from "
			   "both hellos' random values. A recording of this "
			   "connection stays secret even if the server's key "
			   "leaks later: forward secrecy.");
	if (post_quantum(c))
		pl_http_out_str(o, " Here the exchange is hybrid: ML-KEM-768, "
				   "which a quantum computer is not known to "
				   "break, beside X25519, so traffic recorded "
				   "today stays secret even then.");
	pl_http_out_str(o, "</p>\n");
}

/* "12.3 ms": microseconds as milliseconds, rounded to a tenth */
static void put_ms(pl_http_out_t *o, uint32_t us)
{
	uint64_t tenths = ((uint64_t)us + 50) / 100;
	char text[32];

	snprintf(text, sizeof text, "%llu.%llu ms",
		 (unsigned long long)(tenths / 10),
		 (unsigned long long)(tenths % 10));
	pl_http_out_str(o, text);
}

static void steps_section(pl_http_out_t *o, const pl_http_conninfo_t *c)
{
	pl_http_out_str(o, "<h2>The handshake, as the server saw it</h2>\n"
			   "<p>Hellos both ways (your client's with its random "
			   "and key share, the server's with its own, then its "
			   "certificate), authentication (the server signs the "
			   "handshake with its certificate's key, and your "
			   "client checks the certificate against the authorities "
			   "it trusts), the premaster secret, the session keys, "
			   "and a Finished message each way proving both saw the "
			   "same handshake. Times are since the server accepted "
			   "your connection.</p>\n<ol class=\"steps\" "
			   "id=\"steps\">\n");
	for (size_t i = 0; i < c->n_steps; i++) {
		pl_http_out_str(o, "<li><span class=\"t\">");
		put_ms(o, c->step_us ? c->step_us[i] : 0);
		pl_http_out_str(o, "</span><span>");
		pl_http_out_html_str(o, c->step_text ? c->step_text[i] : NULL);
		pl_http_out_str(o, "</span></li>\n");
	}
	pl_http_out_str(o, "</ol>\n");
	if (c->n_steps == 0)
		pl_http_out_str(o, "<p class=\"none\">No steps were recorded for "
				   "this connection.</p>\n");
}

static void chain_section(pl_http_out_t *o, const pl_http_conninfo_t *c)
{
	pl_http_out_str(o, "<h2>The certificate chain the server presented</h2>\n");
	/* One voice with padlock cert and check: a root is never sent
	 * (clients keep their own), so a leaf from a root CA comes alone. */
	if (c->chain_len == 1)
		pl_http_out_str(o, "<p>The server's own certificate alone: a "
				   "root signed it, and your client keeps its "
				   "own copy of a root, so no intermediate "
				   "links the two.</p>\n");
	else
		pl_http_out_str(o, "<p>The server's own certificate first, "
				   "then the intermediates that link it to a "
				   "root your client already trusts (the root "
				   "itself is not sent).</p>\n");
	pl_http_out_str(o, "<ol class=\"chain\" id=\"chain\" start=\"0\">\n");
	for (size_t i = 0; i < c->chain_len; i++) {
		pl_http_out_str(o, "<li><pre>");
		pl_http_out_html_str(o, c->chain_text ? c->chain_text[i] : NULL);
		pl_http_out_str(o, "</pre></li>\n");
	}
	pl_http_out_str(o, "</ol>\n");
}

static void exposed_section(pl_http_out_t *o, const pl_http_conninfo_t *c)
{
	const char *sni = str_or_empty(c->sni);

	pl_http_out_str(o, "<h2>What HTTPS does not hide</h2>\n"
			   "<p>HTTPS hides what you read and send: the pages, "
			   "the path and query of each URL, cookies, form data. "
			   "It does not hide:</p>\n<ul class=\"exposed\" "
			   "id=\"exposed\">\n<li><strong>Your IP address</strong>: "
			   "<code id=\"peer\">");
	pl_http_out_html_str(o, str_or_empty(c->peer));
	pl_http_out_str(o, "</code>. This server sees it, and so does every "
			   "network on the way.</li>\n<li><strong>The site's "
			   "name</strong>");
	if (sni[0] != '\0') {
		pl_http_out_str(o, ": <code>");
		pl_http_out_html_str(o, sni);
		pl_http_out_str(o, "</code>");
	}
	pl_http_out_str(o, ". Your client sent it unencrypted in the "
			   "ClientHello (SNI), and your DNS lookup usually "
			   "named it too.</li>\n<li><strong>Sizes and "
			   "timing</strong>: how many bytes go each way, and "
			   "when. That is often enough to tell which page of a "
			   "known site you fetched.</li>\n<li><strong>How often "
			   "you connect</strong>: every connection, how long it "
			   "lasts and how much it carries are visible to anyone "
			   "watching the network.</li>\n</ul>\n");
}

int pl_http_welcome_html(const pl_http_conninfo_t *info, pl_http_buf_t *out)
{
	static const pl_http_conninfo_t unknown = {
		.peer = "", .tls_version = "", .suite = "", .group = "",
		.sigscheme = "", .sni = "", .alpn = ""};
	const pl_http_conninfo_t *c = info ? info : &unknown;
	pl_http_out_t o = pl_http_out_begin(out);

	pl_http_out_str(&o, page_head);
	connection_table(&o, c);
	premaster_section(&o, c);
	steps_section(&o, c);
	chain_section(&o, c);
	exposed_section(&o, c);
	pl_http_out_str(&o, page_foot);
	return pl_http_out_end(&o);
}

int pl_http_serve_welcome(const pl_http_conninfo_t *info, pl_http_answer_t *a)
{
	pl_http_buf_t body = PL_HTTP_BUF_INIT;
	pl_http_str_t path, query;
	int ret;

	/* the page is at "/" (any query); anything else, /favicon.ico
	 * included, is not there */
	pl_http_target_split(a->req->target, a->req->target_form, &path, &query,
			     NULL);
	if (!(path.len == 0 || (path.len == 1 && path.ptr[0] == '/')))
		return pl_http_answer_error(a, 404, "welcome page: only / is served");
	ret = pl_http_welcome_html(info, &body);
	if (ret == PL_OK) {
		pl_http_answer_field(a, "Content-Type", "text/html; charset=utf-8");
		/* it shows this connection: never from a cache */
		pl_http_answer_field(a, "Cache-Control", "no-store");
		pl_http_answer_field(a, "Content-Security-Policy",
				     "default-src 'none'; style-src 'unsafe-inline'; "
				     "base-uri 'none'; form-action 'none'; "
				     "frame-ancestors 'none'");
		pl_http_answer_field(a, "X-Content-Type-Options", "nosniff");
		pl_http_answer_field(a, "Referrer-Policy", "no-referrer");
		ret = pl_http_answer_send(a, 200, body.len, body.data, body.len);
	}
	pl_http_buf_free(&body);
	return ret;
}
