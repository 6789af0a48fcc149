/*
 * bench/handshake: the performance report of issue 2, section 6.
 *
 * One process, one run, everything in memory (no sockets), pinned to one
 * core, CPU time only (CLOCK_THREAD_CPUTIME_ID). It measures, in order:
 *
 *   1. padlock client <-> padlock server full handshakes (x25519, ECDSA
 *      P-256, TLS_AES_128_GCM_SHA256), CPU per handshake for each side;
 *   2. the same handshake through OpenSSL's libssl, the peer to beat;
 *   3. the crypto floor: the primitives a server handshake cannot avoid,
 *      through padlock's crypto layer, and bare EVP for reference;
 *   4. bulk: 16 KiB application records sealed and opened, against a bare
 *      EVP loop over the same sizes;
 *   5. the heap an idle connection holds after its handshake;
 *   6. per key exchange group: the server's key exchange, and a whole
 *      handshake in that group;
 *   7. ML-KEM-768 key generation, encapsulation and decapsulation, and
 *      each side of the X25519MLKEM768 key exchange beside x25519 alone;
 *   8. TLS 1.2 full handshakes (ECDHE-ECDSA-AES128-GCM-SHA256, x25519,
 *      extended master secret), padlock's and libssl's;
 *   9. resumed TLS 1.3 handshakes with a ticket (psk_dhe_ke, x25519),
 *      padlock's and libssl's, and full handshakes issuing the same
 *      tickets;
 *
 * then prints the ratios the issue sets goals for. It reports; it never
 * passes or fails on a number. bench/README.md says how to read it.
 *
 * Usage: bench_handshake [-t SECONDS] [-r RUNS] [--only PART]
 *   -t  CPU seconds per run (default 0.3); -r  runs, best kept (default 5)
 *   --only  handshake | libssl | floor | bulk | memory | groups | mlkem |
 *           tls12 | resume
 */
#include <errno.h>
#include <malloc.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "padlock/crypto.h"
#include "padlock/tls.h"
#include "padlock/x509.h"

#define HOST "localhost"
#define RECORD 16384 /* application bytes per bulk record */

enum { SERVER = 0, CLIENT = 1, HARNESS = 2 };
static const char *const side_name[] = { "server", "client", "harness" };

static double run_seconds = 0.3;
static int run_count = 5;

static void die(const char *what)
{
	fprintf(stderr, "bench_handshake: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

/* ---- heap accounting --------------------------------------------------------
 * While heap_on, every allocation and free is charged, at its usable size
 * (malloc_usable_size), to the side whose calls are running (heap_side):
 * libcrypto's through CRYPTO_set_mem_functions, libpadlock's own (it is a
 * static library) through the linker's --wrap of malloc, calloc, realloc
 * and free (bench/bench.cmake). Off, the hooks only forward. */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

enum { FROM_PADLOCK = 0, FROM_LIBCRYPTO = 1 };

static struct {
	bool on;
	int side;
	long bytes[3][2];  /* [side][FROM_] live bytes */
	long blocks[3][2]; /* [side][FROM_] live allocations */
} heap;

static void heap_charge(int from, void *p, int sign)
{
	if (!heap.on || p == NULL)
		return;
	heap.bytes[heap.side][from] += sign * (long)malloc_usable_size(p);
	heap.blocks[heap.side][from] += sign;
}

void *__wrap_malloc(size_t n)
{
	void *p = __real_malloc(n);
	heap_charge(FROM_PADLOCK, p, 1);
	return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
	void *p = __real_calloc(n, size);
	heap_charge(FROM_PADLOCK, p, 1);
	return p;
}

void *__wrap_realloc(void *p, size_t n)
{
	heap_charge(FROM_PADLOCK, p, -1);
	p = __real_realloc(p, n);
	heap_charge(FROM_PADLOCK, p, 1);
	return p;
}

void __wrap_free(void *p)
{
	heap_charge(FROM_PADLOCK, p, -1);
	__real_free(p);
}

static void *crypto_malloc(size_t n, const char *file, int line)
{
	void *p = __real_malloc(n);
	heap_charge(FROM_LIBCRYPTO, p, 1);
	return p;
}

static void *crypto_realloc(void *p, size_t n, const char *file, int line)
{
	heap_charge(FROM_LIBCRYPTO, p, -1);
	p = __real_realloc(p, n);
	heap_charge(FROM_LIBCRYPTO, p, 1);
	return p;
}

static void crypto_free(void *p, const char *file, int line)
{
	heap_charge(FROM_LIBCRYPTO, p, -1);
	__real_free(p);
}

/* ---- timing ----------------------------------------------------------------
 * A side's work is timed in intervals: side_begin .. side_end. Reading the
 * CPU clock is a system call here (hundreds of ns under KVM), so each
 * interval is charged one reading less, as measured by clock_cost(). */

static double clock_reading; /* seconds one clock reading costs */

static double cpu_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double clock_cost(void)
{
	const int n = 200000;
	double best = 1;
	for (int run = 0; run < 5; run++) {
		double t0 = cpu_now();
		for (int i = 0; i < n; i++)
			(void)cpu_now();
		double per = (cpu_now() - t0) / (n + 1);
		best = per < best ? per : best;
	}
	return best;
}

/* CPU seconds per side. */
typedef struct {
	double cpu[2];
	double t0;
} meter_t;

static void side_begin(meter_t *m, int side)
{
	heap.side = side;
	if (m != NULL)
		m->t0 = cpu_now();
}

static void side_end(meter_t *m, int side)
{
	if (m != NULL)
		m->cpu[side] += cpu_now() - m->t0 - clock_reading;
	heap.side = HARNESS;
}

/* A measurement: n iterations of the work, CPU seconds per part into out
 * (added to, parts the work does not use stay 0). */
typedef void (*work_fn)(void *arg, long n, double out[2]);

typedef struct {
	double per_op[2]; /* best seconds per iteration, per part */
	long n;           /* iterations per run */
} result_t;

/* Scales n so that one run takes about run_seconds, then keeps the best of
 * run_count runs for each part separately. One iteration of work is ops
 * operations; per_op is per operation. */
static result_t measure(work_fn work, void *arg, int ops)
{
	result_t r = { { 1e9, 1e9 }, 1 };
	double t[2] = { 0, 0 };
	for (;;) {
		t[0] = t[1] = 0;
		work(arg, r.n, t);
		if (t[0] + t[1] >= run_seconds / 10 || r.n >= (1L << 30))
			break;
		r.n *= 4;
	}
	double scale = run_seconds / (t[0] + t[1]);
	r.n = (long)(r.n * scale) > 1 ? (long)(r.n * scale) : 1;
	for (int run = 0; run < run_count; run++) {
		t[0] = t[1] = 0;
		work(arg, r.n, t);
		for (int k = 0; k < 2; k++)
			if (t[k] / r.n < r.per_op[k])
				r.per_op[k] = t[k] / r.n;
	}
	for (int k = 0; k < 2; k++)
		r.per_op[k] = r.per_op[k] == 1e9 ? 0 : r.per_op[k] / ops;
	r.n *= ops;
	return r;
}

/* A whole loop timed as one interval: for work without sides. */
#define TIMED_LOOP(out, n, ...)                                   \
	do {                                                      \
		double t0_ = cpu_now();                           \
		for (long i_ = 0; i_ < (n); i_++) {               \
			__VA_ARGS__;                              \
		}                                                 \
		(out)[0] += cpu_now() - t0_ - clock_reading;      \
	} while (0)

/* ---- the machine -------------------------------------------------------- */

static void pin_to_one_core(char *how, size_t cap)
{
	cpu_set_t set;
	int first = -1;
	if (sched_getaffinity(0, sizeof(set), &set) != 0) {
		snprintf(how, cap, "affinity unknown (%s)", strerror(errno));
		return;
	}
	for (int i = 0; i < CPU_SETSIZE && first < 0; i++)
		if (CPU_ISSET(i, &set))
			first = i;
	if (CPU_COUNT(&set) == 1) {
		snprintf(how, cap, "pinned to CPU %d (by the caller)", first);
		return;
	}
	CPU_ZERO(&set);
	CPU_SET(first, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		snprintf(how, cap, "NOT pinned: sched_setaffinity: %s",
			 strerror(errno));
	else
		snprintf(how, cap, "pinned to CPU %d (by the benchmark)", first);
}

static void cpu_model(char *buf, size_t cap)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");
	snprintf(buf, cap, "unknown CPU");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');
		if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
			colon[strcspn(colon, "\n")] = 0;
			snprintf(buf, cap, "%s", colon + 2);
			break;
		}
	}
	if (f != NULL)
		fclose(f);
}

/* ---- credentials -----------------------------------------------------------
 * A P-256 root CA and a P-256 leaf for HOST that it signs, made here, and
 * written as PEM to a temporary directory for padlock's loaders. */

typedef struct {
	EVP_PKEY *ca_key, *leaf_key;
	X509 *ca, *leaf;
	char dir[64];
	char ca_path[96], chain_path[96], key_path[96];
} creds_t;

static EVP_PKEY *new_p256_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	if (k == NULL)
		die("P-256 key generation failed");
	return k;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL || X509_add_ext(cert, ext, -1) != 1)
		die("adding a certificate extension failed");
	X509_EXTENSION_free(ext);
}

