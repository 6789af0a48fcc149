/*
 * The board: the challenges being answered, written by the ACME process
 * and read by every worker, in memory the master maps shared before it
 * forks either. Workers find an HTTP-01 answer there without a system
 * call (their seccomp filter has nothing to allow for it) and never see
 * the account key: only tokens and key authorizations, which the CA
 * publishes anyway.
 *
 * One writer, many readers: each slot is a sequence lock. The writer
 * makes the count odd, writes, makes it even; a reader that saw an odd
 * count, or a different count after copying, copies again.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#include "server/acme/acme.h"

#define SLOTS 64
#define ACME_PREFIX "/.well-known/acme-challenge/"

typedef struct {
	atomic_uint seq;
	bool used;
	int type;
	char name[256];
	char token[128];
	char keyauth[256];
} slot_t;

static slot_t *board;

int pl_acme_board_init(void)
{
	void *p;

	if (board != NULL)
		return PL_OK;
	p = mmap(NULL, sizeof(slot_t) * SLOTS, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return PL_ERR_NOMEM;
	board = p;
	return PL_OK;
}

static void write_slot(slot_t *s, bool used, int type, const char *name,
		       const char *token, const char *keyauth)
{
	atomic_fetch_add_explicit(&s->seq, 1, memory_order_acq_rel);
	atomic_thread_fence(memory_order_release);
	s->used = used;
	s->type = type;
	snprintf(s->name, sizeof s->name, "%s", name);
	snprintf(s->token, sizeof s->token, "%s", token);
	snprintf(s->keyauth, sizeof s->keyauth, "%s", keyauth);
	atomic_fetch_add_explicit(&s->seq, 1, memory_order_release);
}

int pl_acme_board_publish(pl_acme_challenge_t type, const char *name,
			  const char *token, const char *keyauth, char *err,
			  size_t err_len)
{
	if (board == NULL)
		return pl_acme_say(err, err_len, PL_ERR_STATE, "no challenge board");
	if (strlen(name) >= sizeof board->name ||
	    strlen(token) >= sizeof board->token ||
	    strlen(keyauth) >= sizeof board->keyauth)
		return pl_acme_say(err, err_len, PL_ERR_ARG,
				   "the challenge token is too long");
	for (size_t i = 0; i < SLOTS; i++)
		if (!board[i].used) {
			write_slot(&board[i], true, (int)type, name, token, keyauth);
			return PL_OK;
		}
	return pl_acme_say(err, err_len, PL_ERR_NOMEM,
			   "more than %d challenges at once", SLOTS);
}

void pl_acme_board_withdraw(pl_acme_challenge_t type, const char *name,
			    const char *token)
{
	for (size_t i = 0; board != NULL && i < SLOTS; i++)
		if (board[i].used && board[i].type == (int)type &&
		    strcmp(board[i].token, token) == 0 &&
		    strcmp(board[i].name, name) == 0)
			write_slot(&board[i], false, 0, "", "", "");
}

/* A consistent copy of slot i. */
static void read_slot(size_t i, slot_t *out)
{
	for (;;) {
		unsigned before = atomic_load_explicit(&board[i].seq,
						       memory_order_acquire);

		if (before & 1)
			continue;
		out->used = board[i].used;
		out->type = board[i].type;
		memcpy(out->name, board[i].name, sizeof out->name);
		memcpy(out->token, board[i].token, sizeof out->token);
		memcpy(out->keyauth, board[i].keyauth, sizeof out->keyauth);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&board[i].seq, memory_order_relaxed) == before)
			break;
	}
	out->name[sizeof out->name - 1] = '\0';
	out->token[sizeof out->token - 1] = '\0';
	out->keyauth[sizeof out->keyauth - 1] = '\0';
}

bool pl_acme_board_find(pl_acme_challenge_t type, const char *name,
			size_t name_len, const char *token, size_t token_len,
			char *keyauth, size_t cap)
{
	slot_t s;

	for (size_t i = 0; board != NULL && i < SLOTS; i++) {
		read_slot(i, &s);
		if (!s.used || s.type != (int)type ||
		    (token != NULL && (strlen(s.token) != token_len ||
				       memcmp(s.token, token, token_len) != 0)) ||
		    (name != NULL && (strlen(s.name) != name_len ||
				      strncasecmp(s.name, name, name_len) != 0)))
			continue;
		snprintf(keyauth, cap, "%s", s.keyauth);
		return true;
	}
	return false;
}

/* ---- HTTP-01 on port 80 (RFC 8555 8.3) --------------------------------------- */

static int put(pl_http_buf_t *b, const char *s, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = (b->len + n) * 2;
		uint8_t *p = realloc(b->data, cap);

		if (p == NULL)
			return PL_ERR_NOMEM;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	return PL_OK;
}

static int field(pl_http_reply_t *r, const char *name, const char *value)
{
	size_t i = r->field_count;
	size_t at = r->text.len;

	if (i == PL_HTTP_REPLY_MAX_FIELDS ||
	    put(&r->text, name, strlen(name)) != PL_OK ||
	    put(&r->text, value, strlen(value)) != PL_OK)
		return PL_ERR_NOMEM;
	r->field_at[i].name = (uint32_t)at;
	r->field_at[i].name_len = (uint32_t)strlen(name);
	r->field_at[i].value = (uint32_t)(at + strlen(name));
	r->field_at[i].value_len = (uint32_t)strlen(value);
	r->field_count++;
	return PL_OK;
}

bool pl_srv_acme_http01(const pl_http_request_t *req, time_t now,
			pl_http_reply_t *reply, int *ret)
{
	pl_http_str_t path, query, authority, host;
	size_t n = strlen(ACME_PREFIX);
	char keyauth[256];
	bool head;

	pl_http_target_split(req->target, req->target_form, &path, &query,
			     &authority);
	if (path.len <= n || memcmp(path.ptr, ACME_PREFIX, n) != 0)
		return false;
	/* the token is the CA's, and the CA asks for it by the name being
	 * validated */
	host = pl_http_request_host(req);
	if (!pl_acme_board_find(PL_ACME_HTTP01, host.len ? host.ptr : NULL,
				host.len, path.ptr + n, path.len - n, keyauth,
				sizeof keyauth))
		return false;
	head = req->method.len == 4 && memcmp(req->method.ptr, "HEAD", 4) == 0;
	pl_http_reply_free(reply);
	reply->status = 200;
	reply->version = req->version;
	reply->date = now;
	reply->server = "padlock";
	reply->framing = PL_HTTP_BODY_LENGTH;
	reply->content_length = strlen(keyauth);
	reply->body_bytes = head ? 0 : strlen(keyauth);
	reply->close = true;
	*ret = field(reply, "Content-Type", "application/octet-stream");
	if (*ret == PL_OK && !head)
		*ret = put(&reply->body, keyauth, strlen(keyauth));
	return true;
}

/* ---- TLS-ALPN-01 on port 443 (RFC 8737) ---------------------------------------- */

int pl_srv_acme_tlsalpn01(void *arg, const char *server_name,
			  pl_x509_chain_t **chain, pl_pkey_t **key)
{
	char keyauth[256];

	if (server_name == NULL ||
	    !pl_acme_board_find(PL_ACME_TLSALPN01, server_name,
				strlen(server_name), NULL, 0, keyauth,
				sizeof keyauth))
		return PL_ERR_STATE;
	return pl_x509_acme_challenge_cert(server_name, keyauth, time(NULL),
					   chain, key);
}
