/*
 * The record layer.
 *
 * Record protection (src/tls/protect*.c) on its own, in memory: TLS 1.2's
 * AEAD records (RFC 5288 AES-GCM, RFC 7905 ChaCha20-Poly1305) compared
 * byte for byte with records this file builds straight from the RFCs'
 * text on bare EVP, then round trips, tampering, short records, sequence
 * numbers (order, replay, exhaustion before 2^64) and rekeying, for both
 * versions.
 *
 * The record layer of a connection against hostile records (RFC 8446 5,
 * 4.2.10): empty handshake and alert content, the TLSInnerPlaintext size
 * limit counted with its padding, records too short for the tag, and the
 * skipping of rejected early data, only while it may come and within its
 * budget.
 *
 * The hand-off of application data: a record that arrives while nothing
 * is waiting becomes the read queue as it is (no copy); one that arrives
 * behind unread data is appended. Both must give the bytes back in order,
 * whatever the reader's pace, and shrinking an idle connection must keep
 * what is unread.
 */
#include <openssl/evp.h>

#include "engine_pair.h"
#include "tls/protect.h"

#define RECORD 16384
#define RECORDS 4

/* Record r carries bytes that say where they belong. */
static uint8_t pattern(size_t r, size_t i)
{
	return (uint8_t)(r * 61 + i * 7 + (i >> 9));
}

/* Reads up to want bytes into dst; how many came. */
static size_t read_some(pl_tls_conn_t *c, uint8_t *dst, size_t want)
{
	size_t got = 0, n;

	while (got < want &&
	       pl_tls_read(c, dst + got, want - got, &n) == PL_OK && n > 0)
		got += n;
	return got;
}

static void records_read_at_any_pace_arrive_in_order(void)
{
	static const char *const chains[] = {"p256", NULL};
	pl_tls_config_t *scfg = ep_server_config(chains);
	pl_tls_config_t *ccfg = ep_client_config();
	static uint8_t sent[RECORDS * RECORD], got[RECORDS * RECORD];
	/* How much the client reads after each record arrives: part of the
	 * first (the queue then starts mid-buffer), none (the next record is
	 * appended behind unread data), everything, then after a shrink. */
	static const size_t reads[RECORDS] = {100, 0, 3 * RECORD - 100,
					      RECORD};
	static const size_t total[RECORDS] = {100, 100, 3 * RECORD,
					      4 * RECORD};
	size_t have = 0;
	ep_pair_t p;

	ep_pair_new(&p, ccfg, scfg, "localhost");
	CHECK(ep_handshake(&p));
	for (size_t r = 0; r < RECORDS; r++)
		for (size_t i = 0; i < RECORD; i++)
			sent[r * RECORD + i] = pattern(r, i);
	for (size_t r = 0; r < RECORDS; r++) {
		CHECK(pl_tls_write(p.server, sent + r * RECORD, RECORD) ==
		      PL_OK);
		CHECK(ep_move(p.server, p.client));
		CHECK(!pl_tls_failed(p.client));
		if (r == RECORDS - 1)
			pl_tls_conn_shrink(p.client);
		have += read_some(p.client, got + have, reads[r]);
		CHECK_EQ_INT(have, total[r]);
	}
	CHECK_EQ_INT(have, sizeof(sent));
	CHECK_MSG(memcmp(sent, got, sizeof(sent)) == 0,
		  "application data came back out of order");
	/* Drained and shrunk, the connection still takes records. */
	pl_tls_conn_shrink(p.client);
	CHECK(pl_tls_write(p.server, sent, RECORD) == PL_OK);
	CHECK(ep_move(p.server, p.client));
	CHECK_EQ_INT(read_some(p.client, got, RECORD), RECORD);
	CHECK(memcmp(sent, got, RECORD) == 0);
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

/* ---- record protection on its own ---------------------------------------- */

static const pl_aead_alg_t algs[] = {PL_AEAD_AES_128_GCM, PL_AEAD_AES_256_GCM,
				     PL_AEAD_CHACHA20_POLY1305};
static const char *const alg_names[] = {"AES-128-GCM", "AES-256-GCM",
					"ChaCha20-Poly1305"};

static bool is_gcm(pl_aead_alg_t alg)
{
	return alg != PL_AEAD_CHACHA20_POLY1305;
}

/* A key and a fixed IV of the right sizes for alg and version, made of
 * recognisable bytes. */
static void test_key(pl_aead_alg_t alg, uint8_t key[32], uint8_t iv[12])
{
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x40 + i * 3 + alg);
	for (int i = 0; i < 12; i++)
		iv[i] = (uint8_t)(0xa0 + i * 5);
}

static void protect_new(pl_tls_protect_t *p, const pl_tls_protect_ops_t *ops,
			pl_aead_alg_t alg)
{
	uint8_t key[32], iv[12];

	memset(p, 0, sizeof(*p));
	test_key(alg, key, iv);
	if (pl_tls_protect_rekey(p, ops, alg, key, iv) != PL_OK) {
		fprintf(stderr, "rekey failed\n");
		exit(1);
	}
}

/* AEAD-encrypts on bare EVP (not through src/crypto): out gets the
 * ciphertext and the 16-byte tag. */