static X509 *new_cert(EVP_PKEY *key, const char *cn, X509 *issuer,
		      EVP_PKEY *issuer_key, long serial)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	if (x == NULL || name == NULL ||
	    X509_set_version(x, X509_VERSION_3) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), serial) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -86400) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				       (const unsigned char *)cn, -1, -1,
				       0) != 1 ||
	    X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer)
					   : name) != 1 ||
	    X509_set_pubkey(x, key) != 1)
		die("building a certificate failed");
	X509_NAME_free(name);
	X509 *signer = issuer ? issuer : x;
	add_ext(x, signer, NID_subject_key_identifier, "hash");
	if (issuer == NULL) {
		add_ext(x, signer, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, signer, NID_authority_key_identifier, "keyid:always");
		add_ext(x, signer, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, signer, NID_key_usage, "critical,digitalSignature");
		add_ext(x, signer, NID_ext_key_usage, "serverAuth");
		add_ext(x, signer, NID_subject_alt_name, "DNS:" HOST);
	}
	if (X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) <= 0)
		die("signing a certificate failed");
	return x;
}

static void write_pem(const char *path, X509 *cert, EVP_PKEY *key)
{
	FILE *f = fopen(path, "w");
	if (f == NULL ||
	    (cert && PEM_write_X509(f, cert) != 1) ||
	    (key && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL,
					 NULL) != 1) ||
	    fclose(f) != 0)
		die("writing a PEM file failed");
}

static void creds_make(creds_t *cr)
{
	snprintf(cr->dir, sizeof(cr->dir), "/tmp/padlock-bench-XXXXXX");
	if (mkdtemp(cr->dir) == NULL)
		die("mkdtemp failed");
	snprintf(cr->ca_path, sizeof(cr->ca_path), "%s/ca.pem", cr->dir);
	snprintf(cr->chain_path, sizeof(cr->chain_path), "%s/chain.pem",
		 cr->dir);
	snprintf(cr->key_path, sizeof(cr->key_path), "%s/key.pem", cr->dir);
	cr->ca_key = new_p256_key();
	cr->leaf_key = new_p256_key();
	cr->ca = new_cert(cr->ca_key, "padlock bench root", NULL, NULL, 1);
	cr->leaf = new_cert(cr->leaf_key, HOST, cr->ca, cr->ca_key, 2);
	write_pem(cr->ca_path, cr->ca, NULL);
	write_pem(cr->chain_path, cr->leaf, NULL);
	write_pem(cr->key_path, NULL, cr->leaf_key);
}

static void creds_free(creds_t *cr)
{
	unlink(cr->ca_path);
	unlink(cr->chain_path);
	unlink(cr->key_path);
	rmdir(cr->dir);
	X509_free(cr->ca);
	X509_free(cr->leaf);
	EVP_PKEY_free(cr->ca_key);
	EVP_PKEY_free(cr->leaf_key);
}

/* ---- padlock handshakes ------------------------------------------------- */

typedef struct {
	pl_tls_config_t *cfg[2];
	pl_tls_conn_t *conn[2];
	/* what each side last output, and whether the peer has taken it */
	const uint8_t *wire[2];
	size_t wire_len[2];
	bool taken[2];
	size_t sent[2]; /* bytes each side sent in the handshake */
	/* a saved session (pl_tls_session_save) the client resumes, and
	 * the server must resume, each handshake; NULL: full handshakes */
	const uint8_t *session;
	size_t session_len;
} pl_pair_t;

static pl_tls_config_t *pl_config(const creds_t *cr, bool server,
				  uint16_t suite)
{
	char err[256] = "loading the server credentials failed";
	/* TLS 1.2 (RFC 8422 5.1): the client lists the certificate's curve
	 * too; the server still picks x25519, its only group. */
	static const uint16_t groups[] = {PL_GROUP_X25519, PL_GROUP_SECP256R1};
	bool tls12 = suite >> 8 != 0x13;
	pl_tls_config_t *cfg = pl_tls_config_new(server);
	if (cfg == NULL || pl_tls_config_set_suites(cfg, &suite, 1) ||
	    pl_tls_config_set_groups(cfg, groups, tls12 && !server ? 2 : 1))
		die("padlock configuration failed");
	if (server) {
		pl_x509_chain_t *chain =
			pl_x509_chain_load_pem(cr->chain_path, err, sizeof(err));
		pl_pkey_t *key = pl_x509_key_load_pem(cr->key_path, err,
						      sizeof(err));
		if (chain == NULL || key == NULL ||
		    pl_tls_config_add_chain(cfg, chain, key) != PL_OK)
			die(err);
	} else {
		pl_x509_store_t *store =
			pl_x509_store_new(cr->ca_path, NULL, err, sizeof(err));
		if (store == NULL)
			die(err);
		pl_tls_config_set_trust(cfg, store);
	}
	return cfg;
}

static void pl_pair_init(pl_pair_t *p, const creds_t *cr, uint16_t suite)
{
	memset(p, 0, sizeof(*p));
	p->cfg[SERVER] = pl_config(cr, true, suite);
	p->cfg[CLIENT] = pl_config(cr, false, suite);
}

static void pl_pair_check(const pl_pair_t *p, int side, int ret)
{
	char msg[512];
	if (ret == PL_OK && !pl_tls_failed(p->conn[side]))
		return;
	snprintf(msg, sizeof(msg), "padlock %s failed: %s", side_name[side],
		 pl_tls_reason(p->conn[side]));
	die(msg);
}

/* One turn of a side: acknowledge what the peer took of its last output,
 * take the peer's pending output, and produce its own. */
static void pl_turn(pl_pair_t *p, int side)
{
	pl_tls_conn_t *me = p->conn[side];
	int peer = !side;
	int ret = PL_OK;
	if (me == NULL) {
		me = p->conn[side] = pl_tls_conn_new(
			p->cfg[side], side == CLIENT ? HOST : NULL);
		if (me == NULL)
			die("pl_tls_conn_new failed");
		if (side == CLIENT && p->session != NULL &&
		    pl_tls_session_load(me, p->session, p->session_len) != PL_OK)
			die("pl_tls_session_load failed");
	}
	if (p->wire_len[side] > 0 && p->taken[side]) {
		pl_tls_output_consumed(me, p->wire_len[side]);
		p->wire_len[side] = 0;
	}
	if (p->wire_len[peer] > 0 && !p->taken[peer]) {
		ret = pl_tls_feed(me, p->wire[peer], p->wire_len[peer]);
		p->taken[peer] = true;
	}
	pl_pair_check(p, side, ret);
	p->wire[side] = pl_tls_output(me, &p->wire_len[side]);
	p->taken[side] = false;
	p->sent[side] += p->wire_len[side];
}

static bool pl_settled(const pl_pair_t *p, int count)
{
	for (int i = 0; i < count; i++)
		for (int s = 0; s < 2; s++)
			if (p[i].conn[s] == NULL ||
			    !pl_tls_handshake_done(p[i].conn[s]) ||
			    (p[i].wire_len[s] > 0 && !p[i].taken[s]))
				return false;
	return true;
}

/* A side's last step: acknowledge its output; unless keep, free it. */
static void pl_finish(pl_pair_t *p, int side, bool keep)
{
	if (p->wire_len[side] > 0)
		pl_tls_output_consumed(p->conn[side], p->wire_len[side]);
	p->wire_len[side] = 0;
	if (p->session != NULL && !pl_tls_resumed(p->conn[side]))
		die("a padlock handshake offered a session and did not resume");
	if (!keep) {
		pl_tls_conn_free(p->conn[side]);
		p->conn[side] = NULL;
	}
}

/* Full handshakes on count connections in lockstep (every connection
 * takes a step before any takes the next), the client first. With keep,
 * the connections stay, handshaken, output acknowledged. */
static void pl_handshake(pl_pair_t *p, int count, meter_t *m, bool keep)
{
	for (int i = 0; i < count; i++)
		p[i].sent[0] = p[i].sent[1] = 0;
	for (int round = 0; !pl_settled(p, count); round++) {
		if (round == 8)
			die("padlock handshake did not finish in 8 rounds");
		for (int s = CLIENT; s >= SERVER; s--)
			for (int i = 0; i < count; i++) {
				side_begin(m, s);
				pl_turn(&p[i], s);
				side_end(m, s);
			}
	}
	for (int s = CLIENT; s >= SERVER; s--)
		for (int i = 0; i < count; i++) {
			side_begin(m, s);
			pl_finish(&p[i], s, keep);
			side_end(m, s);
		}
}

/* Connections that handshake in lockstep in part 1 and 2. */
typedef struct {
	void *pairs;
	int count;
} batch_t;

static void work_pl_handshake(void *arg, long n, double out[2])
{
	batch_t *b = arg;
	meter_t m = { { 0, 0 }, 0 };
	for (long i = 0; i < n; i++)
		pl_handshake(b->pairs, b->count, &m, false);
	out[SERVER] += m.cpu[SERVER];
	out[CLIENT] += m.cpu[CLIENT];
}

/* ---- libssl handshakes ---------------------------------------------------- */

typedef struct {
	SSL_CTX *ctx[2];
	SSL *ssl[2];
	BIO *bio[2]; /* the two ends of an in-memory pair, made by the harness */
	bool done[2];
	/* a session the client resumes, and the server must resume, each
	 * handshake; NULL: full handshakes */
	SSL_SESSION *session;
	/* with tickets: the client reads the server's NewSessionTickets
	 * after the handshake, as padlock's client does, and both ends are
	 * freed as after a clean close (libssl stops resuming a session
	 * whose connection was freed without one) */
	bool tickets;
} ssl_pair_t;

/* TLS 1.3 (TLS_AES_128_GCM_SHA256), or with tls12 TLS 1.2
 * (ECDHE-ECDSA-AES128-GCM-SHA256, extended master secret as libssl does
 * by default); x25519 either way. */
