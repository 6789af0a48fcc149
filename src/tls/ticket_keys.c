/*
 * Session ticket keys and the sealed session state (RFC 8446 4.6.1, RFC
 * 5077 4's recommended shape).
 *
 * Every key comes from a 32-byte secret: its 8-byte id is
 * HKDF-Expand-SHA256(secret, "padlock ticket key id"), its AES-256-GCM key
 * HKDF-Expand-SHA256(secret, "padlock ticket key"). A ticket is
 *
 *   key id (8) | nonce (12, random) | AES-256-GCM(state) | tag (16)
 *
 * with the key id as additional data. The state is the minimum to resume:
 * version, suite, creation time, lifetime, ticket_age_add, the EMS flag,
 * the resumption secret, SNI, ALPN and an 8-byte hash of the certificate
 * it was made under (to refuse it once that certificate is no longer
 * served); never the certificate.
 *
 * Rotating keys (pl_tls_ticket_keys_new): a secret state made from the
 * CSPRNG at epoch e0 = now / rotation; each later epoch's state is
 * HKDF-Expand(previous state, "padlock ticket ratchet"), and epoch i's key
 * secret is its state. Processes that inherit the object (made before
 * fork) and advance it with the same clock seal and open with the same
 * keys without talking to each other. Only the current state is kept
 * (the earlier ones are wiped as the ratchet moves), plus the keys of
 * the epochs a ticket issued then may still be used in: whoever reads the
 * memory later cannot open tickets older than one lifetime.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls_int.h"

#define KEY_ID_LEN 8
#define TICKET_OVERHEAD (KEY_ID_LEN + PL_AEAD_NONCE_LEN + PL_AEAD_TAG_LEN)
/* 2: the certificate tag follows ALPN. A ticket of another format is
 * refused (a full handshake). */
#define STATE_FORMAT 2

typedef struct {
	uint8_t id[KEY_ID_LEN];
	uint8_t key[32];
} ticket_key_t;

struct pl_tls_ticket_keys {
	bool ratchet;
	uint32_t rotation;  /* seconds per epoch (ratchet) */
	uint32_t keep;      /* seconds an old key still opens tickets */
	uint64_t epoch;     /* the epoch of state (ratchet) */
	uint8_t state[32];  /* the ratchet's current secret */
	ticket_key_t keys[PL_TLS_TICKET_KEYS_MAX]; /* [0] seals */
	size_t n;
};

static int derive_key(const uint8_t secret[32], ticket_key_t *k)
{
	static const char id_label[] = "padlock ticket key id";
	static const char key_label[] = "padlock ticket key";
	int ret = pl_hkdf_expand(PL_HASH_SHA256, secret, 32,
				 (const uint8_t *)id_label, strlen(id_label),
				 k->id, KEY_ID_LEN);
	if (ret == PL_OK)
		ret = pl_hkdf_expand(PL_HASH_SHA256, secret, 32,
				     (const uint8_t *)key_label,
				     strlen(key_label), k->key, 32);
	return ret;
}

/* Puts the key of secret first (the sealing key), dropping the oldest
 * when the list is full. */
static int push_front(pl_tls_ticket_keys_t *k, const uint8_t secret[32])
{
	ticket_key_t fresh;
	int ret = derive_key(secret, &fresh);
	if (ret == PL_OK) {
		if (k->n == PL_TLS_TICKET_KEYS_MAX)
			k->n--;
		memmove(&k->keys[1], &k->keys[0], k->n * sizeof(k->keys[0]));
		k->keys[0] = fresh;
		k->n++;
	}
	pl_cleanse(&fresh, sizeof(fresh));
	return ret;
}

/* Keys of the epochs a ticket may still come from: the current one and
 * ceil(keep / rotation) before it. */
static size_t epochs_kept(const pl_tls_ticket_keys_t *k)
{
	size_t n = 1 + (k->keep + k->rotation - 1) / k->rotation;
	return n < PL_TLS_TICKET_KEYS_MAX ? n : PL_TLS_TICKET_KEYS_MAX;
}

