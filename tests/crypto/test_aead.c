/* Tests src/crypto/aead.c against published vectors, and the in-place and
 * forgery rules the record layer relies on. */
#include "padlock/crypto.h"
#include "test.h"

struct aead_vector {
	const char *name;
	pl_aead_alg_t alg;
	const char *key, *nonce, *aad, *plaintext, *ciphertext, *tag;
};

/* The GCM test cases are from McGrew and Viega, "The Galois/Counter Mode
 * of Operation (GCM)", revised submission to NIST (2005), Appendix B. */
#define GCM_P                                                               \
	"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
	"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define GCM_A "feedfacedeadbeeffeedfacedeadbeefabaddad2"
#define GCM_IV "cafebabefacedbaddecaf888"

static const struct aead_vector vectors[] = {
	{ "GCM test case 2", PL_AEAD_AES_128_GCM,
	  "00000000000000000000000000000000", "000000000000000000000000", "",
	  "00000000000000000000000000000000",
	  "0388dace60b6a392f328c2b971b2fe78",
	  "ab6e47d42cec13bdf53a67b21257bddf" },
	{ "GCM test case 1 (empty)", PL_AEAD_AES_128_GCM,
	  "00000000000000000000000000000000", "000000000000000000000000", "",
	  "", "", "58e2fccefa7e3061367f1d57a4e7455a" },
	{ "GCM test case 4", PL_AEAD_AES_128_GCM,
	  "feffe9928665731c6d6a8f9467308308", GCM_IV, GCM_A, GCM_P,
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
	  "5bc94fbc3221a5db94fae95ae7121a47" },
	{ "GCM test case 16", PL_AEAD_AES_256_GCM,
	  "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	  GCM_IV, GCM_A, GCM_P,
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	  "76fc6ece0f4e1768cddf8853bb2d551b" },
	/* RFC 8439 2.8.2: "Ladies and Gentlemen of the class of '99: ..." */
	{ "RFC 8439 2.8.2", PL_AEAD_CHACHA20_POLY1305,
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
	  "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7",
	  "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
	  "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
	  "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
	  "637265656e20776f756c642062652069742e",
	  "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	  "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	  "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	  "3ff4def08e4b7a9de576d26586cec64b6116",
	  "1ae10b594f09e26a7e902ecbd0600691" },
};

struct parsed {
	uint8_t key[32], nonce[12], aad[64], pt[128], ct[128 + 16];
	size_t key_len, aad_len, pt_len;
};

static void parse(const struct aead_vector *v, struct parsed *p)
{
	size_t ct_len;

	p->key_len = test_unhex(v->key, p->key, sizeof(p->key));
	test_unhex(v->nonce, p->nonce, sizeof(p->nonce));
	p->aad_len = test_unhex(v->aad, p->aad, sizeof(p->aad));
	p->pt_len = test_unhex(v->plaintext, p->pt, sizeof(p->pt));
	ct_len = test_unhex(v->ciphertext, p->ct, sizeof(p->ct));
	test_unhex(v->tag, p->ct + ct_len, 16);
}

static void aead_matches_published_vectors(void)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct aead_vector *v = &vectors[i];
		uint8_t out[128 + 16];
		struct parsed p;
		pl_aead_t *a;

		parse(v, &p);
		CHECK_EQ_INT(pl_aead_key_len(v->alg), p.key_len);
		a = pl_aead_new(v->alg, p.key);
		CHECK_MSG(a != NULL, "%s", v->name);
		if (a == NULL)
			continue;
		CHECK_EQ_INT(pl_aead_seal(a, p.nonce, p.aad, p.aad_len, p.pt,
					  p.pt_len, out), PL_OK);
		CHECK_MSG(memcmp(out, p.ct, p.pt_len + 16) == 0, "seal %s", v->name);
		memset(out, 0xee, sizeof(out));
		CHECK_EQ_INT(pl_aead_open(a, p.nonce, p.aad, p.aad_len, p.ct,
					  p.pt_len + 16, out), PL_OK);
		CHECK_MSG(memcmp(out, p.pt, p.pt_len) == 0, "open %s", v->name);
		pl_aead_free(a);
	}
}

/* The record layer encrypts and decrypts in its own buffer. */
static void aead_works_in_place(void)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct aead_vector *v = &vectors[i];
		uint8_t buf[128 + 16];
		struct parsed p;
		pl_aead_t *a;

		parse(v, &p);
		a = pl_aead_new(v->alg, p.key);
		CHECK(a != NULL);
		if (a == NULL)
			continue;
		memcpy(buf, p.pt, p.pt_len);
		CHECK_EQ_INT(pl_aead_seal(a, p.nonce, p.aad, p.aad_len, buf,
					  p.pt_len, buf), PL_OK);
		CHECK_MSG(memcmp(buf, p.ct, p.pt_len + 16) == 0, "seal %s", v->name);
		CHECK_EQ_INT(pl_aead_open(a, p.nonce, p.aad, p.aad_len, buf,
					  p.pt_len + 16, buf), PL_OK);
		CHECK_MSG(memcmp(buf, p.pt, p.pt_len) == 0, "open %s", v->name);
		pl_aead_free(a);
	}
}