static SSL_CTX *ssl_config_version(const creds_t *cr, bool server, bool tls12)
{
	int version = tls12 ? TLS1_2_VERSION : TLS1_3_VERSION;
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method()
					  : TLS_client_method());
	if (ctx == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, version) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, version) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, tls12 ? "X25519:P-256" : "X25519") != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256") != 1 ||
	    (tls12 && SSL_CTX_set_cipher_list(
			      ctx, "ECDHE-ECDSA-AES128-GCM-SHA256") != 1))
		die("libssl configuration failed");
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	if (server) {
		if (SSL_CTX_set_num_tickets(ctx, 0) != 1 ||
		    SSL_CTX_use_certificate(ctx, cr->leaf) != 1 ||
		    SSL_CTX_use_PrivateKey(ctx, cr->leaf_key) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1)
			die("libssl server credentials failed");
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), cr->ca) != 1)
			die("libssl trust store failed");
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	return ctx;
}

static SSL_CTX *ssl_config(const creds_t *cr, bool server)
{
	return ssl_config_version(cr, server, false);
}

/* NewSessionTickets received by libssl clients while ssl_count_ticket
 * is their message callback. */
static long ssl_tickets_seen;

static void ssl_count_ticket(int write_p, int version, int content_type,
			     const void *buf, size_t len, SSL *s, void *arg)
{
	(void)version;
	(void)s;
	(void)arg;
	if (!write_p && content_type == SSL3_RT_HANDSHAKE && len > 0 &&
	    *(const uint8_t *)buf == SSL3_MT_NEWSESSION_TICKET)
		ssl_tickets_seen++;
}

/* As ssl_config, with session tickets: a server issues tickets (per
 * handshake, full or resumed) and resumes with them, keeping no session
 * cache (stateless tickets need none, as padlock keeps none). A client
 * has no session cache either: with one, libssl makes a TLS 1.3 session
 * unresumable once it has been resumed (single-use tickets), and the
 * harness resumes the same session each time, as padlock's does. */
static SSL_CTX *ssl_config_tickets(const creds_t *cr, bool server,
				   size_t tickets)
{
	SSL_CTX *ctx = ssl_config(cr, server);
	SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
	if (server && (SSL_CTX_set_num_tickets(ctx, tickets) != 1 ||
		       SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF) < 0))
		die("libssl ticket configuration failed");
	return ctx;
}

static void ssl_turn(ssl_pair_t *p, int side)
{
	SSL *s = p->ssl[side];
	if (s == NULL) {
		s = p->ssl[side] = SSL_new(p->ctx[side]);
		if (s == NULL)
			die("SSL_new failed");
		SSL_set_bio(s, p->bio[side], p->bio[side]);
		if (side == CLIENT) {
			SSL_set_connect_state(s);
			if (p->session != NULL && SSL_set_session(s, p->session) != 1)
				die("SSL_set_session failed");
			if (SSL_set_tlsext_host_name(s, HOST) != 1 ||
			    SSL_set1_host(s, HOST) != 1)
				die("libssl host name failed");
		} else {
			SSL_set_accept_state(s);
		}
	}
	if (p->done[side])
		return;
	int r = SSL_do_handshake(s);
	if (r == 1) {
		p->done[side] = true;
		return;
	}
	if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
		die(side == CLIENT ? "libssl client handshake failed"
				   : "libssl server handshake failed");
}

static bool ssl_settled(const ssl_pair_t *p, int count)
{
	for (int i = 0; i < count; i++)
		if (!p[i].done[CLIENT] || !p[i].done[SERVER])
			return false;
	return true;
}

/* As pl_handshake, through libssl. */
static void ssl_handshake(ssl_pair_t *p, int count, meter_t *m, bool keep)
{
	for (int i = 0; i < count; i++) {
		if (BIO_new_bio_pair(&p[i].bio[CLIENT], 0, &p[i].bio[SERVER],
				     0) != 1)
			die("BIO_new_bio_pair failed");
		p[i].done[0] = p[i].done[1] = false;
	}
	for (int round = 0; !ssl_settled(p, count); round++) {
		if (round == 8)
			die("libssl handshake did not finish in 8 rounds");
		for (int s = CLIENT; s >= SERVER; s--)
			for (int i = 0; i < count; i++) {
				side_begin(m, s);
				ssl_turn(&p[i], s);
				side_end(m, s);
			}
	}
	for (int i = 0; i < count; i++) {
		uint8_t none[1];
		if (p[i].session != NULL && !SSL_session_reused(p[i].ssl[SERVER]))
			die("a libssl handshake offered a session and did not "
			    "resume");
		if (!p[i].tickets)
			continue;
		side_begin(m, CLIENT);
		int r = SSL_read(p[i].ssl[CLIENT], none, sizeof(none));
		if (r > 0 ||
		    SSL_get_error(p[i].ssl[CLIENT], r) != SSL_ERROR_WANT_READ)
			die("libssl client: reading the tickets failed");
		side_end(m, CLIENT);
	}
	for (int s = CLIENT; s >= SERVER && !keep; s--)
		for (int i = 0; i < count; i++) {
			side_begin(m, s);
			if (p[i].tickets)
				SSL_set_shutdown(p[i].ssl[s], SSL_SENT_SHUTDOWN |
							      SSL_RECEIVED_SHUTDOWN);
			SSL_free(p[i].ssl[s]); /* and its end of the BIO pair */
			p[i].ssl[s] = NULL;
			side_end(m, s);
		}
}

static void work_ssl_handshake(void *arg, long n, double out[2])
{
	batch_t *b = arg;
	meter_t m = { { 0, 0 }, 0 };
	for (long i = 0; i < n; i++)
		ssl_handshake(b->pairs, b->count, &m, false);
	out[SERVER] += m.cpu[SERVER];
	out[CLIENT] += m.cpu[CLIENT];
}

/* ---- the crypto floor -------------------------------------------------------
 * What a server's full handshake must compute whatever the engine: one
 * x25519 key pair and shared secret, one ECDSA P-256 signature, the
 * transcript hash, and the key schedule; through padlock's crypto layer. */

typedef struct {
	uint8_t peer[32]; /* a client's x25519 key share */
	pl_pkey_t *key;   /* the server's P-256 key */
	uint8_t cv[130];  /* CertificateVerify content: 64 + 34 + 32 bytes */
	uint8_t msgs[1536];
	/* HkdfLabel (RFC 8446 7.1) per expansion, made once */
	uint8_t label[10][64];
	size_t label_len[10];
	EVP_PKEY *evp_key;
} floor_t;

/* The handshake messages the server hashes, ~1.5 KB as a P-256 chain of
 * one certificate makes them: ClientHello, ServerHello, EE, Certificate,
 * CertificateVerify, server Finished, client Finished. */
static const size_t transcript_msgs[] = { 512, 90, 10, 700, 80, 36, 36 };
/* After which messages the hash is read: for the handshake secrets (SH),
 * the signature (Certificate), server Finished (CV), the application
 * secrets and client Finished (server Finished), resumption (client Fin). */
static const bool transcript_peek[] = { false, true, false, true, true, true,
					true };

enum { L_C_HS, L_S_HS, L_KEY, L_IV, L_FINISHED, L_DERIVED, L_C_AP, L_S_AP };

static size_t hkdf_label(uint8_t *out, const char *label, size_t ctx_len,
			 size_t out_len)
{
	size_t n = 0, label_len = strlen(label);
	out[n++] = (uint8_t)(out_len >> 8);
	out[n++] = (uint8_t)out_len;
	out[n++] = (uint8_t)(6 + label_len);
	memcpy(out + n, "tls13 ", 6);
	n += 6;
	memcpy(out + n, label, label_len);
	n += label_len;
	out[n++] = (uint8_t)ctx_len;
	memset(out + n, 0x5a, ctx_len); /* stands in for a transcript hash */
	return n + ctx_len;
}

static void floor_init(floor_t *f, const creds_t *cr)
{
	static const struct { const char *label; size_t ctx, out; } labels[] = {
		[L_C_HS] = { "c hs traffic", 32, 32 },
		[L_S_HS] = { "s hs traffic", 32, 32 },
		[L_KEY] = { "key", 0, 16 },
		[L_IV] = { "iv", 0, 12 },
		[L_FINISHED] = { "finished", 0, 32 },
		[L_DERIVED] = { "derived", 32, 32 },
		[L_C_AP] = { "c ap traffic", 32, 32 },
		[L_S_AP] = { "s ap traffic", 32, 32 },
	};
	size_t len;
	pl_kex_t *client = pl_kex_new(PL_GROUP_X25519);
	if (client == NULL ||
	    pl_kex_public(client, f->peer, sizeof(f->peer), &len) != PL_OK)
		die("x25519 key generation failed");
	pl_kex_free(client);
	f->key = pl_x509_key_load_pem(cr->key_path, NULL, 0);
	if (f->key == NULL)
		die("loading the server key failed");
	memset(f->cv, 0x20, 64);
	memcpy(f->cv + 64, "TLS 1.3, server CertificateVerify", 34);
	memset(f->cv + 98, 0xa5, 32);
	memset(f->msgs, 0x33, sizeof(f->msgs));
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		f->label_len[i] = hkdf_label(f->label[i], labels[i].label,
					     labels[i].ctx, labels[i].out);
	f->evp_key = cr->leaf_key;
}

/* A server's key exchange: a fresh key pair in group, and the shared
 * secret with the client's share peer. */
static void server_kex(uint16_t group, const uint8_t *peer, size_t peer_len)
{
	uint8_t secret[PL_KEX_SECRET_MAX], share[PL_HYBRID_SERVER_SHARE_LEN];
	size_t len, share_len;
	if (group == PL_GROUP_X25519MLKEM768) {
		if (pl_hybrid_server_respond(peer, peer_len, share,
					     sizeof(share), &share_len, secret,
					     sizeof(secret), &len) != PL_OK)
			die("X25519MLKEM768 key exchange failed");
		return;
	}
	pl_kex_t *k = pl_kex_new(group);
	if (k == NULL || pl_kex_derive(k, peer, peer_len, secret,
				       sizeof(secret), &len) != PL_OK)
		die("key exchange failed");
	pl_kex_free(k);
}

