/*
 * libFuzzer harness: the handshake message codecs of src/tls/msg/ on
 * their own. The first input byte picks the codec (and, for the
 * version-aware ones, TLS 1.3 or 1.2; 8-11 are TLS 1.2's
 * ServerKeyExchange, ClientKeyExchange, CertificateStatus and
 * ServerHelloDone); the rest is a message body. A body
 * that parses is written back from the parsed struct and must parse again
 * to the same fields (for a ClientHello: the same binders offset).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/msg/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes m back after a 4-byte header and parses the result again. */
static void client_hello_again(pl_msg_client_hello_t *m)
{
	pl_buf_t b = PL_BUF_INIT;
	pl_msg_client_hello_t again;
	pl_msg_err_t err;
	pl_reader_t body;
	pl_push_u32(&b, 0);
	pl_msg_client_hello_write(&b, m);
	if (pl_buf_error(&b) == PL_OK) {
		pl_reader_init(&body, b.data + 4, b.len - 4);
		if (pl_msg_client_hello_parse(&body, &again, &err) != PL_OK ||
		    again.suites.n != m->suites.n ||
		    again.binders_offset != m->binders_offset ||
		    memcmp(again.random, m->random, 32) != 0)
			abort();
	}
	pl_buf_free(&b);
}

static void server_hello_again(const pl_msg_server_hello_t *m)
{
	pl_buf_t b = PL_BUF_INIT;
	pl_msg_server_hello_t again;
	pl_msg_err_t err;
	pl_reader_t body;
	pl_push_u32(&b, 0);
	pl_msg_server_hello_write(&b, m);
	if (pl_buf_error(&b) == PL_OK) {
		pl_reader_init(&body, b.data + 4, b.len - 4);
		/* Foreign extensions are not written back, so a TLS 1.2
		 * hello may lose some; the fixed fields stay. */
		if (pl_msg_server_hello_parse(&body, &again, &err) != PL_OK ||
		    again.suite != m->suite || again.hrr != m->hrr)
			abort();
	}
	pl_buf_free(&b);
}

/* TLS 1.2's key exchange messages round trip to the same fields. */
static void server_key_exchange_again(const pl_msg_server_key_exchange_t *m)
{
	pl_buf_t b = PL_BUF_INIT;
	pl_msg_server_key_exchange_t again;
	pl_msg_err_t err;
	pl_reader_t body;
	pl_msg_server_key_exchange_write(&b, m);
	if (pl_buf_error(&b) == PL_OK) {
		pl_reader_init(&body, b.data, b.len);
		if (pl_msg_server_key_exchange_parse(&body, &again, &err) !=
			    PL_OK ||
		    again.group != m->group || again.scheme != m->scheme ||
		    pl_reader_left(&again.params) != pl_reader_left(&m->params) ||
		    memcmp(again.params.p, m->params.p,
			   pl_reader_left(&m->params)) != 0)
			abort();
	}
	pl_buf_free(&b);
}

static void client_key_exchange_again(const pl_msg_client_key_exchange_t *m)
{
	pl_buf_t b = PL_BUF_INIT;
	pl_msg_client_key_exchange_t again;
	pl_msg_err_t err;
	pl_reader_t body;
	pl_msg_client_key_exchange_write(&b, m);
	if (pl_buf_error(&b) == PL_OK) {
		pl_reader_init(&body, b.data, b.len);
		if (pl_msg_client_key_exchange_parse(&body, &again, &err) !=
			    PL_OK ||
		    pl_reader_left(&again.point) != pl_reader_left(&m->point))
			abort();
	}
	pl_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pl_msg_err_t err;
	pl_reader_t r;
	if (size < 1)
		return 0;
	uint8_t which = data[0];
	uint16_t version = which & 0x80 ? PL_TLS_VERSION_12 : PL_TLS_VERSION_13;
	pl_reader_init(&r, data + 1, size - 1);
	switch (which & 0x0f) {
	case 0: {
		pl_msg_client_hello_t m;
		if (size >= 5) /* the codec reads the header before the body */
			pl_reader_init(&r, data + 5, size - 5);
		if (size >= 5 && pl_msg_client_hello_parse(&r, &m, &err) == PL_OK)
			client_hello_again(&m);
		break;
	}
	case 1: {
		pl_msg_server_hello_t m;
		if (pl_msg_server_hello_parse(&r, &m, &err) == PL_OK)
			server_hello_again(&m);
		break;
	}
	case 2: {
		pl_msg_encrypted_extensions_t m;
		(void)pl_msg_encrypted_extensions_parse(&r, &m, &err);
		break;
	}
	case 3: {
		pl_msg_certificate_t m;
		pl_msg_cert_entry_t e;
		size_t n = 0;
		if (pl_msg_certificate_parse(&r, version, &m, &err) == PL_OK) {
			pl_reader_t it = m.list;
			while (pl_msg_certificate_next(&it, version, &e))
				n++;
			if (n != m.n)
				abort();
		}
		break;
	}
	case 4: {
		pl_msg_certificate_request_t m;
		(void)pl_msg_certificate_request_parse(&r, version, &m, &err);
		break;
	}
	case 5: {
		pl_msg_certificate_verify_t m;
		(void)pl_msg_certificate_verify_parse(&r, &m, &err);
		break;
	}
	case 6: {
		pl_msg_new_session_ticket_t m;
		(void)pl_msg_new_session_ticket_parse(&r, version, &m, &err);
		break;
	}
	case 8: {
		pl_msg_server_key_exchange_t m;
		if (pl_msg_server_key_exchange_parse(&r, &m, &err) == PL_OK)
			server_key_exchange_again(&m);
		break;
	}
	case 9: {
		pl_msg_client_key_exchange_t m;
		if (pl_msg_client_key_exchange_parse(&r, &m, &err) == PL_OK)
			client_key_exchange_again(&m);
		break;
	}
	case 10: {
		pl_msg_certificate_status_t m;
		(void)pl_msg_certificate_status_parse(&r, &m, &err);
		break;
	}
	case 11:
		(void)pl_msg_empty_parse(&r, PL_HS_SERVER_HELLO_DONE, &err);
		break;
	default: {
		pl_msg_key_update_t k;
		pl_msg_finished_t f;
		pl_reader_t r2 = r;
		(void)pl_msg_key_update_parse(&r, &k, &err);
		(void)pl_msg_finished_parse(&r2, 32, &f, &err);
		break;
	}
	}
	return 0;
}