static void drop_old(pl_tls_ticket_keys_t *k, size_t keep)
{
	while (k->n > keep) {
		k->n--;
		pl_cleanse(&k->keys[k->n], sizeof(k->keys[0]));
	}
}

pl_tls_ticket_keys_t *pl_tls_ticket_keys_new(uint32_t rotation, uint32_t keep,
					     time_t now)
{
	pl_tls_ticket_keys_t *k;
	if (rotation == 0 || now < 0 || (k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	k->ratchet = true;
	k->rotation = rotation;
	k->keep = keep;
	k->epoch = (uint64_t)now / rotation;
	if (pl_random(k->state, sizeof(k->state)) ||
	    push_front(k, k->state)) {
		pl_tls_ticket_keys_free(k);
		return NULL;
	}
	return k;
}

int pl_tls_ticket_keys_advance(pl_tls_ticket_keys_t *k, time_t now)
{
	static const char label[] = "padlock ticket ratchet";
	uint8_t next[32];
	int ret = PL_OK;
	if (k == NULL || !k->ratchet || now < 0)
		return PL_OK;
	uint64_t target = (uint64_t)now / k->rotation;
	while (k->epoch < target && ret == PL_OK) {
		ret = pl_hkdf_expand(PL_HASH_SHA256, k->state, 32,
				     (const uint8_t *)label, strlen(label),
				     next, sizeof(next));
		if (ret == PL_OK) {
			memcpy(k->state, next, sizeof(next));
			k->epoch++;
			/* Keys of epochs skipped entirely are never made. */
			if (target - k->epoch < epochs_kept(k))
				ret = push_front(k, k->state);
			else
				drop_old(k, 0);
		}
	}
	pl_cleanse(next, sizeof(next));
	drop_old(k, epochs_kept(k));
	return ret;
}

pl_tls_ticket_keys_t *pl_tls_ticket_keys_list(const uint8_t (*secrets)[32],
					      size_t n)
{
	pl_tls_ticket_keys_t *k;
	if (n == 0 || n > PL_TLS_TICKET_KEYS_MAX ||
	    (k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	/* push_front reverses: add the last first so secrets[0] seals */
	for (size_t i = n; i-- > 0;)
		if (push_front(k, secrets[i])) {
			pl_tls_ticket_keys_free(k);
			return NULL;
		}
	return k;
}

static int parse_fail(char *why, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int parse_fail(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;
	if (why != NULL && cap > 0) {
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return PL_ERR_DECODE;
}

static int hex_value(uint8_t ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (uint8_t)tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* One line without its newline: blank, a comment, or a key's 64 hex
 * digits (surrounding spaces and tabs allowed). *got is set for a key. */
static int parse_line(pl_reader_t *line, uint8_t out[32], bool *got)
{
	uint8_t ch = ' ';
	size_t digits = 0;
	*got = false;
	while (pl_reader_left(line) && (*line->p == ' ' || *line->p == '\t'))
		line->p++;
	if (pl_reader_left(line) == 0 || *line->p == '#')
		return PL_OK;
	while (pl_reader_left(line) && *line->p != ' ' && *line->p != '\t' &&
	       *line->p != '\r') {
		int v;
		if (pl_read_u8(line, &ch) || (v = hex_value(ch)) < 0 ||
		    digits == 64)
			return PL_ERR_DECODE;
		if (digits % 2 == 0)
			out[digits / 2] = (uint8_t)(v << 4);
		else
			out[digits / 2] |= (uint8_t)v;
		digits++;
	}
	while (pl_reader_left(line) && (*line->p == ' ' || *line->p == '\t' ||
					*line->p == '\r'))
		line->p++;
	if (digits != 64 || pl_reader_left(line))
		return PL_ERR_DECODE;
	*got = true;
	return PL_OK;
}

int pl_tls_ticket_keys_parse(const uint8_t *text, size_t len,
			     pl_tls_ticket_keys_t **out, char *why,
			     size_t why_cap)
{
	uint8_t secrets[PL_TLS_TICKET_KEYS_MAX][32];
	pl_reader_t r;
	size_t n = 0, line_no = 0;
	int ret = PL_OK;
	*out = NULL;
	pl_reader_init(&r, text, len);
	while (pl_reader_left(&r) && ret == PL_OK) {
		const uint8_t *nl = memchr(r.p, '\n', pl_reader_left(&r));
		size_t line_len = nl ? (size_t)(nl - r.p) : pl_reader_left(&r);
		pl_reader_t line;
		uint8_t key[32];
		bool got;
		const uint8_t *p;
		line_no++;
		pl_read_bytes(&r, line_len, &p);
		pl_reader_init(&line, p, line_len);
		if (nl)
			r.p++;
		if (parse_line(&line, key, &got))
			ret = parse_fail(why, why_cap,
					 "line %zu is not a key: each key is "
					 "64 hex digits (openssl rand -hex 32)",
					 line_no);
		else if (got && n == PL_TLS_TICKET_KEYS_MAX)
			ret = parse_fail(why, why_cap,
					 "line %zu: more than %d keys", line_no,
					 PL_TLS_TICKET_KEYS_MAX);
		else if (got)
			memcpy(secrets[n++], key, 32);
		pl_cleanse(key, sizeof(key));
	}
	if (ret == PL_OK && n == 0)
		ret = parse_fail(why, why_cap, "no key in the file");
	if (ret == PL_OK && (*out = pl_tls_ticket_keys_list(
				     (const uint8_t(*)[32])secrets, n)) == NULL)
		ret = PL_ERR_NOMEM;
	pl_cleanse(secrets, sizeof(secrets));
	return ret;
}

pl_tls_ticket_keys_t *pl_tls_ticket_keys_dup(const pl_tls_ticket_keys_t *k)
{
	pl_tls_ticket_keys_t *copy;
	if (k == NULL || (copy = malloc(sizeof(*copy))) == NULL)
		return NULL;
	memcpy(copy, k, sizeof(*copy));
	return copy;
}

size_t pl_tls_ticket_keys_count(const pl_tls_ticket_keys_t *k)
{
	return k ? k->n : 0;
}

void pl_tls_ticket_keys_free(pl_tls_ticket_keys_t *k)
{
	if (k == NULL)
		return;
	pl_cleanse(k, sizeof(*k));
	free(k);
}

/* ---- the sealed state ----------------------------------------------------- */

static void write_state(pl_buf_t *b, const pl_tls_session_state_t *s)
{
	pl_push_u8(b, STATE_FORMAT);
	pl_push_u16(b, s->version);
	pl_push_u16(b, s->suite);
	pl_push_u32(b, (uint32_t)(s->created >> 32));
	pl_push_u32(b, (uint32_t)s->created);
	pl_push_u32(b, s->lifetime);
	pl_push_u32(b, s->age_add);
	pl_push_u8(b, s->ems);
	pl_push_open(b, 1);
	pl_push_bytes(b, s->secret, s->secret_len);
	pl_push_close(b);
	pl_push_open(b, 1);
	pl_push_bytes(b, s->sni, strlen(s->sni));
	pl_push_close(b);
	pl_push_open(b, 1);
	pl_push_bytes(b, s->alpn, strlen(s->alpn));
	pl_push_close(b);
	pl_push_bytes(b, s->cert_tag, sizeof(s->cert_tag));
}

static int read_string(pl_reader_t *r, char *out, size_t cap)
{
	pl_reader_t v;
	if (pl_read_vec8(r, &v) || pl_reader_left(&v) >= cap ||
	    memchr(v.p, 0, pl_reader_left(&v)))
		return PL_ERR_DECODE;
	memcpy(out, v.p, pl_reader_left(&v));
	out[pl_reader_left(&v)] = 0;
	return PL_OK;
}

static int read_state(pl_reader_t *r, pl_tls_session_state_t *s)
{
	uint8_t format, ems;
	uint32_t hi, lo;
	pl_reader_t secret;
	const uint8_t *tag;
	if (pl_read_u8(r, &format) || format != STATE_FORMAT ||
	    pl_read_u16(r, &s->version) || pl_read_u16(r, &s->suite) ||
	    pl_read_u32(r, &hi) || pl_read_u32(r, &lo) ||
	    pl_read_u32(r, &s->lifetime) || pl_read_u32(r, &s->age_add) ||
	    pl_read_u8(r, &ems) || ems > 1 || pl_read_vec8(r, &secret) ||
	    pl_reader_left(&secret) > PL_HASH_MAX ||
	    read_string(r, s->sni, sizeof(s->sni)) ||
	    read_string(r, s->alpn, sizeof(s->alpn)) ||
	    pl_read_bytes(r, sizeof(s->cert_tag), &tag) || pl_reader_done(r))
		return PL_ERR_DECODE;
	memcpy(s->cert_tag, tag, sizeof(s->cert_tag));
	s->created = (uint64_t)hi << 32 | lo;
	s->ems = ems;
	s->secret_len = pl_reader_left(&secret);
	memcpy(s->secret, secret.p, s->secret_len);
	return PL_OK;
}

int pl_tls_ticket_seal(const pl_tls_ticket_keys_t *k,
		       const pl_tls_session_state_t *s,
		       const uint8_t nonce[PL_AEAD_NONCE_LEN], pl_buf_t *out)
{
	pl_buf_t plain = PL_BUF_INIT;
	pl_aead_t *aead = NULL;
	int ret;
	if (k == NULL || k->n == 0)
		return PL_ERR_STATE;
	write_state(&plain, s);
	if ((ret = pl_buf_error(&plain)))
		goto out;
	size_t len = pl_buf_size(&plain), at = out->len;
	if ((ret = pl_buf_reserve(out, TICKET_OVERHEAD + len)))
		goto out;
	pl_push_bytes(out, k->keys[0].id, KEY_ID_LEN);
	pl_push_bytes(out, nonce, PL_AEAD_NONCE_LEN);
	if ((aead = pl_aead_new(PL_AEAD_AES_256_GCM, k->keys[0].key)) == NULL) {
		ret = PL_ERR_CRYPTO;
		goto out;
	}
	ret = pl_aead_seal(aead, nonce, out->data + at, KEY_ID_LEN,
			   pl_buf_head(&plain), len, out->data + out->len);
	if (ret == PL_OK) {
		out->len += len + PL_AEAD_TAG_LEN;
		pl_buf_grew(out);
	}
out:
	pl_aead_free(aead);
	pl_buf_free(&plain);
	return ret;
}

int pl_tls_ticket_open(const pl_tls_ticket_keys_t *k, const uint8_t *ticket,
		       size_t len, pl_tls_session_state_t *s)
{
	uint8_t plain[PL_TLS_TICKET_STATE_MAX];
	const ticket_key_t *key = NULL;
	pl_aead_t *aead = NULL;
	pl_reader_t r;
	int ret;
	memset(s, 0, sizeof(*s));
	if (k == NULL || len < TICKET_OVERHEAD ||
	    len - TICKET_OVERHEAD > sizeof(plain))
		return PL_ERR_DECODE;
	for (size_t i = 0; i < k->n && key == NULL; i++)
		if (memcmp(k->keys[i].id, ticket, KEY_ID_LEN) == 0)
			key = &k->keys[i];
	if (key == NULL)
		return PL_ERR_DECRYPT; /* rotated out, or someone else's */
	if ((aead = pl_aead_new(PL_AEAD_AES_256_GCM, key->key)) == NULL)
		return PL_ERR_CRYPTO;
	size_t body = len - KEY_ID_LEN - PL_AEAD_NONCE_LEN;
	ret = pl_aead_open(aead, ticket + KEY_ID_LEN, ticket, KEY_ID_LEN,
			   ticket + KEY_ID_LEN + PL_AEAD_NONCE_LEN, body, plain);
	pl_aead_free(aead);
	if (ret == PL_OK) {
		pl_reader_init(&r, plain, body - PL_AEAD_TAG_LEN);
		ret = read_state(&r, s);
		s->old_key = key != &k->keys[0];
	}
	pl_cleanse(plain, sizeof(plain));
	if (ret)
		pl_cleanse(s, sizeof(*s));
	return ret;
}