static void work_kex(void *arg, long n, double out[2])
{
	floor_t *f = arg;
	TIMED_LOOP(out, n, server_kex(PL_GROUP_X25519, f->peer, 32));
}

static void work_sign(void *arg, long n, double out[2])
{
	floor_t *f = arg;
	uint8_t sig[PL_SIG_MAX];
	size_t len;
	TIMED_LOOP(out, n, {
		if (pl_pkey_sign(f->key, PL_SIG_ECDSA_SECP256R1_SHA256, f->cv,
				 sizeof(f->cv), sig, sizeof(sig),
				 &len) != PL_OK)
			die("ECDSA signing failed");
	});
}

static void work_transcript(void *arg, long n, double out[2])
{
	floor_t *f = arg;
	uint8_t digest[PL_HASH_MAX];
	TIMED_LOOP(out, n, {
		pl_hash_t *h = pl_hash_new(PL_HASH_SHA256);
		const uint8_t *p = f->msgs;
		if (h == NULL)
			die("pl_hash_new failed");
		for (size_t m = 0; m < 7; m++) {
			if (pl_hash_update(h, p, transcript_msgs[m]) != PL_OK ||
			    (transcript_peek[m] &&
			     pl_hash_peek(h, digest) != PL_OK))
				die("transcript hash failed");
			p += transcript_msgs[m];
		}
		pl_hash_free(h);
	});
}

static void expand(const floor_t *f, const uint8_t *secret, int label,
		   uint8_t *outp, size_t out_len)
{
	if (pl_hkdf_expand(PL_HASH_SHA256, secret, 32, f->label[label],
			   f->label_len[label], outp, out_len) != PL_OK)
		die("HKDF-Expand failed");
}

/* The server's key schedule without PSK (RFC 8446 7.1): 19 HMACs. The
 * early secret and the "derived" secret after it do not depend on the
 * connection, so they are not counted. */
static void key_schedule(const floor_t *f, const uint8_t *dhe)
{
	static const uint8_t derived_early[32] = { 0x6f };
	uint8_t hs[32], chs[32], shs[32], ms[32], derived[32], cap[32], sap[32];
	uint8_t key[16], iv[12], fk[32], mac[32];
	if (pl_hkdf_extract(PL_HASH_SHA256, derived_early, 32, dhe, 32, hs))
		die("HKDF-Extract failed");
	expand(f, hs, L_C_HS, chs, 32);
	expand(f, hs, L_S_HS, shs, 32);
	const uint8_t *hs_dirs[2] = { shs, chs };
	for (int d = 0; d < 2; d++) {
		expand(f, hs_dirs[d], L_KEY, key, 16);
		expand(f, hs_dirs[d], L_IV, iv, 12);
		expand(f, hs_dirs[d], L_FINISHED, fk, 32);
		if (pl_hmac(PL_HASH_SHA256, fk, 32, f->msgs, 32, mac))
			die("HMAC failed");
	}
	expand(f, hs, L_DERIVED, derived, 32);
	if (pl_hkdf_extract(PL_HASH_SHA256, derived, 32, f->msgs, 32, ms))
		die("HKDF-Extract failed");
	expand(f, ms, L_C_AP, cap, 32);
	expand(f, ms, L_S_AP, sap, 32);
	const uint8_t *ap_dirs[2] = { sap, cap };
	for (int d = 0; d < 2; d++) {
		expand(f, ap_dirs[d], L_KEY, key, 16);
		expand(f, ap_dirs[d], L_IV, iv, 12);
	}
}

static void work_key_schedule(void *arg, long n, double out[2])
{
	floor_t *f = arg;
	TIMED_LOOP(out, n, key_schedule(f, f->peer));
}

/* Record protection in a server handshake, shown beside the floor: four
 * AEAD keys set up, its ~1 KB flight sealed and the client Finished opened. */
static void work_handshake_aead(void *arg, long n, double out[2])
{
	static const uint8_t key[16] = { 1 }, nonce[12] = { 2 }, aad[5] = { 23 };
	static uint8_t flight[1024 + 16], fin[53 + 16];
	TIMED_LOOP(out, n, {
		pl_aead_t *a[4];
		for (int k = 0; k < 4; k++)
			if ((a[k] = pl_aead_new(PL_AEAD_AES_128_GCM, key)) == NULL)
				die("pl_aead_new failed");
		if (pl_aead_seal(a[0], nonce, aad, 5, flight, 1024, flight) ||
		    pl_aead_seal(a[1], nonce, aad, 5, fin, 53, fin) ||
		    pl_aead_open(a[1], nonce, aad, 5, fin, 69, fin))
			die("AEAD failed");
		for (int k = 0; k < 4; k++)
			pl_aead_free(a[k]);
	});
}

/* For reference: the same x25519 and ECDSA work straight on EVP, as lean
 * as EVP allows (contexts reused where the API lets them be). */
static void work_evp_x25519(void *arg, long n, double out[2])
{
	floor_t *f = arg;
	uint8_t secret[32];
	EVP_PKEY_CTX *gen = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL);
	if (gen == NULL || EVP_PKEY_keygen_init(gen) != 1)
		die("EVP x25519 setup failed");
	TIMED_LOOP(out, n, {
		EVP_PKEY *key = NULL;
		EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(
			EVP_PKEY_X25519, NULL, f->peer, 32);
		EVP_PKEY_CTX *ctx = NULL;
		size_t len = sizeof(secret);
		if (peer == NULL || EVP_PKEY_keygen(gen, &key) != 1 ||
		    (ctx = EVP_PKEY_CTX_new(key, NULL)) == NULL ||
		    EVP_PKEY_derive_init(ctx) != 1 ||
		    EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) != 1 ||
		    EVP_PKEY_derive(ctx, secret, &len) != 1)
			die("EVP x25519 failed");
		EVP_PKEY_CTX_free(ctx);
		EVP_PKEY_free(peer);
		EVP_PKEY_free(key);
	});
	EVP_PKEY_CTX_free(gen);
}

static void work_evp_sign(void *arg, long n, double out[2])
{
	floor_t *f = arg;
	uint8_t digest[32], sig[80];
	EVP_MD *sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(f->evp_key, NULL);
	if (sha256 == NULL || ctx == NULL || EVP_PKEY_sign_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, sha256) != 1)
		die("EVP ECDSA setup failed");
	TIMED_LOOP(out, n, {
		size_t len = sizeof(sig);
		if (EVP_Digest(f->cv, sizeof(f->cv), digest, NULL, sha256,
			       NULL) != 1 ||
		    EVP_PKEY_sign(ctx, sig, &len, digest, 32) != 1)
			die("EVP ECDSA failed");
	});
	EVP_PKEY_CTX_free(ctx);
	EVP_MD_free(sha256);
}

/* ---- bulk ------------------------------------------------------------------
 * 16 KiB of application data per record. "Seal" is pl_tls_write on the
 * server plus taking its output; "seal+open" adds pl_tls_feed on the client
 * and pl_tls_read of the 16 KiB back. The bare EVP loop does the same
 * cipher work (16385 bytes: data and content type, 5 bytes of AAD, one
 * nonce per record) on one reused context per direction. */

static uint8_t bulk_in[RECORD], bulk_back[RECORD];

typedef struct {
	pl_pair_t seal_only; /* writes whose output is dropped */
	pl_pair_t both;      /* writes read back by the client */
} bulk_pl_t;

static void pl_seal(pl_pair_t *p)
{
	size_t len;
	if (pl_tls_write(p->conn[SERVER], bulk_in, RECORD) != PL_OK)
		die("pl_tls_write failed");
	(void)pl_tls_output(p->conn[SERVER], &len);
	pl_tls_output_consumed(p->conn[SERVER], len);
}

static void pl_seal_open(pl_pair_t *p)
{
	size_t len, got = 0, n;
	if (pl_tls_write(p->conn[SERVER], bulk_in, RECORD) != PL_OK)
		die("pl_tls_write failed");
	const uint8_t *rec = pl_tls_output(p->conn[SERVER], &len);
	if (pl_tls_feed(p->conn[CLIENT], rec, len) != PL_OK)
		die("pl_tls_feed failed");
	pl_tls_output_consumed(p->conn[SERVER], len);
	while (got < RECORD) {
		if (pl_tls_read(p->conn[CLIENT], bulk_back + got, RECORD - got,
				&n) != PL_OK || n == 0)
			die("pl_tls_read failed");
		got += n;
	}
}

static void work_pl_bulk(void *arg, long n, double out[2])
{
	bulk_pl_t *b = arg;
	TIMED_LOOP(out, n, pl_seal(&b->seal_only));
	TIMED_LOOP(out + 1, n, pl_seal_open(&b->both));
}

typedef struct {
	EVP_CIPHER_CTX *enc, *dec;
	uint8_t iv[12];
	uint64_t seq;
	uint8_t rec[5 + RECORD + 1 + 16];
	uint8_t plain[RECORD + 1];
} bulk_evp_t;