static bool evp_seal(pl_aead_alg_t alg, const uint8_t *key,
		     const uint8_t nonce[12], const uint8_t *aad,
		     size_t aad_len, const uint8_t *in, size_t len,
		     uint8_t *out)
{
	const EVP_CIPHER *cipher = alg == PL_AEAD_AES_128_GCM ? EVP_aes_128_gcm()
				 : alg == PL_AEAD_AES_256_GCM ? EVP_aes_256_gcm()
							      : EVP_chacha20_poly1305();
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0;
	bool ok = ctx != NULL &&
		  EVP_EncryptInit_ex(ctx, cipher, NULL, key, nonce) == 1 &&
		  EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1 &&
		  EVP_EncryptUpdate(ctx, out, &n, in, (int)len) == 1 &&
		  EVP_EncryptFinal_ex(ctx, out + n, &fin) == 1 &&
		  (size_t)(n + fin) == len &&
		  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16,
				      out + len) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

/* A TLS 1.2 AEAD record built from the RFCs' text: RFC 5246 6.2.3.3
 * (additional_data = seq_num + type + version + length), RFC 5288 3
 * (GCMNonce = salt[4] from the key block + nonce_explicit[8] sent first
 * in the record; padlock's explicit nonce is the sequence number), RFC
 * 7905 2 (nonce = the 12-byte IV XOR the sequence number, left-padded).
 * Returns the record's length (header included), 0 on failure. */
static size_t reference_record12(pl_aead_alg_t alg, uint64_t seq,
				 uint8_t type, const uint8_t *data,
				 size_t len, uint8_t *rec)
{
	uint8_t key[32], iv[12], nonce[12], aad[13], seq_be[8];
	size_t ex = is_gcm(alg) ? 8 : 0;
	size_t body = ex + len + 16;

	test_key(alg, key, iv);
	for (int i = 0; i < 8; i++)
		seq_be[i] = (uint8_t)(seq >> (56 - 8 * i));
	if (is_gcm(alg)) {
		memcpy(nonce, iv, 4);
		memcpy(nonce + 4, seq_be, 8);
	} else {
		memcpy(nonce, iv, 12);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] ^= seq_be[i];
	}
	memcpy(aad, seq_be, 8);
	aad[8] = type;
	aad[9] = 3;
	aad[10] = 3;
	aad[11] = (uint8_t)(len >> 8);
	aad[12] = (uint8_t)len;
	rec[0] = type;
	rec[1] = 3;
	rec[2] = 3;
	rec[3] = (uint8_t)(body >> 8);
	rec[4] = (uint8_t)body;
	memcpy(rec + 5, seq_be, ex);
	if (!evp_seal(alg, key, nonce, aad, sizeof(aad), data, len,
		      rec + 5 + ex))
		return 0;
	return 5 + body;
}

/* Seals one record with p and checks it is exactly the reference. */
static void check_seal12(pl_tls_protect_t *p, pl_aead_alg_t alg,
			 uint8_t type, const uint8_t *data, size_t len,
			 const char *name)
{
	static uint8_t want[5 + 8 + PL_TLS_MAX_PLAINTEXT + 16];
	pl_buf_t out = PL_BUF_INIT;
	uint64_t seq = p->seq;
	size_t n = reference_record12(alg, seq, type, data, len, want);

	CHECK(n > 0);
	CHECK(pl_tls_protect_seal(p, type, data, len, &out) == PL_OK);
	CHECK_MSG(pl_buf_size(&out) == n &&
			  memcmp(pl_buf_head(&out), want, n) == 0,
		  "%s: record of %zu bytes at seq %llu differs from RFC "
		  "5246/5288/7905",
		  name, len, (unsigned long long)seq);
	CHECK_EQ_INT(p->seq, seq + 1);
	pl_buf_free(&out);
}

static void tls12_records_match_the_rfc_construction(void)
{
	static uint8_t big[PL_TLS_MAX_PLAINTEXT];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13);
	for (size_t a = 0; a < 3; a++) {
		pl_tls_protect_t p;
		protect_new(&p, &pl_tls_protect_12, algs[a]);
		check_seal12(&p, algs[a], PL_CT_APPLICATION_DATA,
			     (const uint8_t *)"hello", 5, alg_names[a]);
		check_seal12(&p, algs[a], PL_CT_HANDSHAKE, big, 100,
			     alg_names[a]);
		check_seal12(&p, algs[a], PL_CT_ALERT, (const uint8_t *)"\2\50",
			     2, alg_names[a]);
		/* a sequence number whose every byte shows in the nonce */
		p.seq = 0x0102030405060708ull;
		check_seal12(&p, algs[a], PL_CT_APPLICATION_DATA, big,
			     sizeof(big), alg_names[a]);
		check_seal12(&p, algs[a], PL_CT_APPLICATION_DATA, big, 0,
			     alg_names[a]);
		pl_tls_protect_clear(&p);
	}
}

/* Opens the record at rec (whole, header included) with p. */
static int open_record(pl_tls_protect_t *p, uint8_t *rec, size_t n,
		       pl_tls_opened_t *o)
{
	memset(o, 0, sizeof(*o));
	return pl_tls_protect_open(p, rec, n - PL_TLS_RECORD_HEADER, 0, o);
}

