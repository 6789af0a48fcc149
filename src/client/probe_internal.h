/*
 * The probe's two halves, apart from the socket so that each can be tested
 * and fuzzed on a buffer: the ClientHello writer and the parser of the
 * server's answer. Not part of the public API.
 */
#ifndef PADLOCK_PROBE_INTERNAL_H
#define PADLOCK_PROBE_INTERNAL_H

#include "padlock/client.h"
#include "tls/buf.h"

/* Caps on what a server may send before the probe calls it malformed. */
#define PL_PROBE_MSG_MAX 65536       /* one handshake message, body bytes */
#define PL_PROBE_RECORD_MAX 16384    /* plaintext record (RFC 5246 6.2.1) */
#define PL_PROBE_SKIPPED_MAX 8       /* warning alerts, HelloRequests */

/* Writes the ClientHello for offer into out as one or more plaintext
 * records. Returns PL_OK, PL_ERR_NOMEM, or PL_ERR_ARG with one sentence in
 * err (a version padlock cannot offer, a key share it cannot make, a list
 * too long for its length field). */
int pl_probe_write_hello(const pl_probe_offer_t *offer, pl_buf_t *out,
			 char *err, size_t err_len);

/* How a read of the answer ended before the parser was done. */
typedef enum {
	PL_PROBE_END_EOF,     /* the server closed TCP */
	PL_PROBE_END_RESET,   /* the server reset TCP */
	PL_PROBE_END_TIMEOUT, /* timeout_ms passed */
} pl_probe_end_t;

/* The parser of the server's answer: fed bytes in any chunks, it reads
 * plaintext records, reassembles handshake messages and fills a result. */
typedef struct {
	uint16_t offered;        /* the ClientHello's version */
	bool asked_status;       /* it carried status_request */
	int state;               /* probe_parse.c's enum */
	int last_rank;           /* order of the messages after ServerHello */
	unsigned suite_flags;    /* PL_SUITE_ flags of the suite chosen */
	bool suite_known;        /* the suite is in pl_suite_table() */
	bool status_acked;       /* ServerHello carried status_request */
	unsigned skipped;        /* warning alerts and HelloRequests */
	bool any_record;         /* a whole record has been read */
	size_t received;         /* bytes fed so far */
	pl_buf_t records;        /* bytes not yet a whole record */
	pl_buf_t messages;       /* handshake bytes not yet a whole message */
	char hello[160];         /* the ServerHello sentence, for detail */
	const uint8_t *offered_id; /* the session ID the hello offered */
	size_t offered_id_len;
	pl_probe_result_t *out;
} pl_probe_parser_t;

/* Starts a parser that fills out (zeroed here; alert set to -1). */
void pl_probe_parser_init(pl_probe_parser_t *p, uint16_t offered,
			  bool asked_status, pl_probe_result_t *out);

/* Feeds len received bytes. Returns PL_OK (look at pl_probe_parser_done)
 * or PL_ERR_NOMEM. Bytes fed after the parser is done are ignored. */
int pl_probe_parser_feed(pl_probe_parser_t *p, const uint8_t *data,
			 size_t len);

/* True once out holds the final answer. */
bool pl_probe_parser_done(const pl_probe_parser_t *p);

/* The answer ended (how) before the parser was done: sets the outcome and
 * detail. timeout_ms is for the sentence. */
void pl_probe_parser_end(pl_probe_parser_t *p, pl_probe_end_t how,
			 int timeout_ms);

/* Frees the parser's buffers (not the result). */
void pl_probe_parser_free(pl_probe_parser_t *p);

/* "TLS 1.2", "SSL 3.0", "unknown (0x0305)", in a per-thread buffer. */
const char *pl_probe_version_name(uint16_t version);

#endif