static void evp_nonce(const bulk_evp_t *b, uint8_t nonce[12])
{
	memcpy(nonce, b->iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(b->seq >> (8 * i));
}

static void evp_seal(bulk_evp_t *b)
{
	uint8_t nonce[12], *body = b->rec + 5;
	int n, fin;
	memcpy(b->plain, bulk_in, RECORD);
	b->plain[RECORD] = 23;
	evp_nonce(b, nonce);
	if (EVP_EncryptInit_ex2(b->enc, NULL, NULL, nonce, NULL) != 1 ||
	    EVP_EncryptUpdate(b->enc, NULL, &n, b->rec, 5) != 1 ||
	    EVP_EncryptUpdate(b->enc, body, &n, b->plain, RECORD + 1) != 1 ||
	    EVP_EncryptFinal_ex(b->enc, body + n, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(b->enc, EVP_CTRL_AEAD_GET_TAG, 16,
				body + RECORD + 1) != 1)
		die("EVP seal failed");
}

static void evp_open(bulk_evp_t *b)
{
	uint8_t nonce[12], *body = b->rec + 5;
	int n, fin;
	evp_nonce(b, nonce);
	if (EVP_DecryptInit_ex2(b->dec, NULL, NULL, nonce, NULL) != 1 ||
	    EVP_DecryptUpdate(b->dec, NULL, &n, b->rec, 5) != 1 ||
	    EVP_CIPHER_CTX_ctrl(b->dec, EVP_CTRL_AEAD_SET_TAG, 16,
				body + RECORD + 1) != 1 ||
	    EVP_DecryptUpdate(b->dec, b->plain, &n, body, RECORD + 1) != 1 ||
	    EVP_DecryptFinal_ex(b->dec, b->plain + n, &fin) != 1)
		die("EVP open failed");
	memcpy(bulk_back, b->plain, RECORD);
}

static void work_evp_bulk(void *arg, long n, double out[2])
{
	bulk_evp_t *b = arg;
	TIMED_LOOP(out, n, { evp_seal(b); b->seq++; });
	TIMED_LOOP(out + 1, n, { evp_seal(b); evp_open(b); b->seq++; });
}

static void bulk_evp_init(bulk_evp_t *b, const char *cipher_name)
{
	static const uint8_t key[32] = { 7 };
	EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, cipher_name, NULL);
	memset(b, 0, sizeof(*b));
	b->enc = EVP_CIPHER_CTX_new();
	b->dec = EVP_CIPHER_CTX_new();
	if (cipher == NULL || b->enc == NULL || b->dec == NULL ||
	    EVP_EncryptInit_ex2(b->enc, cipher, key, NULL, NULL) != 1 ||
	    EVP_DecryptInit_ex2(b->dec, cipher, key, NULL, NULL) != 1)
		die("EVP cipher setup failed");
	EVP_CIPHER_free(cipher);
	memcpy(b->rec, "\x17\x03\x03\x40\x11", 5);
	memset(b->iv, 0x42, sizeof(b->iv));
}

/* ---- report ------------------------------------------------------------- */

static void print_us(const char *what, double sec)
{
	printf("    %-58s %8.1f us\n", what, sec * 1e6);
}

static double mbps(double sec_per_record)
{
	return sec_per_record > 0 ? RECORD / sec_per_record / 1e6 : 0;
}

static const char *verdict(bool met)
{
	return met ? "met" : "NOT met";
}

/* Handshakes run this many connections in lockstep: each side's code then
 * runs warm, as on a server that does nothing but handshakes, rather than
 * after the other side has pushed it out of the caches. */
#define LOCKSTEP 16

/* Results kept for the ratios: [0] in lockstep, [1] one at a time. */
static struct {
	result_t pl_hs[2], ssl_hs[2];
	result_t pl_hs12[2], ssl_hs12[2];
	long idle12[2];
	bool have_12;
	/* resumed handshakes; full handshakes with the same tickets */
	result_t pl_res[2], ssl_res[2], pl_full_tix, ssl_full_tix;
	bool have_res;
	double floor;
	double bulk_pl[2], bulk_evp[2]; /* seal+open s/record, per suite */
	long idle[2];                   /* counted heap, per side */
	bool have_hs, have_ssl, have_floor, have_bulk, have_idle;
} R;

/* The two handshake lines of a part: in lockstep, then one at a time. */
static void print_handshakes(const result_t r[2])
{
	printf("    %-42s %15s %15s\n", "CPU per handshake", "server", "client");
	printf("    %-42s %12.1f us %12.1f us\n",
	       "16 connections in lockstep (busy server)",
	       r[0].per_op[SERVER] * 1e6, r[0].per_op[CLIENT] * 1e6);
	printf("    %-42s %12.1f us %12.1f us\n",
	       "one connection at a time (caches shared)",
	       r[1].per_op[SERVER] * 1e6, r[1].per_op[CLIENT] * 1e6);
	printf("    (%ld and %ld handshakes per run)\n", r[0].n, r[1].n);
}

static void part_handshake(const creds_t *cr)
{
	pl_pair_t p[LOCKSTEP];
	pl_pair_init(&p[0], cr, PL_TLS_AES_128_GCM_SHA256);
	for (int i = 1; i < LOCKSTEP; i++)
		p[i] = p[0];
	pl_handshake(p, 1, NULL, false); /* warm-up, and a check it works */
	batch_t lockstep = { p, LOCKSTEP }, single = { p, 1 };
	R.pl_hs[0] = measure(work_pl_handshake, &lockstep, LOCKSTEP);
	R.pl_hs[1] = measure(work_pl_handshake, &single, 1);
	R.have_hs = true;
	printf("\n1. Full handshake, padlock client <-> padlock server\n"
	       "   (x25519, ECDSA P-256 leaf signed by a P-256 root, "
	       "TLS_AES_128_GCM_SHA256;\n"
	       "   the client verifies the chain and the name '%s'; "
	       "%zu + %zu bytes on the wire)\n", HOST, p[0].sent[CLIENT],
	       p[0].sent[SERVER]);
	print_handshakes(R.pl_hs);
	pl_tls_config_free(p[0].cfg[SERVER]);
	pl_tls_config_free(p[0].cfg[CLIENT]);
}

static void part_libssl(const creds_t *cr)
{
	ssl_pair_t p[LOCKSTEP];
	memset(p, 0, sizeof(p));
	p[0].ctx[SERVER] = ssl_config(cr, true);
	p[0].ctx[CLIENT] = ssl_config(cr, false);
	for (int i = 1; i < LOCKSTEP; i++)
		p[i] = p[0];
	ssl_handshake(p, 1, NULL, false);
	batch_t lockstep = { p, LOCKSTEP }, single = { p, 1 };
	R.ssl_hs[0] = measure(work_ssl_handshake, &lockstep, LOCKSTEP);
	R.ssl_hs[1] = measure(work_ssl_handshake, &single, 1);
	R.have_ssl = true;
	printf("\n2. The same handshake through OpenSSL's libssl (%s)\n"
	       "   (TLS 1.3 only, X25519, TLS_AES_128_GCM_SHA256, no tickets, "
	       "BIO pair;\n   the client verifies the chain and the name)\n",
	       OpenSSL_version(OPENSSL_VERSION));
	print_handshakes(R.ssl_hs);
	SSL_CTX_free(p[0].ctx[SERVER]);
	SSL_CTX_free(p[0].ctx[CLIENT]);
}

static void idle_pair(const creds_t *cr, uint16_t suite, pl_pair_t *p);

static void part_tls12(const creds_t *cr)
{
	pl_pair_t p[LOCKSTEP];
	ssl_pair_t q[LOCKSTEP];
	pl_pair_init(&p[0], cr, PL_TLS_ECDHE_ECDSA_AES_128_GCM_SHA256);
	for (int i = 1; i < LOCKSTEP; i++)
		p[i] = p[0];
	pl_handshake(p, 1, NULL, false);
	batch_t pl_lock = { p, LOCKSTEP }, pl_one = { p, 1 };
	R.pl_hs12[0] = measure(work_pl_handshake, &pl_lock, LOCKSTEP);
	R.pl_hs12[1] = measure(work_pl_handshake, &pl_one, 1);
	printf("\n8. TLS 1.2 full handshake, padlock client <-> padlock server\n"
	       "   (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, x25519, extended "
	       "master secret, the P-256 chain of part 1;\n   %zu + %zu bytes "
	       "on the wire)\n", p[0].sent[CLIENT], p[0].sent[SERVER]);
	print_handshakes(R.pl_hs12);
	pl_tls_config_free(p[0].cfg[SERVER]);
	pl_tls_config_free(p[0].cfg[CLIENT]);

	memset(q, 0, sizeof(q));
	q[0].ctx[SERVER] = ssl_config_version(cr, true, true);
	q[0].ctx[CLIENT] = ssl_config_version(cr, false, true);
	for (int i = 1; i < LOCKSTEP; i++)
		q[i] = q[0];
	ssl_handshake(q, 1, NULL, false);
	batch_t ssl_lock = { q, LOCKSTEP }, ssl_one = { q, 1 };
	R.ssl_hs12[0] = measure(work_ssl_handshake, &ssl_lock, LOCKSTEP);
	R.ssl_hs12[1] = measure(work_ssl_handshake, &ssl_one, 1);
	R.have_12 = true;
	printf("   the same TLS 1.2 handshake through libssl "
	       "(ECDHE-ECDSA-AES128-GCM-SHA256, X25519, no tickets)\n");
	print_handshakes(R.ssl_hs12);
	SSL_CTX_free(q[0].ctx[SERVER]);
	SSL_CTX_free(q[0].ctx[CLIENT]);

	pl_pair_t idle;
	idle_pair(cr, PL_TLS_ECDHE_ECDSA_AES_128_GCM_SHA256, &idle);
	for (int s = 0; s < 2; s++)
		R.idle12[s] = heap.bytes[s][FROM_PADLOCK] +
			      heap.bytes[s][FROM_LIBCRYPTO];
	printf("   an idle TLS 1.2 connection, counted heap (as in 5): server "
	       "%ld B, client %ld B\n", R.idle12[SERVER], R.idle12[CLIENT]);
	for (int s = 0; s < 2; s++) {
		pl_tls_conn_free(idle.conn[s]);
		pl_tls_config_free(idle.cfg[s]);
	}
}

/* ---- resumed handshakes (issue 9, section 6) -------------------------------
 * TLS 1.3 resumption with a ticket, psk_dhe_ke (a new x25519 exchange, no
 * certificate, no signature), each server issuing RESUME_TICKETS tickets
 * per handshake. */

/* libssl issues at most one ticket after a resumed handshake, whatever
 * its setting; padlock issues its configured count (2 by default). Both
 * issue one here, so both servers do the same work. */
#define RESUME_TICKETS 1

/* A padlock pair configured for part 9, and the session of a first full
 * handshake in *session (malloc'd). */
static void pl_resume_pair(const creds_t *cr, pl_pair_t *p, uint8_t **session,
			   size_t *len)
{
	pl_pair_init(p, cr, PL_TLS_AES_128_GCM_SHA256);
	if (pl_tls_config_set_tickets(p->cfg[SERVER], RESUME_TICKETS,
				      86400) != PL_OK)
		die("pl_tls_config_set_tickets failed");
	pl_handshake(p, 1, NULL, true);
	if (pl_tls_session_save(p->conn[CLIENT], session, len) != PL_OK)
		die("padlock: no session to resume");
	for (int s = 0; s < 2; s++) {
		pl_tls_conn_free(p->conn[s]);
		p->conn[s] = NULL;
	}
}

/* The same through libssl: the session from a first full handshake. */
static SSL_SESSION *ssl_resume_pair(const creds_t *cr, ssl_pair_t *p)
{
	memset(p, 0, sizeof(*p));
	p->ctx[SERVER] = ssl_config_tickets(cr, true, RESUME_TICKETS);
	p->ctx[CLIENT] = ssl_config_tickets(cr, false, RESUME_TICKETS);
	p->tickets = true;
	ssl_handshake(p, 1, NULL, true);
	SSL_SESSION *session = SSL_get1_session(p->ssl[CLIENT]);
	for (int s = 0; s < 2; s++) {
		SSL_set_shutdown(p->ssl[s], SSL_SENT_SHUTDOWN |
						    SSL_RECEIVED_SHUTDOWN);
		SSL_free(p->ssl[s]);
		p->ssl[s] = NULL;
	}
	if (session == NULL || !SSL_SESSION_is_resumable(session))
		die("libssl: no session to resume");
	return session;
}

static void part_resume(const creds_t *cr)
{
	pl_pair_t p[LOCKSTEP];
	ssl_pair_t q[LOCKSTEP];
	uint8_t *session;
	size_t session_len;

	pl_resume_pair(cr, &p[0], &session, &session_len);
	for (int i = 1; i < LOCKSTEP; i++)
		p[i] = p[0];
	batch_t pl_lock = { p, LOCKSTEP }, pl_one = { p, 1 };
	R.pl_full_tix = measure(work_pl_handshake, &pl_lock, LOCKSTEP);
	for (int i = 0; i < LOCKSTEP; i++) {
		p[i].session = session;
		p[i].session_len = session_len;
	}
	pl_handshake(p, 1, NULL, true); /* warm-up, and a check it resumes */
	size_t pl_tickets = pl_tls_ticket_count(p[0].conn[CLIENT]);
	pl_finish(&p[0], SERVER, false);
	pl_finish(&p[0], CLIENT, false);
	R.pl_res[0] = measure(work_pl_handshake, &pl_lock, LOCKSTEP);
	R.pl_res[1] = measure(work_pl_handshake, &pl_one, 1);
	printf("\n9. Resumed TLS 1.3 handshake with a ticket (issue 9), padlock "
	       "client <-> padlock server\n"
	       "   (psk_dhe_ke: x25519 again, no certificate; the session of "
	       "a first full handshake,\n   offered by every client; %zu "
	       "ticket(s) issued per handshake; %zu + %zu bytes on the wire)\n",
	       pl_tickets, p[0].sent[CLIENT], p[0].sent[SERVER]);
	print_handshakes(R.pl_res);
	printf("    full handshake with the same tickets, in lockstep: "
	       "server %.1f us, client %.1f us\n",
	       R.pl_full_tix.per_op[SERVER] * 1e6,
	       R.pl_full_tix.per_op[CLIENT] * 1e6);
	pl_cleanse(session, session_len);
	free(session);
	pl_tls_config_free(p[0].cfg[SERVER]);
	pl_tls_config_free(p[0].cfg[CLIENT]);

	SSL_SESSION *ssl_session = ssl_resume_pair(cr, &q[0]);
	for (int i = 1; i < LOCKSTEP; i++)
		q[i] = q[0];
	batch_t ssl_lock = { q, LOCKSTEP }, ssl_one = { q, 1 };
	R.ssl_full_tix = measure(work_ssl_handshake, &ssl_lock, LOCKSTEP);
	for (int i = 0; i < LOCKSTEP; i++)
		q[i].session = ssl_session;
	ssl_tickets_seen = 0;
	SSL_CTX_set_msg_callback(q[0].ctx[CLIENT], ssl_count_ticket);
	ssl_handshake(q, 1, NULL, false); /* warm-up, and a check */
	SSL_CTX_set_msg_callback(q[0].ctx[CLIENT], NULL);
	long ssl_tickets = ssl_tickets_seen;
	R.ssl_res[0] = measure(work_ssl_handshake, &ssl_lock, LOCKSTEP);
	R.ssl_res[1] = measure(work_ssl_handshake, &ssl_one, 1);
	R.have_res = true;
	printf("   the same resumed handshake through libssl (SSL_set_session "
	       "with the session of a\n   first full handshake; %ld ticket(s) "
	       "issued per resumed handshake, read by the client)\n",
	       ssl_tickets);
	print_handshakes(R.ssl_res);
	printf("    full handshake with the same tickets, in lockstep: "
	       "server %.1f us, client %.1f us\n",
	       R.ssl_full_tix.per_op[SERVER] * 1e6,
	       R.ssl_full_tix.per_op[CLIENT] * 1e6);
	SSL_SESSION_free(ssl_session);
	SSL_CTX_free(q[0].ctx[SERVER]);
	SSL_CTX_free(q[0].ctx[CLIENT]);
}

static void part_floor(const creds_t *cr)
{
	floor_t f;
	floor_init(&f, cr);
	double kex = measure(work_kex, &f, 1).per_op[0];
	double sign = measure(work_sign, &f, 1).per_op[0];
	double hash = measure(work_transcript, &f, 1).per_op[0];
	double ks = measure(work_key_schedule, &f, 1).per_op[0];
	double aead = measure(work_handshake_aead, &f, 1).per_op[0];
	double evp_kex = measure(work_evp_x25519, &f, 1).per_op[0];
	double evp_sign = measure(work_evp_sign, &f, 1).per_op[0];
	R.floor = kex + sign + hash + ks;
	R.have_floor = true;
	printf("\n3. Crypto floor of a server handshake "
	       "(padlock's crypto layer)\n");
	print_us("x25519 key pair + shared secret (pl_kex_new+derive)", kex);
	print_us("ECDSA P-256 signature, 130 bytes (pl_pkey_sign)", sign);
	print_us("transcript: SHA-256 of 1464 bytes, 5 digests (pl_hash)",
		 hash);
	print_us("key schedule: 19 HMAC-SHA256 (pl_hkdf_*, pl_hmac)", ks);
	print_us("floor (sum of the four above)", R.floor);
	printf("   shown beside it, not in the floor:\n");
	print_us("record protection: 4 AES-GCM keys, seal 1 KB, open 53 B",
		 aead);
	printf("   the same primitives straight on EVP, for reference:\n");
	print_us("x25519 keygen + derive (EVP_PKEY_keygen/derive)", evp_kex);
	print_us("ECDSA P-256 sign (EVP_Digest + EVP_PKEY_sign, ctx reused)",
		 evp_sign);
	pl_pkey_free(f.key);
}

/* ---- each key exchange group ---------------------------------------------- */

typedef struct {
	uint16_t group;
	uint8_t peer[PL_HYBRID_CLIENT_SHARE_LEN]; /* a client's share */
	size_t peer_len;
} group_work_t;

static void work_group_kex(void *arg, long n, double out[2])
{
	group_work_t *g = arg;
	TIMED_LOOP(out, n, server_kex(g->group, g->peer, g->peer_len));
}

/* Per group: the server's key exchange alone, then a whole padlock
 * handshake in that group (both sides offer only it). */
static void part_groups(const creds_t *cr)
{
	static const uint16_t groups[] = {
		PL_GROUP_X25519MLKEM768, PL_GROUP_X25519,    PL_GROUP_SECP256R1,
		PL_GROUP_SECP384R1,      PL_GROUP_SECP521R1, PL_GROUP_X448,
		PL_GROUP_FFDHE2048,      PL_GROUP_FFDHE3072, PL_GROUP_FFDHE4096,
	};
	double server_hs[2] = {0, 0}; /* X25519MLKEM768, x25519 */
	printf("\n6. Key exchange groups: the server's key exchange "
	       "(pl_kex_new+derive; X25519MLKEM768:\n"
	       "   pl_hybrid_server_respond), and a full padlock handshake "
	       "offering only that group\n"
	       "   (as in 1, one pair), with its bytes on the wire (client "
	       "+ server)\n");
	printf("    %-14s %6s %14s %16s %16s %12s\n", "group", "share",
	       "key exchange", "server/handshake", "client/handshake",
	       "wire bytes");
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		group_work_t g = { .group = groups[i] };
		if (groups[i] == PL_GROUP_X25519MLKEM768) {
			pl_hybrid_t *h = pl_hybrid_client_new();
			if (h == NULL ||
			    pl_hybrid_client_share(h, g.peer, sizeof(g.peer),
						   &g.peer_len) != PL_OK)
				die("a client key share failed");
			pl_hybrid_free(h);
		} else {
			pl_kex_t *client = pl_kex_new(groups[i]);
			if (client == NULL ||
			    pl_kex_public(client, g.peer, sizeof(g.peer),
					  &g.peer_len) != PL_OK)
				die("a client key share failed");
			pl_kex_free(client);
		}
		double kex = measure(work_group_kex, &g, 1).per_op[0];
		pl_pair_t p;
		pl_pair_init(&p, cr, PL_TLS_AES_128_GCM_SHA256);
		for (int side = 0; side < 2; side++)
			if (pl_tls_config_set_groups(p.cfg[side], &groups[i], 1))
				die("pl_tls_config_set_groups failed");
		pl_handshake(&p, 1, NULL, false);
		batch_t single = { &p, 1 };
		result_t hs = measure(work_pl_handshake, &single, 1);
		if (i < 2)
			server_hs[i] = hs.per_op[SERVER];
		printf("    %-14s %4zu B %11.1f us %13.1f us %13.1f us "
		       "%5zu + %4zu\n",
		       pl_tls_group_name(groups[i]), g.peer_len, kex * 1e6,
		       hs.per_op[SERVER] * 1e6, hs.per_op[CLIENT] * 1e6,
		       p.sent[CLIENT], p.sent[SERVER]);
		fflush(stdout);
		pl_tls_config_free(p.cfg[SERVER]);
		pl_tls_config_free(p.cfg[CLIENT]);
	}
	printf("    X25519MLKEM768 / x25519 server handshake: %.2fx "
	       "(issue 13 asks <= 1.25x)\n", server_hs[0] / server_hs[1]);
}