static void tls12_open_takes_back_what_seal_made(void)
{
	static uint8_t big[PL_TLS_MAX_PLAINTEXT];
	static const size_t lens[] = {0, 1, 17, 1000, PL_TLS_MAX_PLAINTEXT};
	static const uint8_t types[] = {PL_CT_APPLICATION_DATA,
					PL_CT_HANDSHAKE, PL_CT_ALERT,
					PL_CT_APPLICATION_DATA,
					PL_CT_APPLICATION_DATA};
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 1);
	for (size_t a = 0; a < 3; a++) {
		pl_tls_protect_t tx, rx;
		pl_buf_t out = PL_BUF_INIT;
		protect_new(&tx, &pl_tls_protect_12, algs[a]);
		protect_new(&rx, &pl_tls_protect_12, algs[a]);
		for (size_t i = 0; i < 5; i++)
			CHECK(pl_tls_protect_seal(&tx, types[i], big, lens[i],
						  &out) == PL_OK);
		uint8_t *rec = out.data;
		for (size_t i = 0; i < 5; i++) {
			pl_tls_opened_t o;
			size_t n = ep_record_len(rec, out.len - (size_t)(rec - out.data));
			CHECK_EQ_INT(n, 5 + tx.ops->overhead(&tx) + lens[i]);
			CHECK_MSG(open_record(&rx, rec, n, &o) == PL_OK,
				  "%s record %zu: %s", alg_names[a], i, o.why);
			CHECK_EQ_INT(o.type, types[i]);
			CHECK_EQ_INT(o.len, lens[i]);
			CHECK_EQ_INT(o.inner_len, lens[i]);
			CHECK(o.len == 0 || memcmp(o.data, big, o.len) == 0);
			rec += n;
		}
		CHECK_EQ_INT(rx.seq, 5);
		pl_buf_free(&out);
		pl_tls_protect_clear(&tx);
		pl_tls_protect_clear(&rx);
	}
}

/* One sealed record of each version and cipher, to tamper with. */
static size_t sealed(const pl_tls_protect_ops_t *ops, pl_aead_alg_t alg,
		     uint64_t seq, uint8_t *rec, size_t cap)
{
	pl_tls_protect_t p;
	pl_buf_t out = PL_BUF_INIT;
	size_t n = 0;

	protect_new(&p, ops, alg);
	p.seq = seq;
	if (pl_tls_protect_seal(&p, PL_CT_APPLICATION_DATA,
				(const uint8_t *)"attack at dawn", 14,
				&out) == PL_OK &&
	    out.len <= cap) {
		memcpy(rec, out.data, out.len);
		n = out.len;
	}
	pl_buf_free(&out);
	pl_tls_protect_clear(&p);
	return n;
}

/* Opens rec with a fresh receiver at sequence seq. */
static int open_fresh(const pl_tls_protect_ops_t *ops, pl_aead_alg_t alg,
		      uint64_t seq, uint8_t *rec, size_t n,
		      pl_tls_opened_t *o)
{
	pl_tls_protect_t p;
	protect_new(&p, ops, alg);
	p.seq = seq;
	int ret = open_record(&p, rec, n, o);
	pl_tls_protect_clear(&p);
	return ret;
}

static const pl_tls_protect_ops_t *const versions[] = {&pl_tls_protect_12,
						       &pl_tls_protect_13};

/* RFC 8446 5.2, RFC 5246 6.2.3.3: a changed bit anywhere the AEAD covers
 * (the header through the additional data, the explicit nonce, the
 * ciphertext, the tag) is bad_record_mac. */
static void open_refuses_every_changed_byte(void)
{
	for (size_t v = 0; v < 2; v++)
		for (size_t a = 0; a < 3; a++) {
			uint8_t rec[128], copy[128];
			size_t n = sealed(versions[v], algs[a], 5, rec,
					  sizeof(rec));
			size_t refused = 0;
			CHECK(n > 0);
			/* bytes 3 and 4 (the length) frame the record: the
			 * caller passes the length; the rest is checked */
			for (size_t i = 0; i < n; i++) {
				pl_tls_opened_t o;
				if (i == 3 || i == 4)
					continue;
				memcpy(copy, rec, n);
				copy[i] ^= 0x01;
				if (open_fresh(versions[v], algs[a], 5, copy,
					       n, &o) == PL_ERR_DECRYPT &&
				    o.alert == PL_ALERT_BAD_RECORD_MAC)
					refused++;
			}
			/* TLS 1.3 ignores nothing of the header either: the
			 * whole header is the additional data. */
			CHECK_MSG(refused == n - 2, "%s %s: %zu of %zu changed "
				  "bytes refused", versions[v]->name,
				  alg_names[a], refused, n - 2);
			pl_tls_opened_t o;
			memcpy(copy, rec, n);
			CHECK(open_fresh(versions[v], algs[a], 5, copy, n,
					 &o) == PL_OK);
		}
}

/* A record opened under another sequence number (reordered, replayed or
 * dropped records) does not authenticate. */
