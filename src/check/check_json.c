/*
 * padlock check --json: the result in the stable schema of
 * docs/padlock-check.md ("schema": "padlock-check/1"). New keys may be
 * added; existing keys keep their names, types and meanings.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "check/check_internal.h"

#define DAY (24 * 60 * 60)

/* json_object_set_new that records a failure instead of returning it. */
static void set(json_t *o, const char *key, json_t *v, bool *ok)
{
	if (v == NULL || json_object_set_new(o, key, v) != 0)
		*ok = false;
}

static void push(json_t *a, json_t *v, bool *ok)
{
	if (v == NULL || json_array_append_new(a, v) != 0)
		*ok = false;
}

static json_t *str_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *answer(pl_check_answer_t a)
{
	switch (a) {
	case PL_CHECK_YES: return json_true();
	case PL_CHECK_NO: return json_false();
	default: return json_null();
	}
}

static json_t *time_string(time_t t)
{
	char buf[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static json_t *hex16(uint16_t v)
{
	char buf[8];

	snprintf(buf, sizeof buf, "0x%04x", v);
	return json_string(buf);
}

static json_t *target(const pl_check_result_t *r, bool *ok)
{
	json_t *o = json_object();

	if (o == NULL) {
		*ok = false;
		return NULL;
	}
	set(o, "host", json_string(r->host), ok);
	set(o, "port", json_integer(r->port), ok);
	set(o, "sni", str_or_null(r->sni), ok);
	set(o, "path", json_string(r->path), ok);
	set(o, "http_port", json_integer(r->http_port), ok);
	return o;
}

static json_t *addresses(const pl_check_result_t *r, bool *ok)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < r->address_count; i++) {
		const pl_check_address_t *x = &r->addresses[i];
		json_t *o = json_object();

		if (o == NULL) {
			*ok = false;
			break;
		}
		set(o, "ip", json_string(x->ip), ok);
		set(o, "family", json_string(x->ipv6 ? "ipv6" : "ipv4"), ok);
		set(o, "port", json_string(pl_check_port_name(x->https)), ok);
		set(o, "connect_ms", x->https == PL_CHECK_PORT_OPEN
					     ? json_integer(x->connect_ms)
					     : json_null(), ok);
		set(o, "tested", json_boolean(strcmp(x->ip, r->tested_ip) == 0),
		    ok);
		push(a, o, ok);
	}
	return a;
}

static json_t *protocols(const pl_check_result_t *r, bool *ok)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < 5; i++) {
		const pl_check_protocol_t *p = &r->protocols[i];
		json_t *o = json_object();

		if (o == NULL) {
			*ok = false;
			break;
		}
		set(o, "name", json_string(check_version_name((uint16_t)(0x0300 + i))),
		    ok);
		set(o, "version", hex16((uint16_t)(0x0300 + i)), ok);
		set(o, "accepted", answer(p->accepted), ok);
		set(o, "tested", json_boolean(p->accepted != PL_CHECK_NOT_TESTED),
		    ok);
		set(o, "detail", str_or_null(p->detail), ok);
		push(a, o, ok);
	}
	return a;
}

static json_t *suite(const pl_check_suite_t *s, bool *ok)
{
	json_t *o = json_object();

	if (o == NULL) {
		*ok = false;
		return NULL;
	}
	set(o, "id", hex16(s->id), ok);
	set(o, "name", json_string(s->name), ok);
	set(o, "forward_secrecy", json_boolean(s->flags & PL_SUITE_FS), ok);
	set(o, "aead", json_boolean(s->flags & PL_SUITE_AEAD), ok);
	set(o, "rsa_kx", json_boolean(s->flags & PL_SUITE_RSA_KX), ok);
	set(o, "cbc", json_boolean(s->flags & PL_SUITE_CBC), ok);
	set(o, "3des", json_boolean(s->flags & PL_SUITE_3DES), ok);
	set(o, "rc4", json_boolean(s->flags & PL_SUITE_RC4), ok);
	set(o, "null", json_boolean(s->flags & PL_SUITE_NULL), ok);
	set(o, "export", json_boolean(s->flags & PL_SUITE_EXPORT), ok);
	set(o, "anon", json_boolean(s->flags & PL_SUITE_ANON), ok);
	set(o, "group", s->group != 0 ? json_string(pl_tls_group_name(s->group))
				      : json_null(), ok);
	set(o, "dhe_bits", s->dhe_bits != 0 ? json_integer(s->dhe_bits)
					    : json_null(), ok);
	return o;
}

