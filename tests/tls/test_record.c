/*
 * The record layer's hand-off of application data: a record that arrives
 * while nothing is waiting becomes the read queue as it is (no copy); one
 * that arrives behind unread data is appended. Both must give the bytes
 * back in order, whatever the reader's pace, and shrinking an idle
 * connection must keep what is unread.
 */
#include "engine_pair.h"

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

int main(void)
{
	ep_setup();
	RUN(records_read_at_any_pace_arrive_in_order);
	return test_finish();
}