static void open_refuses_records_out_of_sequence(void)
{
	for (size_t v = 0; v < 2; v++)
		for (size_t a = 0; a < 3; a++) {
			uint8_t rec[128], copy[128];
			pl_tls_opened_t o;
			size_t n = sealed(versions[v], algs[a], 7, rec,
					  sizeof(rec));
			static const uint64_t wrong[] = {0, 6, 8, 1ull << 32};
			for (size_t w = 0; w < 4; w++) {
				memcpy(copy, rec, n);
				CHECK_MSG(open_fresh(versions[v], algs[a],
						     wrong[w], copy, n,
						     &o) == PL_ERR_DECRYPT,
					  "%s %s: record 7 opened as %llu",
					  versions[v]->name, alg_names[a],
					  (unsigned long long)wrong[w]);
			}
			/* a replay: the same record twice in a row */
			pl_tls_protect_t p;
			protect_new(&p, versions[v], algs[a]);
			p.seq = 7;
			memcpy(copy, rec, n);
			CHECK(open_record(&p, copy, n, &o) == PL_OK);
			memcpy(copy, rec, n);
			CHECK(open_record(&p, copy, n, &o) == PL_ERR_DECRYPT);
			pl_tls_protect_clear(&p);
		}
}

/* Records shorter than the AEAD's own bytes (the tag, and TLS 1.2 GCM's
 * explicit nonce) are bad_record_mac, never read past. */
static void open_refuses_records_too_short_for_the_tag(void)
{
	for (size_t v = 0; v < 2; v++)
		for (size_t a = 0; a < 3; a++) {
			pl_tls_protect_t p;
			protect_new(&p, versions[v], algs[a]);
			size_t min = p.ops->overhead(&p) -
				     (versions[v] == &pl_tls_protect_13);
			for (size_t len = 0; len < min; len++) {
				/* heap-allocated to the byte, for ASan */
				uint8_t *rec = calloc(1, 5 + len);
				pl_tls_opened_t o;
				rec[0] = PL_CT_APPLICATION_DATA;
				rec[1] = rec[2] = 3;
				rec[4] = (uint8_t)len;
				memset(&o, 0, sizeof(o));
				CHECK(pl_tls_protect_open(&p, rec, len, 0,
							  &o) ==
				      PL_ERR_DECRYPT);
				CHECK_EQ_INT(o.alert, PL_ALERT_BAD_RECORD_MAC);
				free(rec);
			}
			CHECK_EQ_INT(p.seq, 0);
			pl_tls_protect_clear(&p);
		}
}

/* RFC 8446 5.3, RFC 5246 6.1: sequence numbers do not wrap. The last
 * number used is 2^64 - 2; the record after it is refused both ways. */
static void sequence_numbers_never_wrap(void)
{
	for (size_t v = 0; v < 2; v++)
		for (size_t a = 0; a < 3; a++) {
			uint8_t rec[128];
			pl_tls_opened_t o;
			pl_tls_protect_t tx, rx;
			pl_buf_t out = PL_BUF_INIT;
			size_t n = sealed(versions[v], algs[a], UINT64_MAX - 1,
					  rec, sizeof(rec));
			CHECK(n > 0);
			protect_new(&rx, versions[v], algs[a]);
			rx.seq = UINT64_MAX - 1;
			CHECK(open_record(&rx, rec, n, &o) == PL_OK);
			CHECK(rx.seq == UINT64_MAX);
			CHECK(open_record(&rx, rec, n, &o) == PL_ERR_STATE);
			CHECK(rx.seq == UINT64_MAX);
			protect_new(&tx, versions[v], algs[a]);
			tx.seq = UINT64_MAX;
			CHECK(pl_tls_protect_seal(&tx, PL_CT_APPLICATION_DATA,
						  rec, 1, &out) ==
			      PL_ERR_STATE);
			CHECK_EQ_INT(pl_buf_size(&out), 0);
			pl_buf_free(&out);
			pl_tls_protect_clear(&tx);
			pl_tls_protect_clear(&rx);
		}
}

/* Rekeying restarts the sequence at 0 under the new key; records of the
 * old key no longer open. */
static void rekey_starts_a_new_sequence(void)
{
	for (size_t v = 0; v < 2; v++)
		for (size_t a = 0; a < 3; a++) {
			uint8_t rec[128], copy[128], key[32] = {9}, iv[12] = {8};
			pl_tls_opened_t o;
			pl_tls_protect_t p;
			size_t n = sealed(versions[v], algs[a], 0, rec,
					  sizeof(rec));
			protect_new(&p, versions[v], algs[a]);
			p.seq = 42;
			CHECK(pl_tls_protect_rekey(&p, versions[v], algs[a],
						   key, iv) == PL_OK);
			CHECK(p.seq == 0);
			memcpy(copy, rec, n);
			CHECK(open_record(&p, copy, n, &o) == PL_ERR_DECRYPT);
			pl_tls_protect_clear(&p);
			CHECK(!pl_tls_protect_on(&p));
		}
}

/* RFC 5246 6.2.1, RFC 8449 4: a TLS 1.2 plaintext over 2^14 bytes, or
 * over the record size limit given, is record_overflow (after it
 * authenticates); one at the limit is accepted. */