static const char *order_name(pl_check_order_t o)
{
	switch (o) {
	case PL_CHECK_ORDER_SERVER: return "server";
	case PL_CHECK_ORDER_CLIENT: return "client";
	case PL_CHECK_ORDER_ONE: return "one-suite";
	default: return NULL;
	}
}

static json_t *names(const uint16_t *v, size_t n, bool groups, bool *ok);

static json_t *legacy(const pl_check_result_t *r, bool *ok)
{
	json_t *o = json_object(), *list = json_array();

	if (o == NULL || list == NULL) {
		json_decref(o);
		json_decref(list);
		*ok = false;
		return NULL;
	}
	set(o, "version", r->legacy_version != 0
				  ? json_string(check_version_name(r->legacy_version))
				  : json_null(), ok);
	for (size_t i = 0; i < r->suite_count; i++)
		push(list, suite(&r->suites[i], ok), ok);
	set(o, "accepted", list, ok);
	set(o, "complete", json_boolean(!r->suites_truncated), ok);
	set(o, "server_order", str_or_null(order_name(r->order)), ok);
	set(o, "groups", names(r->legacy_groups, r->legacy_group_count, true, ok),
	    ok);
	set(o, "secure_renegotiation", r->legacy_version != 0
		    ? json_boolean(r->secure_renegotiation) : json_null(), ok);
	return o;
}

static json_t *names(const uint16_t *v, size_t n, bool groups, bool *ok)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		push(a, json_string(groups ? pl_tls_group_name(v[i])
					   : pl_tls_suite_name(v[i])), ok);
	return a;
}

static json_t *tls13(const pl_check_result_t *r, bool *ok)
{
	json_t *o = json_object(), *hrr = json_object();

	if (o == NULL || hrr == NULL) {
		json_decref(o);
		json_decref(hrr);
		*ok = false;
		return NULL;
	}
	set(o, "accepted", answer(r->protocols[4].accepted), ok);
	set(o, "suites", names(r->tls13_suites, r->tls13_suite_count, false, ok),
	    ok);
	set(o, "groups", names(r->tls13_groups, r->tls13_group_count, true, ok),
	    ok);
	set(hrr, "answered", answer(r->hrr), ok);
	set(hrr, "group", r->hrr == PL_CHECK_YES
				  ? json_string(pl_tls_group_name(r->hrr_group))
				  : json_null(), ok);
	set(o, "hello_retry_request", hrr, ok);
	return o;
}

/* {"resumed": true|false|null, "detail": "..."}, and the lifetime hint
 * of the ticket it tried when known. */
static json_t *resumption_way(pl_check_answer_t a, const char *detail,
			      json_t *lifetime, bool *ok)
{
	json_t *o = json_object();

	if (o == NULL) {
		json_decref(lifetime);
		*ok = false;
		return NULL;
	}
	set(o, "resumed", answer(a), ok);
	set(o, "detail", str_or_null(detail), ok);
	if (lifetime != NULL)
		set(o, "ticket_lifetime", lifetime, ok);
	return o;
}

static json_t *resumption(const pl_check_result_t *r, bool *ok)
{
	json_t *o = json_object();

	if (o == NULL) {
		*ok = false;
		return NULL;
	}
	set(o, "tls13_ticket", resumption_way(r->resume13, r->resume13_detail,
		r->engine_tickets > 0
			? json_integer((json_int_t)r->ticket_lifetime)
			: json_null(), ok), ok);
	set(o, "tls12_ticket", resumption_way(r->resume12_ticket,
		r->resume12_ticket_detail, r->tls12_ticket_received &&
		r->tls12_ticket_lifetime > 0
			? json_integer((json_int_t)r->tls12_ticket_lifetime)
			: json_null(), ok), ok);
	set(o, "tls12_session_id", resumption_way(r->resume12_id,
		r->resume12_id_detail, NULL, ok), ok);
	set(o, "early_data", r->engine_tickets > 0
		? json_boolean(r->ticket_max_early_data > 0) : json_null(), ok);
	return o;
}

