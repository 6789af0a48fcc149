/*
 * The state machines' driver: each message is checked against the
 * machine's table first (a message no row of the current state accepts
 * is unexpected_message, decided here and nowhere else), then decoded by
 * its codec, then handed to the row's handler; the machine moves to the
 * row's next state when the handler succeeds.
 */
#include "tls/tls_int.h"

/* The row of state for type; hrr -1 matches either kind of ServerHello. */
static const pl_tls_row_t *find_row(const pl_tls_machine_t *mc, int state,
				    uint8_t type, int hrr)
{
	for (size_t i = 0; i < mc->n_rows; i++) {
		const pl_tls_row_t *r = &mc->rows[i];
		if (r->state == state && r->type == type &&
		    (hrr < 0 || r->hrr < 0 || r->hrr == hrr))
			return r;
	}
	return NULL;
}

int pl_tls_unexpected(pl_tls_conn_t *c, uint8_t type)
{
	const pl_tls_machine_t *mc = c->machine;
	if (mc == NULL)
		return pl_tls_fail(c, PL_ALERT_UNEXPECTED_MESSAGE,
				   "%s before the %s",
				   pl_tls_handshake_name(type),
				   c->is_server ? "ClientHello" : "ServerHello");
	return pl_tls_fail(c, PL_ALERT_UNEXPECTED_MESSAGE,
			   "%s: %s is not expected in state %s", mc->name,
			   pl_tls_handshake_name(type),
			   mc->state_names[c->machine_state]);
}

/* RFC 8446 4.4.4: verify_data is Hash.length; RFC 5246 7.4.9: 12 bytes.
 * 0 while no suite is chosen. */
static size_t finished_len(const pl_tls_conn_t *c)
{
	if (c->machine != NULL && c->machine->version == PL_TLS_VERSION_12)
		return PL_TLS12_VERIFY_LEN;
	return c->hash_len;
}

static int decode(pl_tls_conn_t *c, pl_reader_t *body, pl_tls_msg_t *m,
		  pl_msg_err_t *err)
{
	uint16_t v = c->machine ? c->machine->version : PL_TLS_VERSION_13;
	switch (m->type) {
	case PL_HS_CLIENT_HELLO:
		return pl_msg_client_hello_parse(body, &m->u.client_hello, err);
	case PL_HS_SERVER_HELLO:
		return pl_msg_server_hello_parse(body, &m->u.server_hello, err);
	case PL_HS_ENCRYPTED_EXTENSIONS:
		return pl_msg_encrypted_extensions_parse(
			body, &m->u.encrypted_extensions, err);
	case PL_HS_CERTIFICATE:
		return pl_msg_certificate_parse(body, v, &m->u.certificate, err);
	case PL_HS_CERTIFICATE_REQUEST:
		return pl_msg_certificate_request_parse(
			body, v, &m->u.certificate_request, err);
	case PL_HS_CERTIFICATE_VERIFY:
		return pl_msg_certificate_verify_parse(
			body, &m->u.certificate_verify, err);
	case PL_HS_FINISHED:
		return pl_msg_finished_parse(body, finished_len(c),
					     &m->u.finished, err);
	case PL_HS_SERVER_KEY_EXCHANGE:
		return pl_msg_server_key_exchange_parse(
			body, &m->u.server_key_exchange, err);
	case PL_HS_CLIENT_KEY_EXCHANGE:
		return pl_msg_client_key_exchange_parse(
			body, &m->u.client_key_exchange, err);
	case PL_HS_CERTIFICATE_STATUS:
		return pl_msg_certificate_status_parse(
			body, &m->u.certificate_status, err);
	case PL_HS_SERVER_HELLO_DONE:
	case PL_HS_HELLO_REQUEST:
		return pl_msg_empty_parse(body, m->type, err);
	case PL_HS_KEY_UPDATE:
		return pl_msg_key_update_parse(body, &m->u.key_update, err);
	case PL_HS_NEW_SESSION_TICKET:
		return pl_msg_new_session_ticket_parse(
			body, v, &m->u.new_session_ticket, err);
	default:
		/* no machine has a row for a type without a codec */
		return pl_msg_fail(err, PL_ALERT_UNEXPECTED_MESSAGE,
				   "%s has no codec",
				   pl_tls_handshake_name(m->type));
	}
}

int pl_tls_machine_run(pl_tls_conn_t *c, pl_tls_msg_t *m)
{
	const pl_tls_machine_t *mc = c->machine;
	int hrr = m->type == PL_HS_SERVER_HELLO ? m->u.server_hello.hrr : -1;
	const pl_tls_row_t *row = find_row(mc, c->machine_state, m->type, hrr);
	if (row == NULL)
		return pl_tls_unexpected(c, m->type);
	int ret = row->handle(c, m);
	if (ret < 0)
		return ret;
	if (c->state == ST_FAILED)
		return PL_ERR_TLS;
	c->machine_state = ret == PL_TLS_ALT ? row->alt : row->next;
	return PL_OK;
}

static bool accepted(const pl_tls_conn_t *c, uint8_t type)
{
	if (c->machine == NULL)
		return type == (c->is_server ? PL_HS_CLIENT_HELLO
					     : PL_HS_SERVER_HELLO);
	return find_row(c->machine, c->machine_state, type, -1) != NULL;
}

int pl_tls_machine_header(pl_tls_conn_t *c, uint8_t type, size_t len)
{
	size_t max = PL_TLS_MAX_HANDSHAKE, exact = 0;
	bool fixed = false;
	if (!accepted(c, type))
		return pl_tls_unexpected(c, type);
	switch (type) {
	case PL_HS_CLIENT_HELLO:
		max = PL_TLS_MAX_CLIENT_HELLO;
		break;
	case PL_HS_FINISHED: /* RFC 8446 4.4.4, RFC 5246 7.4.9 */
		exact = finished_len(c);
		fixed = exact > 0;
		break;
	case PL_HS_SERVER_HELLO_DONE: /* RFC 5246 7.4.5, 7.4.1.1: empty */
	case PL_HS_HELLO_REQUEST:
		fixed = true;
		break;
	case PL_HS_KEY_UPDATE: /* RFC 8446 4.6.3: one byte */
		fixed = true;
		exact = 1;
		break;
	default:
		break;
	}
	if (fixed && len != exact)
		return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
				   "%s of %zu bytes (it is %zu)",
				   pl_tls_handshake_name(type), len, exact);
	if (len > max)
		return pl_tls_fail(c, PL_ALERT_DECODE_ERROR,
				   "%s of %zu bytes (limit %zu)",
				   pl_tls_handshake_name(type), len, max);
	return PL_OK;
}

int pl_tls_machine_input(pl_tls_conn_t *c, const uint8_t *raw, size_t len)
{
	pl_tls_msg_t m;
	pl_msg_err_t err;
	pl_reader_t body;
	int ret;
	m.type = raw[0];
	m.raw = raw;
	m.raw_len = len;
	if (!accepted(c, m.type))
		return pl_tls_unexpected(c, m.type);
	if ((ret = pl_tls_transcript_message(c, m.type, raw, len)))
		return ret;
	pl_reader_init(&body, raw + 4, len - 4);
	if ((ret = decode(c, &body, &m, &err)))
		return pl_tls_fail_msg(c, ret, &err);
	if (c->machine == NULL)
		return c->is_server ? pl_tls_server_negotiate(c, &m)
				    : pl_tls_client_negotiate(c, &m);
	return pl_tls_machine_run(c, &m);
}
