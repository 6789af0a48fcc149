/* An intrusive binary min-heap of deadlines (see server_int.h). */
#include <stdlib.h>
#include <time.h>

#include "server/server_int.h"

uint64_t pl_srv_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void place(pl_srv_timers_t *h, size_t i, pl_srv_timer_t *node)
{
	h->t[i] = node;
	node->idx = i + 1;
}

static void sift_up(pl_srv_timers_t *h, size_t i)
{
	pl_srv_timer_t *node = h->t[i];
	while (i > 0 && h->t[(i - 1) / 2]->when_ms > node->when_ms) {
		place(h, i, h->t[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	place(h, i, node);
}

static void sift_down(pl_srv_timers_t *h, size_t i)
{
	pl_srv_timer_t *node = h->t[i];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint64_t best = node->when_ms;
		if (l < h->n && h->t[l]->when_ms < best)
			m = l, best = h->t[l]->when_ms;
		if (r < h->n && h->t[r]->when_ms < best)
			m = r;
		if (m == i)
			break;
		place(h, i, h->t[m]);
		i = m;
	}
	place(h, i, node);
}

int pl_srv_timer_set(pl_srv_timers_t *h, pl_srv_timer_t *node,
		     uint64_t when_ms)
{
	if (node->idx) {
		uint64_t old = node->when_ms;
		node->when_ms = when_ms;
		if (when_ms < old)
			sift_up(h, node->idx - 1);
		else
			sift_down(h, node->idx - 1);
		return PL_OK;
	}
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		pl_srv_timer_t **t = realloc(h->t, cap * sizeof(*t));
		if (t == NULL)
			return PL_ERR_NOMEM;
		h->t = t;
		h->cap = cap;
	}
	node->when_ms = when_ms;
	h->t[h->n] = node;
	node->idx = ++h->n;
	sift_up(h, h->n - 1);
	return PL_OK;
}

void pl_srv_timer_del(pl_srv_timers_t *h, pl_srv_timer_t *node)
{
	if (node->idx == 0)
		return;
	size_t i = node->idx - 1;
	node->idx = 0;
	pl_srv_timer_t *last = h->t[--h->n];
	if (i == h->n)
		return;
	place(h, i, last);
	sift_down(h, i);
	sift_up(h, last->idx - 1);
}

pl_srv_timer_t *pl_srv_timer_first(const pl_srv_timers_t *h)
{
	return h->n ? h->t[0] : NULL;
}

void pl_srv_timers_free(pl_srv_timers_t *h)
{
	free(h->t);
	h->t = NULL;
	h->n = h->cap = 0;
}
