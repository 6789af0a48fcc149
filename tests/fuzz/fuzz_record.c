/*
 * libFuzzer harness: the record layer and the messages after the
 * handshake. Each input starts from a fresh in-memory handshake between a
 * client and a server (deterministic through the test hooks); the input
 * then goes to one of them, the receiver, as if the other, the sender, had
 * sent it.
 *
 * Input: a control byte (FUZZ_RECORD_* in common.h: which side receives,
 * the cipher suite, raw or items), then either raw bytes, fed in chunks
 * to the receiver as they are (record framing, authentication failures),
 * or items (common.h). An item is either raw bytes or a plaintext the
 * harness protects with the keys the receiver reads with (fuzz_seal):
 * those reach what lies behind the AEAD, the inner content type, the
 * padding, alerts, handshake messages after the handshake (KeyUpdate;
 * NewSessionTicket on the client) and application data. After each item
 * the receiver acts as the item's flags say, and its output goes to the
 * sender, which so reads the receiver's alerts, KeyUpdates and data.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz/common.h"

static pl_tls_config_t *server_cfg;
static pl_tls_config_t *client_cfgs[4];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	server_cfg = fuzz_server_config(0);
	for (int i = 0; i < 4; i++) {
		uint16_t suite = fuzz_record_suite(i);
		/* ed25519 only: the quick, deterministic handshake; the last
		 * one signs with ECDSA P-256 instead. */
		client_cfgs[i] = i < 3 ? fuzz_client_config_ed25519(0)
				       : fuzz_client_config(0, false);
		if (pl_tls_config_set_suites(client_cfgs[i], &suite, 1))
			abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t ctl = data[0];
	pl_tls_conn_t *client =
		fuzz_client_new(client_cfgs[FUZZ_RECORD_SUITE(ctl)], 0);
	pl_tls_conn_t *server = fuzz_server_new(server_cfg, PL_GROUP_X25519);
	/* Nothing of the input is used yet: a failure is the engine's. */
	if (!fuzz_handshake(client, server, NULL, NULL))
		abort();
	pl_tls_conn_t *rx = ctl & FUZZ_RECORD_TO_CLIENT ? client : server;
	pl_tls_conn_t *tx = rx == client ? server : client;
	if (ctl & FUZZ_RECORD_RAW)
		fuzz_feed_chunked(rx, data + 1, size - 1, FUZZ_RECORD_CHUNKS(ctl));
	else
		fuzz_feed_items(rx, tx, data + 1, size - 1);
	fuzz_finish(rx);
	(void)fuzz_pump(rx, tx, NULL);
	fuzz_finish(tx);
	pl_tls_conn_free(client);
	pl_tls_conn_free(server);
	return 0;
}