static void tls12_plaintext_over_the_limit_is_record_overflow(void)
{
	static uint8_t data[PL_TLS_MAX_PLAINTEXT + 1];
	static uint8_t rec[5 + 8 + sizeof(data) + 16];
	for (size_t a = 0; a < 3; a++) {
		static const struct {
			size_t len, limit;
			bool ok;
		} cases[] = {
			{PL_TLS_MAX_PLAINTEXT, 0, true},
			{PL_TLS_MAX_PLAINTEXT + 1, 0, false},
			{100, 100, true},
			{101, 100, false},
		};
		for (size_t i = 0; i < 4; i++) {
			pl_tls_protect_t p;
			pl_tls_opened_t o;
			size_t n = reference_record12(algs[a], 0,
						      PL_CT_APPLICATION_DATA,
						      data, cases[i].len, rec);
			protect_new(&p, &pl_tls_protect_12, algs[a]);
			memset(&o, 0, sizeof(o));
			int ret = pl_tls_protect_open(&p, rec, n - 5,
						      cases[i].limit, &o);
			if (cases[i].ok) {
				CHECK_EQ_INT(ret, PL_OK);
			} else {
				CHECK_EQ_INT(ret, PL_ERR_DECODE);
				CHECK_EQ_INT(o.alert, PL_ALERT_RECORD_OVERFLOW);
			}
			pl_tls_protect_clear(&p);
		}
	}
}

/* ---- the record layer of a connection, fed forged records ----------------- */

typedef struct {
	ep_pair_t p;
	pl_tls_config_t *ccfg, *scfg;
	ep_keylog_t clog, slog; /* what each side logged */
} conn_t;

static void conn_new(conn_t *t)
{
	static const char *const chains[] = {"p256", NULL};

	memset(t, 0, sizeof(*t));
	t->ccfg = ep_client_config();
	t->scfg = ep_server_config(chains);
	/* records are forged from the server's sequence 0: no tickets first */
	CHECK(pl_tls_config_set_tickets(t->scfg, 0, 86400) == PL_OK);
	pl_tls_config_set_keylog(t->ccfg, ep_keylog, &t->clog);
	pl_tls_config_set_keylog(t->scfg, ep_keylog, &t->slog);
	ep_pair_new(&t->p, t->ccfg, t->scfg, "localhost");
}

static void conn_free(conn_t *t)
{
	ep_pair_free(&t->p);
	pl_tls_config_free(t->ccfg);
	pl_tls_config_free(t->scfg);
}

/* Seals a record with secret label of log (content data, type, pad
 * zeros; type 0 writes no type byte) at sequence seq, feeds it to c. */
static void forge(conn_t *t, const ep_keylog_t *log, pl_tls_conn_t *c,
		  const char *label, uint64_t seq, uint8_t type,
		  const uint8_t *data, size_t len, size_t pad)
{
	pl_buf_t rec = PL_BUF_INIT;
	ep_keys_t keys;

	if (!ep_keys_init(&keys, pl_tls_suite(t->p.server),
			  ep_secret(log, label))) {
		CHECK_MSG(false, "no %s", label);
		return;
	}
	keys.seq = seq;
	CHECK(ep_seal(&keys, type, data, len, pad, &rec));
	(void)pl_tls_feed(c, pl_buf_head(&rec), pl_buf_size(&rec));
	ep_keys_free(&keys);
	pl_buf_free(&rec);
}

/* c failed with alert and its peer (unless NULL: one that cannot read
 * c's records) read that alert. */
static void expect_refused(pl_tls_conn_t *c, pl_tls_conn_t *peer, int alert,
			   const char *what)
{
	CHECK_MSG(pl_tls_failed(c) && pl_tls_alert(c) == alert,
		  "%s: %s (wanted %s): %s", what,
		  pl_tls_failed(c) ? pl_tls_alert_name(pl_tls_alert(c))
				   : "accepted",
		  pl_tls_alert_name(alert), pl_tls_reason(c));
	if (peer == NULL)
		return;
	ep_move(c, peer);
	CHECK_MSG(pl_tls_alert_received(peer) && pl_tls_alert(peer) == alert,
		  "%s: the peer: %s", what, pl_tls_reason(peer));
}

static void expect_alive(pl_tls_conn_t *c, const char *what)
{
	CHECK_MSG(!pl_tls_failed(c), "%s: refused with %s: %s", what,
		  pl_tls_alert_name(pl_tls_alert(c)), pl_tls_reason(c));
}

/* RFC 8446 5.4: a handshake or alert record whose TLSInnerPlaintext has
 * no content is unexpected_message, whatever its padding; both ways,
 * during and after the handshake. An empty application data record is
 * allowed (cover traffic). */
