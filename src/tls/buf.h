/*
 * Bytes in and bytes out: the one reader every parser uses and the one
 * growable buffer every message is written into (STYLE.md, "Bytes").
 */
#ifndef PL_TLS_BUF_H
#define PL_TLS_BUF_H

#include "padlock/common.h"

/* ---- reading --------------------------------------------------------------
 * A reader is a window [p, end) over bytes the caller owns. Every read
 * checks the length first; a short read returns PL_ERR_DECODE and leaves
 * the reader where it was. */
typedef struct {
	const uint8_t *p;
	const uint8_t *end;
} pl_reader_t;

static inline void pl_reader_init(pl_reader_t *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->end = p + len;
}

static inline size_t pl_reader_left(const pl_reader_t *r)
{
	return (size_t)(r->end - r->p);
}

int pl_read_u8(pl_reader_t *r, uint8_t *v);
int pl_read_u16(pl_reader_t *r, uint16_t *v);
int pl_read_u24(pl_reader_t *r, uint32_t *v);
int pl_read_u32(pl_reader_t *r, uint32_t *v);
/* Points *out at the next n bytes and skips them. */
int pl_read_bytes(pl_reader_t *r, size_t n, const uint8_t **out);
/* Reads a length-prefixed block (1, 2 or 3 length bytes) as a sub-reader. */
int pl_read_vec8(pl_reader_t *r, pl_reader_t *sub);
int pl_read_vec16(pl_reader_t *r, pl_reader_t *sub);
int pl_read_vec24(pl_reader_t *r, pl_reader_t *sub);
/* PL_OK when nothing is left, PL_ERR_DECODE on trailing bytes. */
int pl_reader_done(const pl_reader_t *r);

/* ---- writing --------------------------------------------------------------
 * A growable byte buffer. Push functions never fail loudly: the first
 * failure (out of memory, a block too long for its length prefix) is kept
 * in err and later pushes do nothing, so a message is written straight
 * through and checked once with pl_buf_error(). */
#define PL_BUF_MAX_DEPTH 6

typedef struct {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t start; /* bytes consumed from the front (pl_buf_consume) */
	size_t dirty; /* [0, dirty) may hold bytes not wiped yet */
	int err;
	uint8_t depth;
	uint8_t width[PL_BUF_MAX_DEPTH];
	size_t open_at[PL_BUF_MAX_DEPTH];
} pl_buf_t;

#define PL_BUF_INIT {0}

/* Makes room for n more bytes; PL_ERR_NOMEM on failure. */
int pl_buf_reserve(pl_buf_t *b, size_t n);
void pl_push_u8(pl_buf_t *b, uint8_t v);
void pl_push_u16(pl_buf_t *b, uint16_t v);
void pl_push_u24(pl_buf_t *b, uint32_t v);
void pl_push_u32(pl_buf_t *b, uint32_t v);
void pl_push_bytes(pl_buf_t *b, const void *p, size_t n);
/* Opens a block with a width-byte (1, 2 or 3) length prefix, filled in by
 * pl_push_close(). Blocks nest. */
void pl_push_open(pl_buf_t *b, int width);
void pl_push_close(pl_buf_t *b);
/* The first error of any push since the last reset, or PL_OK. */
static inline int pl_buf_error(const pl_buf_t *b)
{
	return b->err;
}

/* Unconsumed bytes: pointer and length. */
static inline const uint8_t *pl_buf_head(const pl_buf_t *b)
{
	return b->data ? b->data + b->start : NULL;
}
static inline size_t pl_buf_size(const pl_buf_t *b)
{
	return b->len - b->start;
}
/* Drops n bytes from the front. */
void pl_buf_consume(pl_buf_t *b, size_t n);
/* Notes that len grew by direct writes into data. */
static inline void pl_buf_grew(pl_buf_t *b)
{
	if (b->len > b->dirty)
		b->dirty = b->len;
}
/* Empties the buffer (wiping what it held) but keeps its memory. */
void pl_buf_reset(pl_buf_t *b);
/* Wipes and frees the memory. The buffer can be used again. */
void pl_buf_free(pl_buf_t *b);

#endif