static json_t *handshake(const pl_check_result_t *r, bool *ok)
{
	json_t *o = json_object();

	if (o == NULL) {
		*ok = false;
		return NULL;
	}
	set(o, "completed", json_boolean(r->engine_handshake), ok);
	set(o, "detail", str_or_null(r->engine_detail), ok);
	set(o, "session_tickets", r->engine_handshake
		    ? json_integer((json_int_t)r->engine_tickets) : json_null(),
	    ok);
	set(o, "ticket_lifetime", r->engine_tickets > 0
		    ? json_integer((json_int_t)r->ticket_lifetime) : json_null(),
	    ok);
	set(o, "ticket_max_early_data", r->engine_tickets > 0
		    ? json_integer((json_int_t)r->ticket_max_early_data)
		    : json_null(), ok);
	set(o, "tls12_session_id", answer(r->tls12_session_id), ok);
	set(o, "tls12_session_ticket", answer(r->tls12_session_ticket), ok);
	set(o, "resumption", resumption(r, ok), ok);
	if (!r->engine_handshake) {
		set(o, "version", json_null(), ok);
		set(o, "suite", json_null(), ok);
		set(o, "group", json_null(), ok);
		set(o, "signature_scheme", json_null(), ok);
		return o;
	}
	/* a TLS 1.2-only site completes in 1.2: the suite says which */
	set(o, "version", json_string(pl_tls_version_name(
		pl_tls_suite_spoken(r->engine_suite) &&
		(pl_tls_suite_lookup(r->engine_suite)->flags & PL_SUITE_TLS13)
		? PL_TLS_VERSION_13 : PL_TLS_VERSION_12)), ok);
	set(o, "suite", json_string(pl_tls_suite_name(r->engine_suite)), ok);
	set(o, "group", json_string(pl_tls_group_name(r->engine_group)), ok);
	set(o, "signature_scheme",
	    json_string(pl_tls_sigscheme_name(r->engine_sigscheme)), ok);
	return o;
}

static json_t *cert_entry(const pl_check_result_t *r, const pl_x509_info_t *c,
			  bool *ok)
{
	json_t *o = json_object(), *list = json_array();
	char buf[sizeof c->names], *save = NULL;

	if (o == NULL || list == NULL) {
		json_decref(o);
		json_decref(list);
		*ok = false;
		return NULL;
	}
	snprintf(buf, sizeof buf, "%s", c->names);
	for (char *n = strtok_r(buf, ", ", &save); n != NULL;
	     n = strtok_r(NULL, ", ", &save))
		push(list, json_string(n), ok);
	set(o, "subject", json_string(c->subject), ok);
	set(o, "issuer", json_string(c->issuer), ok);
	set(o, "names", list, ok);
	set(o, "key", json_string(c->key), ok);
	set(o, "signature", json_string(c->sig_alg), ok);
	set(o, "not_before", time_string(c->not_before), ok);
	set(o, "not_after", time_string(c->not_after), ok);
	set(o, "days_left", json_integer((json_int_t)((c->not_after - r->started)
						      / DAY)), ok);
	set(o, "ca", json_boolean(c->is_ca), ok);
	set(o, "self_signed", json_boolean(c->self_signed), ok);
	return o;
}

static json_t *certificate(const pl_check_result_t *r, bool *ok)
{
	json_t *o = json_object(), *chain = json_array();

	if (o == NULL || chain == NULL) {
		json_decref(o);
		json_decref(chain);
		*ok = false;
		return NULL;
	}
	for (size_t i = 0; i < r->chain_count; i++)
		push(chain, cert_entry(r, &r->chain[i], ok), ok);
	set(o, "source", str_or_null(r->cert_source), ok);
	set(o, "chain", chain, ok);
	set(o, "trusted", r->chain_count > 0 ? json_boolean(r->trusted)
					     : json_null(), ok);
	set(o, "trusted_root", r->trusted ? json_string(r->trust_reason)
					  : json_null(), ok);
	set(o, "trust_error", !r->trusted && r->chain_count > 0
				      ? str_or_null(r->trust_reason)
				      : json_null(), ok);
	set(o, "ocsp_stapled", r->ocsp_checked ? json_boolean(r->ocsp_stapled)
					       : json_null(), ok);
	return o;
}

static json_t *http(const pl_check_result_t *r, bool *ok)
{
	json_t *o = json_object();

	if (o == NULL) {
		*ok = false;
		return NULL;
	}
	set(o, "port", json_integer(r->http_port), ok);
	set(o, "state", json_string(pl_check_port_name(r->http_state)), ok);
	set(o, "status", r->http_status != 0 ? json_integer(r->http_status)
					     : json_null(), ok);
	set(o, "location", str_or_null(r->location), ok);
	set(o, "expected_location", str_or_null(r->expected_location), ok);
	set(o, "alpn", r->h2 != PL_CHECK_NOT_TESTED ? str_or_null(r->alpn)
						     : json_null(), ok);
	set(o, "h2", answer(r->h2), ok);
	set(o, "h2_answered", r->h2 == PL_CHECK_YES
				      ? json_boolean(r->h2_answered)
				      : json_null(), ok);
	return o;
}

