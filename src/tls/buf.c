/* The bounds-checked reader and the growable writer of buf.h. */
#include "tls/buf.h"

#include <stdlib.h>
#include <string.h>

#include "padlock/crypto.h"

int pl_read_bytes(pl_reader_t *r, size_t n, const uint8_t **out)
{
	if (pl_reader_left(r) < n)
		return PL_ERR_DECODE;
	*out = r->p;
	r->p += n;
	return PL_OK;
}

static int read_uint(pl_reader_t *r, size_t n, uint32_t *v)
{
	const uint8_t *p;
	uint32_t x = 0;
	if (pl_read_bytes(r, n, &p) != PL_OK)
		return PL_ERR_DECODE;
	for (size_t i = 0; i < n; i++)
		x = x << 8 | p[i];
	*v = x;
	return PL_OK;
}

int pl_read_u8(pl_reader_t *r, uint8_t *v)
{
	uint32_t x;
	int ret = read_uint(r, 1, &x);
	if (ret == PL_OK)
		*v = (uint8_t)x;
	return ret;
}

int pl_read_u16(pl_reader_t *r, uint16_t *v)
{
	uint32_t x;
	int ret = read_uint(r, 2, &x);
	if (ret == PL_OK)
		*v = (uint16_t)x;
	return ret;
}

int pl_read_u24(pl_reader_t *r, uint32_t *v)
{
	return read_uint(r, 3, v);
}

int pl_read_u32(pl_reader_t *r, uint32_t *v)
{
	return read_uint(r, 4, v);
}

static int read_vec(pl_reader_t *r, size_t width, pl_reader_t *sub)
{
	pl_reader_t save = *r;
	uint32_t n;
	const uint8_t *p;
	if (read_uint(r, width, &n) != PL_OK ||
	    pl_read_bytes(r, n, &p) != PL_OK) {
		*r = save;
		return PL_ERR_DECODE;
	}
	pl_reader_init(sub, p, n);
	return PL_OK;
}

int pl_read_vec8(pl_reader_t *r, pl_reader_t *sub)
{
	return read_vec(r, 1, sub);
}

int pl_read_vec16(pl_reader_t *r, pl_reader_t *sub)
{
	return read_vec(r, 2, sub);
}

int pl_read_vec24(pl_reader_t *r, pl_reader_t *sub)
{
	return read_vec(r, 3, sub);
}

int pl_reader_done(const pl_reader_t *r)
{
	return r->p == r->end ? PL_OK : PL_ERR_DECODE;
}

int pl_buf_reserve(pl_buf_t *b, size_t n)
{
	if (b->err)
		return b->err;
	if (b->cap - b->len >= n)
		return PL_OK;
	/* Reclaim consumed space before growing. */
	if (b->start > 0) {
		memmove(b->data, b->data + b->start, b->len - b->start);
		b->len -= b->start;
		for (uint8_t i = 0; i < b->depth; i++)
			b->open_at[i] -= b->start;
		b->start = 0;
		if (b->cap - b->len >= n)
			return PL_OK;
	}
	size_t want = b->len + n;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap *= 2;
	/* Not realloc: the old memory may hold secrets and must be wiped. */
	uint8_t *p = malloc(cap);
	if (p == NULL) {
		b->err = PL_ERR_NOMEM;
		return b->err;
	}
	if (b->data) {
		memcpy(p, b->data, b->len);
		pl_cleanse(b->data, b->dirty);
		free(b->data);
	}
	b->data = p;
	b->cap = cap;
	b->dirty = b->len;
	return PL_OK;
}

void pl_push_bytes(pl_buf_t *b, const void *p, size_t n)
{
	if (n == 0 || pl_buf_reserve(b, n) != PL_OK)
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	pl_buf_grew(b);
}

static void push_uint(pl_buf_t *b, uint32_t v, int n)
{
	uint8_t tmp[4];
	for (int i = 0; i < n; i++)
		tmp[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	pl_push_bytes(b, tmp, (size_t)n);
}

void pl_push_u8(pl_buf_t *b, uint8_t v)
{
	push_uint(b, v, 1);
}

void pl_push_u16(pl_buf_t *b, uint16_t v)
{
	push_uint(b, v, 2);
}

void pl_push_u24(pl_buf_t *b, uint32_t v)
{
	push_uint(b, v, 3);
}

void pl_push_u32(pl_buf_t *b, uint32_t v)
{
	push_uint(b, v, 4);
}

void pl_push_open(pl_buf_t *b, int width)
{
	if (b->err)
		return;
	if (b->depth == PL_BUF_MAX_DEPTH || width < 1 || width > 3) {
		b->err = PL_ERR_ARG;
		return;
	}
	b->width[b->depth] = (uint8_t)width;
	b->open_at[b->depth] = b->len;
	b->depth++;
	push_uint(b, 0, width);
}

void pl_push_close(pl_buf_t *b)
{
	if (b->err)
		return;
	if (b->depth == 0) {
		b->err = PL_ERR_ARG;
		return;
	}
	b->depth--;
	int width = b->width[b->depth];
	size_t at = b->open_at[b->depth];
	size_t n = b->len - at - (size_t)width;
	if (n >= (size_t)1 << (8 * width)) {
		b->err = PL_ERR_ARG;
		return;
	}
	for (int i = 0; i < width; i++)
		b->data[at + (size_t)i] = (uint8_t)(n >> (8 * (width - 1 - i)));
}

void pl_buf_consume(pl_buf_t *b, size_t n)
{
	if (n > b->len - b->start)
		n = b->len - b->start;
	b->start += n;
	if (b->start == b->len && b->depth == 0) {
		b->start = 0;
		b->len = 0;
	}
}

void pl_buf_reset(pl_buf_t *b)
{
	/* Only what was ever written needs wiping, not the capacity: a
	 * 16 KiB record buffer that held a 100-byte record costs 100. */
	if (b->data)
		pl_cleanse(b->data, b->dirty > b->len ? b->dirty : b->len);
	b->dirty = 0;
	b->len = 0;
	b->start = 0;
	b->err = PL_OK;
	b->depth = 0;
}

void pl_buf_free(pl_buf_t *b)
{
	if (b->data) {
		pl_cleanse(b->data, b->dirty > b->len ? b->dirty : b->len);
		free(b->data);
	}
	memset(b, 0, sizeof(*b));
}
