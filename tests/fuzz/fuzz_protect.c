/*
 * libFuzzer harness: record protection on its own (src/tls/protect*.c),
 * both versions (TLS 1.3, and TLS 1.2 which no handshake reaches yet),
 * each AEAD.
 *
 * Input: a control byte, then the data.
 *   bit 0     TLS 1.2 (else TLS 1.3)
 *   bits 1-2  the AEAD: AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305 (3: the
 *             first)
 *   bit 3     round trip (else open)
 * Open: the data is a stream of records (header, then as many bytes as it
 *   says, or what is left), each opened in turn under one key; the first
 *   refusal ends it. Nothing may be read past a record, and a refusal
 *   must name an alert.
 * Round trip: two bytes of record size limit, two bytes of where to flip
 *   a bit, a content type, then content sealed in records of at most 2^14
 *   bytes and opened by a receiver with the same key: each must come back
 *   as it went, unless the flipped bit fell inside it, when it must be
 *   refused as not authentic.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const pl_aead_alg_t algs[4] = {
	PL_AEAD_AES_128_GCM, PL_AEAD_AES_256_GCM, PL_AEAD_CHACHA20_POLY1305,
	PL_AEAD_AES_128_GCM,
};

static void keyed(pl_tls_protect_t *p, const pl_tls_protect_ops_t *ops,
		  pl_aead_alg_t alg)
{
	static const uint8_t key[32] = {0x11, 0x22, 0x33}, iv[12] = {0x44};
	memset(p, 0, sizeof(*p));
	if (pl_tls_protect_rekey(p, ops, alg, key, iv) != PL_OK)
		abort();
}

static void open_stream(pl_tls_protect_t *p, const uint8_t *data,
			size_t size)
{
	while (size >= PL_TLS_RECORD_HEADER) {
		size_t len = (size_t)data[3] << 8 | data[4];
		if (len > size - PL_TLS_RECORD_HEADER)
			len = size - PL_TLS_RECORD_HEADER;
		/* a copy of exactly the record: ASan sees any read past it */
		uint8_t *rec = malloc(PL_TLS_RECORD_HEADER + len);
		pl_tls_opened_t o;
		if (rec == NULL)
			abort();
		memcpy(rec, data, PL_TLS_RECORD_HEADER + len);
		memset(&o, 0, sizeof(o));
		int ret = pl_tls_protect_open(p, rec, len, 0, &o);
		free(rec);
		if (ret != PL_OK) {
			if (o.alert == 0 || o.why[0] == 0)
				abort();
			return;
		}
		data += PL_TLS_RECORD_HEADER + len;
		size -= PL_TLS_RECORD_HEADER + len;
	}
}

static void round_trip(pl_tls_protect_t *tx, pl_tls_protect_t *rx,
		       const uint8_t *data, size_t size)
{
	if (size < 5)
		return;
	size_t limit = (size_t)data[0] << 8 | data[1];
	size_t flip = (size_t)data[2] << 8 | data[3];
	/* TLS 1.3 reads the type as the last non-zero byte: 0 is no type */
	uint8_t type = data[4] ? data[4] : PL_CT_APPLICATION_DATA;
	data += 5;
	size -= 5;
	do {
		size_t n = size < PL_TLS_MAX_PLAINTEXT ? size
						       : PL_TLS_MAX_PLAINTEXT;
		pl_buf_t out = PL_BUF_INIT;
		pl_tls_opened_t o;
		if (pl_tls_protect_seal(tx, type, data, n, &out) != PL_OK)
			abort();
		size_t len = pl_buf_size(&out) - PL_TLS_RECORD_HEADER;
		bool flipped = flip < PL_TLS_RECORD_HEADER + len &&
			       flip != 3 && flip != 4;
		if (flipped)
			out.data[flip] ^= 0x80;
		memset(&o, 0, sizeof(o));
		int ret = pl_tls_protect_open(rx, out.data, len, limit, &o);
		if (flipped) {
			if (ret != PL_ERR_DECRYPT)
				abort();
		} else if (ret == PL_OK) {
			if (o.len != n || (n > 0 && memcmp(o.data, data, n)))
				abort();
		} else if (o.alert != PL_ALERT_RECORD_OVERFLOW &&
			   o.alert != PL_ALERT_UNEXPECTED_MESSAGE) {
			/* what was sealed is authentic: only the size limit
			 * or a zero content type (1.3) may refuse it */
			abort();
		}
		pl_buf_free(&out);
		if (ret != PL_OK)
			return;
		data += n;
		size -= n;
	} while (size > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const pl_tls_protect_ops_t *ops =
		data[0] & 1 ? &pl_tls_protect_12 : &pl_tls_protect_13;
	pl_aead_alg_t alg = algs[(data[0] >> 1) & 3];
	pl_tls_protect_t tx, rx;
	keyed(&tx, ops, alg);
	keyed(&rx, ops, alg);
	if (data[0] & 8)
		round_trip(&tx, &rx, data + 1, size - 1);
	else
		open_stream(&rx, data + 1, size - 1);
	pl_tls_protect_clear(&tx);
	pl_tls_protect_clear(&rx);
	return 0;
}