static json_t *hsts(const pl_check_result_t *r, bool *ok)
{
	json_t *o = json_object();

	if (o == NULL) {
		*ok = false;
		return NULL;
	}
	set(o, "checked", json_boolean(r->hsts_checked), ok);
	set(o, "https_status", r->hsts_checked ? json_integer(r->https_status)
					       : json_null(), ok);
	set(o, "present", json_boolean(r->hsts_present), ok);
	set(o, "max_age", r->hsts_max_age >= 0 ? json_integer(r->hsts_max_age)
					       : json_null(), ok);
	set(o, "include_subdomains", json_boolean(r->hsts_include_subdomains),
	    ok);
	set(o, "preload", json_boolean(r->hsts_preload), ok);
	return o;
}

static json_t *findings(const pl_check_result_t *r, bool *ok)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < r->finding_count; i++) {
		const pl_check_finding_t *f = &r->findings[i];
		json_t *o = json_object();

		if (o == NULL) {
			*ok = false;
			break;
		}
		set(o, "step", json_string(pl_check_step_key(f->step)), ok);
		set(o, "level", json_string(pl_check_level_name(f->level)), ok);
		set(o, "code", json_string(f->code), ok);
		set(o, "message", json_string(f->message), ok);
		set(o, "fix", str_or_null(f->fix), ok);
		set(o, "cert", f->cert >= 0 ? json_integer(f->cert) : json_null(),
		    ok);
		push(a, o, ok);
	}
	return a;
}

static json_t *caps(const pl_check_result_t *r, bool *ok)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < r->cap_count; i++) {
		json_t *o = json_object();

		if (o == NULL) {
			*ok = false;
			break;
		}
		set(o, "grade", json_string(r->caps[i].grade), ok);
		set(o, "code", json_string(r->caps[i].code), ok);
		set(o, "reason", json_string(r->caps[i].reason), ok);
		push(a, o, ok);
	}
	return a;
}

static json_t *counts(const pl_check_result_t *r, bool *ok)
{
	json_t *o = json_object();

	for (int l = PL_CHECK_OK; o != NULL && l <= PL_CHECK_FAILURE; l++)
		set(o, pl_check_level_name((pl_check_level_t)l),
		    json_integer((json_int_t)pl_check_count(r, (pl_check_level_t)l)),
		    ok);
	return o;
}

static void grade(json_t *root, const pl_check_result_t *r,
		  const char *min_grade, bool *ok)
{
	set(root, "grade", str_or_null(r->grade), ok);
	set(root, "grade_if_trusted", str_or_null(r->grade_if_trusted), ok);
	set(root, "caps", caps(r, ok), ok);
	if (min_grade != NULL) {
		set(root, "min_grade", json_string(min_grade), ok);
		set(root, "passed",
		    json_boolean(pl_check_grade_at_least(r->grade, min_grade)), ok);
	}
}

char *pl_check_to_json(const pl_check_result_t *r, const char *min_grade)
{
	json_t *root = json_object();
	bool ok = root != NULL;
	char *text = NULL;

	if (!ok)
		return NULL;
	set(root, "schema", json_string("padlock-check/1"), &ok);
	set(root, "target", target(r, &ok), &ok);
	set(root, "started_at", time_string(r->started), &ok);
	set(root, "duration_ms", json_integer(r->duration_ms), &ok);
	set(root, "complete", json_boolean(r->complete), &ok);
	set(root, "reachable", json_boolean(r->reachable), &ok);
	grade(root, r, min_grade, &ok);
	set(root, "counts", counts(r, &ok), &ok);
	set(root, "addresses", addresses(r, &ok), &ok);
	set(root, "tested_ip", str_or_null(r->tested_ip), &ok);
	set(root, "protocols", protocols(r, &ok), &ok);
	set(root, "handshake", handshake(r, &ok), &ok);
	set(root, "suites", legacy(r, &ok), &ok);
	set(root, "tls13", tls13(r, &ok), &ok);
	set(root, "certificate", certificate(r, &ok), &ok);
	set(root, "http", http(r, &ok), &ok);
	set(root, "hsts", hsts(r, &ok), &ok);
	set(root, "findings", findings(r, &ok), &ok);
	if (ok)
		text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return text;
}