static void empty_handshake_or_alert_content_is_unexpected_message(void)
{
	static const uint8_t types[] = {PL_CT_HANDSHAKE, PL_CT_ALERT};
	static const size_t pads[] = {0, 1, 255, PL_TLS_MAX_PLAINTEXT};
	for (size_t i = 0; i < 2; i++)
		for (size_t j = 0; j < 4; j++) {
			conn_t t;
			for (int to_server = 0; to_server < 2; to_server++) {
				conn_new(&t);
				CHECK(ep_handshake(&t.p));
				pl_tls_conn_t *c = to_server ? t.p.server
							     : t.p.client;
				pl_tls_conn_t *peer = to_server ? t.p.client
								: t.p.server;
				forge(&t, to_server ? &t.clog : &t.slog, c,
				      to_server ? "CLIENT_TRAFFIC_SECRET_0"
						: "SERVER_TRAFFIC_SECRET_0",
				      0, types[i], NULL, 0, pads[j]);
				expect_refused(c, peer,
					       PL_ALERT_UNEXPECTED_MESSAGE,
					       "empty content, connected");
				conn_free(&t);
			}

			/* the server waiting for the client's Finished */
			size_t n;
			conn_new(&t);
			ep_move(t.p.client, t.p.server);
			ep_move(t.p.server, t.p.client);
			(void)pl_tls_output(t.p.client, &n);
			pl_tls_output_consumed(t.p.client, n);
			forge(&t, &t.slog, t.p.server,
			      "CLIENT_HANDSHAKE_TRAFFIC_SECRET", 0, types[i],
			      NULL, 0, pads[j]);
			expect_refused(t.p.server, t.p.client,
				       PL_ALERT_UNEXPECTED_MESSAGE,
				       "empty content during the handshake");
			conn_free(&t);
		}
	conn_t t;
	size_t n;
	uint8_t buf[8];
	conn_new(&t);
	CHECK(ep_handshake(&t.p));
	forge(&t, &t.clog, t.p.server, "CLIENT_TRAFFIC_SECRET_0", 0,
	      PL_CT_APPLICATION_DATA, NULL, 0, 300);
	expect_alive(t.p.server, "empty padded application data");
	CHECK(pl_tls_read(t.p.server, buf, sizeof(buf), &n) == PL_OK && n == 0);
	forge(&t, &t.clog, t.p.server, "CLIENT_TRAFFIC_SECRET_0", 1,
	      PL_CT_APPLICATION_DATA, (const uint8_t *)"after", 5, 0);
	CHECK(pl_tls_read(t.p.server, buf, sizeof(buf), &n) == PL_OK &&
	      n == 5 && memcmp(buf, "after", 5) == 0);
	conn_free(&t);
}

/* RFC 8446 5.4: the whole TLSInnerPlaintext (content, type, padding) is
 * at most 2^14 + 1 bytes: the largest content, or the most padding, that
 * keeps to it is accepted; one byte more, of either, is record_overflow. */
static void inner_plaintext_limit_counts_the_padding(void)
{
	static uint8_t data[PL_TLS_MAX_PLAINTEXT + 1], got[PL_TLS_MAX_PLAINTEXT];
	static const struct {
		size_t len, pad;
		bool ok;
	} cases[] = {
		{PL_TLS_MAX_PLAINTEXT, 0, true},
		{100, PL_TLS_MAX_PLAINTEXT - 100, true},
		{1, PL_TLS_MAX_PLAINTEXT - 1, true},
		{0, PL_TLS_MAX_PLAINTEXT, true},
		{PL_TLS_MAX_PLAINTEXT, 1, false},
		{100, PL_TLS_MAX_PLAINTEXT - 99, false},
		{0, PL_TLS_MAX_PLAINTEXT + 1, false},
		{PL_TLS_MAX_PLAINTEXT + 1, 0, false},
	};
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i % 251 + 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		conn_t t;
		char what[64];
		snprintf(what, sizeof(what), "content %zu, padding %zu",
			 cases[i].len, cases[i].pad);
		conn_new(&t);
		CHECK(ep_handshake(&t.p));
		forge(&t, &t.clog, t.p.server, "CLIENT_TRAFFIC_SECRET_0", 0,
		      PL_CT_APPLICATION_DATA, data, cases[i].len,
		      cases[i].pad);
		if (cases[i].ok) {
			size_t n = 0, have = 0;
			expect_alive(t.p.server, what);
			while (pl_tls_read(t.p.server, got + have,
					   sizeof(got) - have, &n) == PL_OK &&
			       n > 0)
				have += n;
			CHECK_EQ_INT(have, cases[i].len);
			CHECK(memcmp(got, data, have) == 0);
		} else {
			expect_refused(t.p.server, t.p.client,
				       PL_ALERT_RECORD_OVERFLOW, what);
		}
		conn_free(&t);
	}
}

/* A client that has read the server's plaintext records (ServerHello,
 * a compatibility change_cipher_spec) and nothing protected: it reads
 * with the server's handshake key, before any record_size_limit applies. */
static void client_after_server_hello(conn_t *t)
{
	size_t n, len;
	const uint8_t *out;

	conn_new(t);
	ep_move(t->p.client, t->p.server);
	out = pl_tls_output(t->p.server, &n);
	for (size_t at = 0; at < n; at += len) {
		len = ep_record_len(out + at, n - at);
		if (len == 0 || out[at] == PL_CT_APPLICATION_DATA)
			break;
		(void)pl_tls_feed(t->p.client, out + at, len);
	}
	pl_tls_output_consumed(t->p.server, n);
	expect_alive(t->p.client, "the ServerHello");
}

/* The same limit before the peer's record_size_limit is known (the
 * client reading the server's encrypted handshake, RFC 8446 5.4): the
 * first byte of a handshake message with the most padding allowed is
 * taken; one byte more padding is record_overflow. */