/* Any change to the ciphertext, tag, nonce or additional data fails with
 * PL_ERR_DECRYPT and leaves no plaintext behind. */
static void aead_rejects_forgeries(void)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct aead_vector *v = &vectors[i];
		size_t len, flips[3];
		uint8_t buf[128 + 16], out[128 + 16], zero[128] = { 0 };
		struct parsed p;
		pl_aead_t *a;

		parse(v, &p);
		len = p.pt_len + 16;
		a = pl_aead_new(v->alg, p.key);
		CHECK(a != NULL);
		if (a == NULL)
			continue;
		flips[0] = 0;       /* the first byte (ciphertext, or tag) */
		flips[1] = len - 16; /* the first byte of the tag */
		flips[2] = len - 1;  /* the last byte of the tag */
		for (size_t f = 0; f < 3; f++) {
			memcpy(buf, p.ct, len);
			buf[flips[f]] ^= 0x01;
			memset(out, 0xee, sizeof(out));
			CHECK_EQ_INT(pl_aead_open(a, p.nonce, p.aad, p.aad_len,
						  buf, len, out), PL_ERR_DECRYPT);
			CHECK_MEM(out, zero, p.pt_len);
		}
		p.nonce[11] ^= 0x80;
		CHECK_EQ_INT(pl_aead_open(a, p.nonce, p.aad, p.aad_len, p.ct, len,
					  out), PL_ERR_DECRYPT);
		p.nonce[11] ^= 0x80;
		CHECK_EQ_INT(pl_aead_open(a, p.nonce, (const uint8_t *)"x", 1,
					  p.ct, len, out), p.aad_len == 1 ? PL_OK
									 : PL_ERR_DECRYPT);
		/* The context still works after a failure. */
		CHECK_EQ_INT(pl_aead_open(a, p.nonce, p.aad, p.aad_len, p.ct, len,
					  out), PL_OK);
		CHECK_MEM(out, p.pt, p.pt_len);
		CHECK_EQ_INT(pl_aead_open(a, p.nonce, p.aad, p.aad_len, p.ct, 15,
					  out), PL_ERR_DECODE);
		pl_aead_free(a);
	}
}

/* One context, many records with different nonces and sizes, each
 * sealed and opened by a second context with the same key (the two ends
 * of a connection). */
static void aead_many_records_between_two_contexts(void)
{
	static const pl_aead_alg_t algs[] = { PL_AEAD_AES_128_GCM,
					      PL_AEAD_AES_256_GCM,
					      PL_AEAD_CHACHA20_POLY1305 };
	static uint8_t msg[16384 + 16], rec[16384 + 16], back[16384 + 16];

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < 3; i++) {
		uint8_t key[32], nonce[12] = { 0 }, aad[5] = { 23, 3, 3, 0, 0 };
		pl_aead_t *sender, *receiver;

		CHECK_EQ_INT(pl_random(key, sizeof(key)), PL_OK);
		sender = pl_aead_new(algs[i], key);
		receiver = pl_aead_new(algs[i], key);
		CHECK(sender != NULL && receiver != NULL);
		for (size_t n = 0; sender && receiver && n <= 16384; n = n * 2 + 1) {
			nonce[11] = (uint8_t)n;
			CHECK_EQ_INT(pl_aead_seal(sender, nonce, aad, 5, msg, n, rec), PL_OK);
			CHECK_EQ_INT(pl_aead_open(receiver, nonce, aad, 5, rec, n + 16, back),
				     PL_OK);
			CHECK_MSG(memcmp(back, msg, n) == 0, "alg %zu length %zu", i, n);
		}
		pl_aead_free(sender);
		pl_aead_free(receiver);
	}
}

/* An empty record (only a tag) needs no plaintext buffer at all. */
static void aead_empty_message_needs_no_buffers(void)
{
	uint8_t key[32] = { 7 }, nonce[12] = { 1 }, tag[16];
	pl_aead_t *a = pl_aead_new(PL_AEAD_CHACHA20_POLY1305, key);

	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK_EQ_INT(pl_aead_seal(a, nonce, NULL, 0, NULL, 0, tag), PL_OK);
	CHECK_EQ_INT(pl_aead_open(a, nonce, NULL, 0, tag, 16, NULL), PL_OK);
	tag[0] ^= 1;
	CHECK_EQ_INT(pl_aead_open(a, nonce, NULL, 0, tag, 16, NULL), PL_ERR_DECRYPT);
	pl_aead_free(a);
}

static void aead_rejects_unknown_algorithm(void)
{
	uint8_t key[32] = { 0 };

	CHECK(pl_aead_new((pl_aead_alg_t)0, key) == NULL);
	CHECK_EQ_INT(pl_aead_key_len((pl_aead_alg_t)9), 0);
	pl_aead_free(NULL);
}

int main(void)
{
	RUN(aead_matches_published_vectors);
	RUN(aead_works_in_place);
	RUN(aead_rejects_forgeries);
	RUN(aead_many_records_between_two_contexts);
	RUN(aead_empty_message_needs_no_buffers);
	RUN(aead_rejects_unknown_algorithm);
	return test_finish();
}