static void part_bulk(const creds_t *cr)
{
	static const struct { uint16_t suite; const char *evp, *name; } s[] = {
		{ PL_TLS_AES_128_GCM_SHA256, "AES-128-GCM", "AES-128-GCM" },
		{ PL_TLS_CHACHA20_POLY1305_SHA256, "ChaCha20-Poly1305",
		  "ChaCha20-Poly1305" },
	};
	printf("\n4. Bulk: 16 KiB application records, MB/s (10^6 bytes of "
	       "application data)\n"
	       "    %-18s %10s %10s %10s   %10s %10s\n", "", "seal", "open",
	       "seal+open", "EVP seal", "EVP s+o");
	memset(bulk_in, 0xab, sizeof(bulk_in));
	for (int i = 0; i < 2; i++) {
		bulk_pl_t b;
		bulk_evp_t *e = calloc(1, sizeof(*e));
		pl_pair_init(&b.seal_only, cr, s[i].suite);
		b.both = b.seal_only;
		pl_handshake(&b.seal_only, 1, NULL, true);
		pl_handshake(&b.both, 1, NULL, true);
		result_t pl = measure(work_pl_bulk, &b, 1);
		bulk_evp_init(e, s[i].evp);
		result_t evp = measure(work_evp_bulk, e, 1);
		R.bulk_pl[i] = pl.per_op[1];
		R.bulk_evp[i] = evp.per_op[1];
		printf("    %-18s %10.0f %10.0f %10.0f   %10.0f %10.0f\n",
		       s[i].name, mbps(pl.per_op[0]),
		       mbps(pl.per_op[1] - pl.per_op[0]), mbps(pl.per_op[1]),
		       mbps(evp.per_op[0]), mbps(evp.per_op[1]));
		for (int side = 0; side < 2; side++) {
			pl_tls_conn_free(b.seal_only.conn[side]);
			pl_tls_conn_free(b.both.conn[side]);
			pl_tls_config_free(b.seal_only.cfg[side]);
		}
		EVP_CIPHER_CTX_free(e->enc);
		EVP_CIPHER_CTX_free(e->dec);
		free(e);
	}
	R.have_bulk = true;
	printf("    (open = seal+open minus seal; EVP open decrypts into a "
	       "buffer and copies out,\n     as pl_tls_read hands data to "
	       "its caller)\n");
}