static void inner_plaintext_limit_holds_before_record_size_limit(void)
{
	static const uint8_t ee_type = PL_HS_ENCRYPTED_EXTENSIONS;
	for (size_t extra = 0; extra < 2; extra++) {
		conn_t t;
		client_after_server_hello(&t);
		forge(&t, &t.slog, t.p.client,
		      "SERVER_HANDSHAKE_TRAFFIC_SECRET", 0, PL_CT_HANDSHAKE,
		      &ee_type, 1, PL_TLS_MAX_PLAINTEXT - 1 + extra);
		if (extra == 0)
			expect_alive(t.p.client, "TLSInnerPlaintext of 2^14 + 1");
		else
			expect_refused(t.p.client, NULL,
				       PL_ALERT_RECORD_OVERFLOW,
				       "TLSInnerPlaintext of 2^14 + 2");
		conn_free(&t);
	}
}

/* RFC 8446 5.2: a protected record too short to hold the AEAD tag (down
 * to a zero-length one, 17 03 03 00 00) is bad_record_mac, each time,
 * both ways: never skipped once the handshake is over. */
static void record_shorter_than_a_tag_is_bad_record_mac(void)
{
	static const uint8_t junk[17] = {0x5a, 1, 2, 3, 4, 5, 6, 7, 8,
					 9, 10, 11, 12, 13, 14, 15, 16};
	for (size_t len = 0; len < sizeof(junk); len++)
		for (int to_server = 0; to_server < 2; to_server++) {
			conn_t t;
			uint8_t rec[5 + sizeof(junk)] = {PL_CT_APPLICATION_DATA,
							 3, 3, 0, (uint8_t)len};
			memcpy(rec + 5, junk, len);
			conn_new(&t);
			CHECK(ep_handshake(&t.p));
			pl_tls_conn_t *c = to_server ? t.p.server : t.p.client;
			pl_tls_conn_t *peer = to_server ? t.p.client : t.p.server;
			/* several in a row: the first must already fail */
			for (int k = 0; k < 3; k++)
				(void)pl_tls_feed(c, rec, 5 + len);
			expect_refused(c, peer, PL_ALERT_BAD_RECORD_MAC,
				       "a short protected record");
			conn_free(&t);
		}
}

/* The client's first flight, its ClientHello grown by an empty early_data
 * extension (RFC 8446 4.2.10): the record's, the message's and the
 * extension block's lengths grow by 4. Returns its length, 0 on failure. */
static size_t hello_with_early_data(pl_tls_conn_t *client, uint8_t *out,
				    size_t cap)
{
	size_t n, at = 5 + 4 + 2 + 32;
	const uint8_t *ch = pl_tls_output(client, &n);

	if (n + 4 > cap || ep_record_len(ch, n) != n)
		return 0;
	memcpy(out, ch, n);
	pl_tls_output_consumed(client, n);
	at += 1 + out[at];                              /* session id */
	at += 2 + ((size_t)out[at] << 8 | out[at + 1]); /* cipher suites */
	at += 1 + out[at];                              /* compression */
	size_t ext = (size_t)out[at] << 8 | out[at + 1];
	if (at + 2 + ext != n)
		return 0;
	ext += 4;
	out[at] = (uint8_t)(ext >> 8);
	out[at + 1] = (uint8_t)ext;
	memcpy(out + n, "\x00\x2a\x00\x00", 4);
	size_t body = n - 5 + 4, msg = n - 9 + 4;
	out[3] = (uint8_t)(body >> 8);
	out[4] = (uint8_t)body;
	out[6] = (uint8_t)(msg >> 16);
	out[7] = (uint8_t)(msg >> 8);
	out[8] = (uint8_t)msg;
	return n + 4;
}

/* A server that got a ClientHello offering early data (with_early_data)
 * or not, has answered, and waits for the client's second flight. */
static void server_after_hello(conn_t *t, bool with_early_data)
{
	static uint8_t ch[4096];
	size_t n;

	conn_new(t);
	if (with_early_data) {
		n = hello_with_early_data(t->p.client, ch, sizeof(ch));
		CHECK(n > 0);
		(void)pl_tls_feed(t->p.server, ch, n);
	} else {
		ep_move(t->p.client, t->p.server);
	}
	(void)pl_tls_output(t->p.server, &n);
	pl_tls_output_consumed(t->p.server, n);
	expect_alive(t->p.server, "the ClientHello");
}

/* Feeds c a record of len bytes (header excluded) that cannot
 * authenticate. */
static void feed_junk(pl_tls_conn_t *c, size_t len)
{
	static uint8_t rec[5 + PL_TLS_MAX_CIPHERTEXT];
	rec[0] = PL_CT_APPLICATION_DATA;
	rec[1] = rec[2] = 3;
	rec[3] = (uint8_t)(len >> 8);
	rec[4] = (uint8_t)len;
	memset(rec + 5, 0xe7, len);
	(void)pl_tls_feed(c, rec, 5 + len);
}

/* RFC 8446 4.2.10: a server that rejects 0-RTT skips the records that do
 * not deprotect under the client's handshake key, up to a budget; the
 * first record that deprotects ends the skipping (here a user_canceled
 * alert, which the server lets pass). Without early data offered, or once
 * skipping has ended, the same junk is bad_record_mac. */
