/*
 * libFuzzer harness: a client connection is fed the input as the bytes a
 * server sends.
 *
 * Input: a control byte, then the server's bytes.
 *   bits 0-2  how the bytes are cut into pl_tls_feed calls
 *             (fuzz_feed_chunked)
 *   bit 3     the client configuration (FUZZ_CLIENT_VARIANTS in common.h)
 *   bit 4     certificate verification off (on: against
 *             fixtures/trust.pem at a fixed time)
 *   bit 5     the hybrid client (variant 2: X25519MLKEM768 and x25519
 *             shares), whatever bit 3 says
 *   bit 7     the rest is items (common.h): records the harness builds,
 *             protected with the server's keys once the client has them,
 *             so that EncryptedExtensions, CertificateRequest,
 *             Certificate, CertificateVerify, Finished and the messages
 *             after the handshake are reached with any content
 * The client's ClientHello, random and key pairs (also the one for a
 * HelloRetryRequest) are fixed, so a server flight that make_corpus
 * recorded replays through the server Finished into the connected state,
 * and the records after it reach NewSessionTicket, KeyUpdate and alerts.
 * The hybrid client's X25519MLKEM768 key pairs are fresh: a recorded
 * flight choosing it reaches decapsulation, then (as raw bytes) fails at
 * the first protected record; as items it goes on to the encrypted
 * messages.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/common.h"

static pl_tls_config_t *configs[FUZZ_CLIENT_VARIANTS][2];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (int i = 0; i < FUZZ_CLIENT_VARIANTS; i++) {
		configs[i][0] = fuzz_client_config(i, true);
		configs[i][1] = fuzz_client_config(i, false);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t ctl = data[0];
	int variant = ctl & 0x20 ? 2 : (ctl >> 3) & 1;
	pl_tls_conn_t *c =
		fuzz_client_new(configs[variant][(ctl >> 4) & 1], variant);
	fuzz_drain(c, NULL); /* the ClientHello */
	if (ctl & 0x80)
		fuzz_feed_items(c, NULL, data + 1, size - 1);
	else
		fuzz_feed_chunked(c, data + 1, size - 1, ctl & 7);
	fuzz_finish(c);
	pl_tls_conn_free(c);
	return 0;
}