/* ---- ML-KEM-768 and X25519MLKEM768 (issue 13, section 4) ---- */

typedef struct {
	pl_mlkem_t *key;
	uint8_t ek[PL_MLKEM768_EK_LEN], ct[PL_MLKEM768_CT_LEN];
	uint8_t client_share[PL_HYBRID_CLIENT_SHARE_LEN];
	uint8_t server_share[PL_HYBRID_SERVER_SHARE_LEN];
} mlkem_bench_t;

static void work_mlkem_keygen(void *arg, long n, double out[2])
{
	TIMED_LOOP(out, n, {
		pl_mlkem_t *k = pl_mlkem768_new();
		if (k == NULL)
			die("ML-KEM key generation failed");
		pl_mlkem_free(k);
	});
}

static void work_mlkem_encaps(void *arg, long n, double out[2])
{
	mlkem_bench_t *b = arg;
	uint8_t ct[PL_MLKEM768_CT_LEN], ss[PL_MLKEM_SS_LEN];
	TIMED_LOOP(out, n, {
		if (pl_mlkem768_encaps(b->ek, sizeof(b->ek), ct, ss) != PL_OK)
			die("ML-KEM encapsulation failed");
	});
}

static void work_mlkem_decaps(void *arg, long n, double out[2])
{
	mlkem_bench_t *b = arg;
	uint8_t ss[PL_MLKEM_SS_LEN];
	TIMED_LOOP(out, n, {
		if (pl_mlkem768_decaps(b->key, b->ct, sizeof(b->ct), ss) != PL_OK)
			die("ML-KEM decapsulation failed");
	});
}

/* The server's whole key exchange: checks, encapsulation, X25519. */
static void work_hybrid_server(void *arg, long n, double out[2])
{
	mlkem_bench_t *b = arg;
	uint8_t share[PL_HYBRID_SERVER_SHARE_LEN], secret[PL_HYBRID_SECRET_LEN];
	size_t share_len, secret_len;
	TIMED_LOOP(out, n, {
		if (pl_hybrid_server_respond(b->client_share,
					     sizeof(b->client_share), share,
					     sizeof(share), &share_len, secret,
					     sizeof(secret), &secret_len) != PL_OK)
			die("X25519MLKEM768 server failed");
	});
}

/* The client's: both key pairs, its share, then the secret. */
static void work_hybrid_client(void *arg, long n, double out[2])
{
	mlkem_bench_t *b = arg;
	uint8_t share[PL_HYBRID_CLIENT_SHARE_LEN], secret[PL_HYBRID_SECRET_LEN];
	size_t share_len, secret_len;
	TIMED_LOOP(out, n, {
		pl_hybrid_t *h = pl_hybrid_client_new();
		if (h == NULL ||
		    pl_hybrid_client_share(h, share, sizeof(share),
					   &share_len) != PL_OK ||
		    pl_hybrid_client_finish(h, b->server_share,
					    sizeof(b->server_share), secret,
					    sizeof(secret), &secret_len) != PL_OK)
			die("X25519MLKEM768 client failed");
		pl_hybrid_free(h);
	});
}

static void part_mlkem(const creds_t *cr)
{
	mlkem_bench_t b;
	floor_t f;
	pl_hybrid_t *client = pl_hybrid_client_new();
	uint8_t ss[PL_MLKEM_SS_LEN], secret[PL_HYBRID_SECRET_LEN];
	size_t len;

	b.key = pl_mlkem768_new();
	if (b.key == NULL || client == NULL ||
	    pl_mlkem768_public(b.key, b.ek, sizeof(b.ek), &len) != PL_OK ||
	    pl_mlkem768_encaps(b.ek, len, b.ct, ss) != PL_OK ||
	    pl_hybrid_client_share(client, b.client_share,
				   sizeof(b.client_share), &len) != PL_OK ||
	    pl_hybrid_server_respond(b.client_share, len, b.server_share,
				     sizeof(b.server_share), &len, secret,
				     sizeof(secret), &len) != PL_OK)
		die("ML-KEM set-up failed");
	floor_init(&f, cr);
	double keygen = measure(work_mlkem_keygen, &b, 1).per_op[0];
	double encaps = measure(work_mlkem_encaps, &b, 1).per_op[0];
	double decaps = measure(work_mlkem_decaps, &b, 1).per_op[0];
	double server = measure(work_hybrid_server, &b, 1).per_op[0];
	double client_cost = measure(work_hybrid_client, &b, 1).per_op[0];
	double x25519 = measure(work_kex, &f, 1).per_op[0];
	printf("\n7. ML-KEM-768 (FIPS 203, padlock's own) and X25519MLKEM768 "
	       "(RFC 10024)\n");
	print_us("ML-KEM-768 key generation (pl_mlkem768_new)", keygen);
	print_us("ML-KEM-768 encapsulation, ek check included", encaps);
	print_us("ML-KEM-768 decapsulation", decaps);
	print_us("X25519MLKEM768 server: check, encapsulate, x25519", server);
	print_us("X25519MLKEM768 client: both key pairs, decapsulate, x25519",
		 client_cost);
	print_us("x25519 alone, either side (pl_kex_new+derive)", x25519);
	printf("    key_share bytes: client %d (x25519: 32), server %d "
	       "(x25519: 32)\n", PL_HYBRID_CLIENT_SHARE_LEN,
	       PL_HYBRID_SERVER_SHARE_LEN);
	pl_pkey_free(f.key);
	pl_mlkem_free(b.key);
	pl_hybrid_free(client);
}

static void heap_reset(void)
{
	memset(heap.bytes, 0, sizeof(heap.bytes));
	memset(heap.blocks, 0, sizeof(heap.blocks));
	heap.side = HARNESS;
}

