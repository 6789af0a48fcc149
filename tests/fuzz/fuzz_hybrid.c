/*
 * libFuzzer harness: the X25519MLKEM768 key shares (src/crypto/hybrid.c,
 * mlkem.c), as the engine will hand them over from a peer's key_share.
 *
 * Input: a control byte, then the share. Bit 0 clear: the bytes are a
 * client's share for the server side (length, the ML-KEM encapsulation key
 * check, encapsulation, X25519). Bit 0 set: they are a server's share for
 * a client whose key pairs come from fixed seeds (length, X25519,
 * decapsulation with implicit rejection of any ciphertext). Either side
 * must succeed or refuse with PL_ERR_DECODE, and the wrong length must
 * always be refused; anything else (a crash, PL_ERR_CRYPTO) is a bug.
 *
 * Seeds (corpus/fuzz_hybrid/): a valid client share and a valid server
 * share for the fixed client, made with pl_hybrid_* from the same seeds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "padlock/crypto.h"

static pl_hybrid_t *client;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t d[32], z[32], x25519[32];

	(void)argc;
	(void)argv;
	memset(d, 0x11, sizeof(d));
	memset(z, 0x22, sizeof(z));
	memset(x25519, 0x33, sizeof(x25519));
	client = pl_hybrid_client_new_from(d, z, x25519);
	if (client == NULL)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t share[PL_HYBRID_SERVER_SHARE_LEN], secret[PL_HYBRID_SECRET_LEN];
	size_t share_len = 0, secret_len = 0;
	int err;

	if (size < 1)
		return 0;
	if ((data[0] & 1) == 0) {
		err = pl_hybrid_server_respond(data + 1, size - 1, share,
					       sizeof(share), &share_len,
					       secret, sizeof(secret),
					       &secret_len);
		if (err == PL_OK && (size - 1 != PL_HYBRID_CLIENT_SHARE_LEN ||
				     share_len != PL_HYBRID_SERVER_SHARE_LEN ||
				     secret_len != PL_HYBRID_SECRET_LEN))
			abort();
	} else {
		err = pl_hybrid_client_finish(client, data + 1, size - 1,
					      secret, sizeof(secret),
					      &secret_len);
		if (err == PL_OK && (size - 1 != PL_HYBRID_SERVER_SHARE_LEN ||
				     secret_len != PL_HYBRID_SECRET_LEN))
			abort();
	}
	if (err != PL_OK && err != PL_ERR_DECODE)
		abort();
	return 0;
}