static void early_data_is_skipped_only_while_it_may_come(void)
{
	static const uint8_t user_canceled[2] = {1, PL_ALERT_USER_CANCELED};
	conn_t t;

	server_after_hello(&t, true);
	feed_junk(t.p.server, 100);
	feed_junk(t.p.server, 1000);
	feed_junk(t.p.server, PL_TLS_MAX_CIPHERTEXT);
	expect_alive(t.p.server, "early data records");
	/* the skipped records took no sequence number: this one is 0 */
	forge(&t, &t.slog, t.p.server, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", 0,
	      PL_CT_ALERT, user_canceled, 2, 0);
	expect_alive(t.p.server, "a protected user_canceled");
	feed_junk(t.p.server, 100);
	expect_refused(t.p.server, NULL, PL_ALERT_BAD_RECORD_MAC,
		       "junk after a record deprotected");
	conn_free(&t);

	server_after_hello(&t, false);
	feed_junk(t.p.server, 100);
	expect_refused(t.p.server, NULL, PL_ALERT_BAD_RECORD_MAC,
		       "junk without early data offered");
	conn_free(&t);
}

/* The skipping never takes a record too short to be one (17 03 03 00 00
 * included), and stops at its budget: four whole records' worth. */
static void early_data_skipping_is_bounded(void)
{
	conn_t t;

	for (size_t len = 0; len <= PL_AEAD_TAG_LEN; len++) {
		server_after_hello(&t, true);
		feed_junk(t.p.server, len);
		expect_refused(t.p.server, NULL, PL_ALERT_BAD_RECORD_MAC,
			       "a short record in the early data window");
		conn_free(&t);
	}
	server_after_hello(&t, true);
	for (int i = 0; i < 4; i++)
		feed_junk(t.p.server, PL_TLS_MAX_CIPHERTEXT);
	expect_alive(t.p.server, "four records of early data");
	feed_junk(t.p.server, PL_AEAD_TAG_LEN + 1);
	expect_refused(t.p.server, NULL, PL_ALERT_BAD_RECORD_MAC,
		       "early data past the budget");
	conn_free(&t);
}

/* RFC 8446 4.2.10: after a HelloRetryRequest, the early data of the first
 * ClientHello (application_data records, protected under keys the server
 * never has) is skipped until the second ClientHello, within the budget;
 * after the second ClientHello nothing is skipped any more. */
static void early_data_is_skipped_after_a_hello_retry(void)
{
	static uint8_t ch[4096];
	conn_t t;
	size_t n;

	for (int over_budget = 0; over_budget < 2; over_budget++) {
		conn_new(&t);
		pl_tls_config_set_require_cookie(t.scfg, true);
		n = hello_with_early_data(t.p.client, ch, sizeof(ch));
		CHECK(n > 0);
		(void)pl_tls_feed(t.p.server, ch, n);
		expect_alive(t.p.server, "a ClientHello with early data");
		CHECK(!pl_tls_handshake_done(t.p.server));
		feed_junk(t.p.server, 100);
		for (int i = 0; i < 4; i++)
			feed_junk(t.p.server, PL_TLS_MAX_CIPHERTEXT - 100 * (i == 0));
		if (over_budget) {
			/* 100 + 4 whole records minus 100: the budget is
			 * spent; one more record is not early data */
			feed_junk(t.p.server, PL_AEAD_TAG_LEN + 1);
			expect_refused(t.p.server, NULL,
				       PL_ALERT_UNEXPECTED_MESSAGE,
				       "early data past the budget");
			conn_free(&t);
			continue;
		}
		expect_alive(t.p.server, "early data after a HelloRetryRequest");
		/* the client reads the HelloRetryRequest, sends ClientHello 2 */
		ep_move(t.p.server, t.p.client);
		ep_move(t.p.client, t.p.server);
		CHECK(pl_tls_did_hello_retry(t.p.server));
		expect_alive(t.p.server, "the second ClientHello");
		feed_junk(t.p.server, 100);
		expect_refused(t.p.server, NULL, PL_ALERT_BAD_RECORD_MAC,
			       "junk after the second ClientHello");
		conn_free(&t);
	}
}

int main(void)
{
	ep_setup();
	RUN(records_read_at_any_pace_arrive_in_order);
	RUN(tls12_records_match_the_rfc_construction);
	RUN(tls12_open_takes_back_what_seal_made);
	RUN(open_refuses_every_changed_byte);
	RUN(open_refuses_records_out_of_sequence);
	RUN(open_refuses_records_too_short_for_the_tag);
	RUN(sequence_numbers_never_wrap);
	RUN(rekey_starts_a_new_sequence);
	RUN(tls12_plaintext_over_the_limit_is_record_overflow);
	RUN(empty_handshake_or_alert_content_is_unexpected_message);
	RUN(inner_plaintext_limit_counts_the_padding);
	RUN(inner_plaintext_limit_holds_before_record_size_limit);
	RUN(record_shorter_than_a_tag_is_bad_record_mac);
	RUN(early_data_is_skipped_only_while_it_may_come);
	RUN(early_data_skipping_is_bounded);
	RUN(early_data_is_skipped_after_a_hello_retry);
	return test_finish();
}