static void print_heap(int side)
{
	long own = heap.bytes[side][FROM_PADLOCK];
	long lib = heap.bytes[side][FROM_LIBCRYPTO];
	printf("    %-7s %6ld bytes = %5ld in %ld blocks by libpadlock + %5ld "
	       "in %ld blocks by libcrypto\n", side_name[side], own + lib, own,
	       heap.blocks[side][FROM_PADLOCK], lib,
	       heap.blocks[side][FROM_LIBCRYPTO]);
}

/* A pair of suite handshaken with the heap counted, then shrunk: what
 * an idle connection holds is in heap.bytes. */
static void idle_pair(const creds_t *cr, uint16_t suite, pl_pair_t *p)
{
	pl_pair_init(p, cr, suite);
	pl_handshake(p, 1, NULL, false); /* first-use allocations out of the way */
	heap_reset();
	heap.on = true;
	pl_handshake(p, 1, NULL, true);
	for (int s = 0; s < 2; s++) {
		side_begin(NULL, s);
		pl_tls_conn_shrink(p->conn[s]);
		side_end(NULL, s);
	}
	heap.on = false;
}

static void part_memory(const creds_t *cr)
{
	pl_pair_t p;
	idle_pair(cr, PL_TLS_AES_128_GCM_SHA256, &p);
	printf("\n5. Heap held by an idle connection: after its handshake "
	       "and pl_tls_conn_shrink\n");
	printf("    pl_tls_conn_memory: server %zu bytes, client %zu bytes\n",
	       pl_tls_conn_memory(p.conn[SERVER]),
	       pl_tls_conn_memory(p.conn[CLIENT]));
	printf("    counted (live bytes allocated in that side's calls, at "
	       "malloc_usable_size):\n");
	print_heap(SERVER);
	print_heap(CLIENT);
	for (int s = 0; s < 2; s++)
		R.idle[s] = heap.bytes[s][FROM_PADLOCK] +
			    heap.bytes[s][FROM_LIBCRYPTO];
	R.have_idle = true;
	heap.on = true;
	for (int s = 0; s < 2; s++) {
		side_begin(NULL, s);
		pl_tls_conn_free(p.conn[s]);
		side_end(NULL, s);
	}
	heap.on = false;
	printf("    (after pl_tls_conn_free the counts are back at %ld and %ld "
	       "bytes)\n", heap.bytes[SERVER][0] + heap.bytes[SERVER][1],
	       heap.bytes[CLIENT][0] + heap.bytes[CLIENT][1]);
	for (int s = 0; s < 2; s++)
		pl_tls_config_free(p.cfg[s]);

	/* libssl, for comparison: SSL_free_buffers is its shrink. */
	ssl_pair_t q;
	memset(&q, 0, sizeof(q));
	q.ctx[SERVER] = ssl_config(cr, true);
	q.ctx[CLIENT] = ssl_config(cr, false);
	ssl_handshake(&q, 1, NULL, false);
	heap_reset();
	heap.on = true;
	ssl_handshake(&q, 1, NULL, true);
	for (int s = 0; s < 2; s++) {
		side_begin(NULL, s);
		(void)SSL_free_buffers(q.ssl[s]);
		side_end(NULL, s);
	}
	heap.on = false;
	printf("    libssl, same accounting (after SSL_free_buffers; BIO pair "
	       "not counted):\n");
	for (int s = 0; s < 2; s++)
		printf("    %-7s %6ld bytes in %ld blocks\n", side_name[s],
		       heap.bytes[s][FROM_LIBCRYPTO] + heap.bytes[s][FROM_PADLOCK],
		       heap.blocks[s][FROM_LIBCRYPTO] +
			       heap.blocks[s][FROM_PADLOCK]);
	for (int s = 0; s < 2; s++) {
		SSL_free(q.ssl[s]);
		SSL_CTX_free(q.ctx[s]);
	}
}

/* One ratio line: name, value, goal (or none), and a note. */
static void ratio_line(const char *name, double value, const char *goal,
		       int met, const char *note)
{
	char line[160];
	size_t n = (size_t)snprintf(line, sizeof(line),
				    "    %-40s %7.3f  %-13s %-8s %s", name,
				    value, goal, met < 0 ? "" : verdict(met),
				    note);
	while (n > 0 && n < sizeof(line) && line[n - 1] == ' ')
		line[--n] = '\0';
	puts(line);
}

/* padlock's handshakes against libssl's, server (goal <= 0.6) then
 * client: in lockstep, one at a time in the note. */
static void handshake_ratios(const result_t pl[2], const result_t ssl[2],
			     const char *server_line, const char *client_line)
{
	char note[64];
	for (int s = SERVER; s <= CLIENT; s++) {
		double r = pl[0].per_op[s] / ssl[0].per_op[s];
		snprintf(note, sizeof(note), "(one at a time: %.3f)",
			 pl[1].per_op[s] / ssl[1].per_op[s]);
		ratio_line(s == SERVER ? server_line : client_line, r,
			   s == SERVER ? "goal <= 0.60" : "no goal",
			   s == SERVER ? r <= 0.6 : -1, note);
	}
}

static void print_ratios(void)
{
	char note[64];

	printf("\nRatios against the goals (issue 2, section 6; resumed: "
	       "issue 9), all from this run\n");
	if (R.have_hs && R.have_floor) {
		double r = R.pl_hs[0].per_op[SERVER] / R.floor;
		snprintf(note, sizeof(note), "(one at a time: %.3f)",
			 R.pl_hs[1].per_op[SERVER] / R.floor);
		ratio_line("server handshake / crypto floor", r,
			   "goal <= 1.15", r <= 1.15, note);
	}
	if (R.have_hs && R.have_ssl)
		handshake_ratios(R.pl_hs, R.ssl_hs,
				 "padlock server / libssl server",
				 "padlock client / libssl client");
	if (R.have_12)
		handshake_ratios(R.pl_hs12, R.ssl_hs12,
				 "TLS 1.2 padlock server / libssl",
				 "TLS 1.2 padlock client / libssl");
	if (R.have_res) {
		handshake_ratios(R.pl_res, R.ssl_res,
				 "resumed: padlock server / libssl",
				 "resumed: padlock client / libssl");
		snprintf(note, sizeof(note), "(libssl: %.2f)",
			 R.ssl_full_tix.per_op[SERVER] /
				 R.ssl_res[0].per_op[SERVER]);
		ratio_line("padlock server full / resumed",
			   R.pl_full_tix.per_op[SERVER] /
				   R.pl_res[0].per_op[SERVER],
			   "no goal", -1, note);
	}
	if (R.have_bulk) {
		const char *names[2] = { "seal+open / bare EVP, AES-128-GCM",
					 "seal+open / bare EVP, ChaCha20" };
		for (int i = 0; i < 2; i++) {
			double r = R.bulk_evp[i] / R.bulk_pl[i];
			ratio_line(names[i], r, "goal >= 0.90", r >= 0.9, "");
		}
	}
	if (R.have_idle)
		for (int s = 0; s < 2; s++)
			printf("    idle %s connection, counted heap %7ld B  "
			       "goal <= 4096  %s\n", side_name[s], R.idle[s],
			       verdict(R.idle[s] <= 4096));
	if (R.have_12)
		for (int s = 0; s < 2; s++)
			printf("    idle TLS 1.2 %s, counted heap %7ld B  "
			       "goal <= 4096  %s\n", side_name[s], R.idle12[s],
			       verdict(R.idle12[s] <= 4096));
}

static bool want(const char *only, const char *part)
{
	return only == NULL || strcmp(only, part) == 0;
}

int main(int argc, char **argv)
{
	/* Before libcrypto allocates anything, or it refuses the hooks. */
	if (CRYPTO_set_mem_functions(crypto_malloc, crypto_realloc,
				     crypto_free) != 1)
		die("CRYPTO_set_mem_functions refused the counting hooks");
	const char *only = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
			run_seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
			run_count = atoi(argv[++i]);
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else {
			fprintf(stderr, "usage: %s [-t SECONDS] [-r RUNS] "
				"[--only handshake|libssl|floor|bulk|memory|"
				"groups|mlkem|tls12|resume]\n",
				argv[0]);
			return 2;
		}
	}
	if (run_seconds <= 0 || run_count < 1)
		die("-t and -r must be positive");

	char pin[96], cpu[128];
	pin_to_one_core(pin, sizeof(pin));
	cpu_model(cpu, sizeof(cpu));
	heap.side = HARNESS;
	if (pl_crypto_init() != PL_OK)
		die("pl_crypto_init failed");
	clock_reading = clock_cost();
	creds_t cr;
	creds_make(&cr);

	printf("padlock bench/handshake: one process, in memory, CPU time "
	       "(CLOCK_THREAD_CPUTIME_ID)\n"
	       "    %s; %s; AES instructions: %s\n"
	       "    %s\n"
	       "    best of %d runs of ~%.2f s each; a clock reading costs "
	       "%.0f ns, taken off each timed interval\n"
	       "    A shared 2-core VM where others build and test: numbers "
	       "move by 10%% or more between runs.\n",
	       cpu, pin, pl_crypto_has_aes_hw() ? "yes" : "no",
	       OpenSSL_version(OPENSSL_VERSION), run_count, run_seconds,
	       clock_reading * 1e9);
	fflush(stdout);
	if (want(only, "handshake"))
		part_handshake(&cr);
	if (want(only, "libssl"))
		part_libssl(&cr);
	if (want(only, "floor"))
		part_floor(&cr);
	fflush(stdout);
	if (want(only, "bulk"))
		part_bulk(&cr);
	if (want(only, "memory"))
		part_memory(&cr);
	if (want(only, "groups"))
		part_groups(&cr);
	if (want(only, "mlkem"))
		part_mlkem(&cr);
	if (want(only, "tls12"))
		part_tls12(&cr);
	if (want(only, "resume"))
		part_resume(&cr);
	print_ratios();
	creds_free(&cr);
	return 0;
}
