/*
 * libFuzzer harness: a server connection is fed the input as the bytes a
 * client sends.
 *
 * Input: a control byte, then the client's bytes.
 *   bits 0-2  how the bytes are cut into pl_tls_feed calls
 *             (fuzz_feed_chunked), to exercise record and handshake
 *             message reassembly
 *   bits 3-4  the server configuration (FUZZ_SERVER_VARIANTS in common.h)
 *   bits 5-6  the group of the server's fixed key pair (fuzz_server_group)
 *   bit 7     the rest is items (common.h): records the harness builds,
 *             protected with the client's keys once the server has them,
 *             so that the Finished and what follows it are reached with
 *             any content
 * The server's random and key pair are fixed by the test hooks, so a
 * client flight that make_corpus recorded against the Ed25519 chain
 * replays through the client Finished into the connected state, and what
 * follows it (application data, KeyUpdate, alerts) reaches the record
 * layer's protected path.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/common.h"

static pl_tls_config_t *configs[FUZZ_SERVER_VARIANTS];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (int i = 0; i < FUZZ_SERVER_VARIANTS; i++)
		configs[i] = fuzz_server_config(i);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t ctl = data[0];
	pl_tls_conn_t *c = fuzz_server_new(configs[(ctl >> 3) & 3],
					   fuzz_server_group(ctl >> 5));
	if (ctl & 0x80)
		fuzz_feed_items(c, NULL, data + 1, size - 1);
	else
		fuzz_feed_chunked(c, data + 1, size - 1, ctl & 7);
	fuzz_finish(c);
	pl_tls_conn_free(c);
	return 0;
}
