/*
 * padlock check: the run (steps 1 to 7 in order, within a time bound), the
 * findings list, and the names of steps, levels and grades. Each step lives
 * in its own file: check_net.c (name, port), check_protocols.c and
 * check_suites.c (probes), check_engine.c (the real handshake),
 * check_cert.c, check_http.c, check_grade.c; check_json.c writes the JSON.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/check_internal.h"
#include "client/client_internal.h"
#include "padlock/crypto.h"

#define DEFAULT_PORT 443
#define DEFAULT_HTTP_PORT 80
#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_MAX_TIME_MS 120000
#define SYSTEM_CA_DIR "/etc/ssl/certs"

/* ---- names ------------------------------------------------------------------ */

static const char *const step_keys[PL_CHECK_STEP_COUNT] = {
	"name", "port", "protocols", "suites", "certificate", "http", "grade",
};

static const char *const step_titles[PL_CHECK_STEP_COUNT] = {
	"Name", "Port", "Protocols", "Cipher suites and groups", "Certificate",
	"HTTP redirect and HSTS", "Grade",
};

const char *pl_check_step_key(pl_check_step_t step)
{
	return (unsigned)step < PL_CHECK_STEP_COUNT ? step_keys[step] : "?";
}

const char *pl_check_step_title(pl_check_step_t step)
{
	return (unsigned)step < PL_CHECK_STEP_COUNT ? step_titles[step] : "?";
}

const char *pl_check_level_name(pl_check_level_t level)
{
	switch (level) {
	case PL_CHECK_OK: return "ok";
	case PL_CHECK_INFO: return "info";
	case PL_CHECK_WARNING: return "warning";
	case PL_CHECK_FAILURE: return "failure";
	}
	return "?";
}

const char *pl_check_answer_name(pl_check_answer_t a)
{
	switch (a) {
	case PL_CHECK_NOT_TESTED: return "not tested";
	case PL_CHECK_YES: return "yes";
	case PL_CHECK_NO: return "no";
	case PL_CHECK_UNCLEAR: return "unclear";
	}
	return "?";
}

const char *pl_check_port_name(pl_check_port_t p)
{
	switch (p) {
	case PL_CHECK_PORT_NOT_TESTED: return "not tested";
	case PL_CHECK_PORT_OPEN: return "open";
	case PL_CHECK_PORT_REFUSED: return "refused";
	case PL_CHECK_PORT_FILTERED: return "filtered";
	case PL_CHECK_PORT_UNREACHABLE: return "unreachable";
	case PL_CHECK_PORT_ERROR: return "error";
	}
	return "?";
}

/* ---- grades ------------------------------------------------------------------ */

static const char *const grade_order[] = {
	"A+", "A", "A-", "B", "C", "D", "E", "F", "T",
};

#define GRADE_COUNT (sizeof grade_order / sizeof grade_order[0])

/* 0 for A+ up to 8 for T; -1 when unknown. */
static int grade_rank(const char *grade)
{
	if (grade == NULL)
		return -1;
	for (size_t i = 0; i < GRADE_COUNT; i++)
		if (strcmp(grade_order[i], grade) == 0)
			return (int)i;
	return -1;
}

bool pl_check_grade_valid(const char *grade)
{
	return grade_rank(grade) >= 0;
}

bool pl_check_grade_at_least(const char *grade, const char *min)
{
	int g = grade_rank(grade), m = grade_rank(min);

	return g >= 0 && m >= 0 && g <= m;
}

size_t pl_check_count(const pl_check_result_t *r, pl_check_level_t level)
{
	size_t n = 0;

	for (size_t i = 0; i < r->finding_count; i++)
		if (r->findings[i].level == level)
			n++;
	return n;
}

/* ---- findings and progress ------------------------------------------------- */

static char *vformat(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

static bool grow_findings(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	size_t cap = run->findings_cap == 0 ? 32 : run->findings_cap * 2;
	pl_check_finding_t *f;

	if (r->finding_count < run->findings_cap)
		return true;
	f = realloc(r->findings, cap * sizeof *f);
	if (f == NULL)
		return false;
	r->findings = f;
	run->findings_cap = cap;
	return true;
}

void check_add(struct check_run *run, pl_check_step_t step,
	       pl_check_level_t level, const char *code, int cert,
	       const char *fix, const char *fmt, ...)
{
	pl_check_finding_t *f;
	char *message, *code_copy, *fix_copy;
	va_list ap;

	va_start(ap, fmt);
	message = vformat(fmt, ap);
	va_end(ap);
	code_copy = strdup(code);
	fix_copy = strdup(fix != NULL ? fix : "");
	if (message == NULL || code_copy == NULL || fix_copy == NULL ||
	    !grow_findings(run)) {
		free(message);
		free(code_copy);
		free(fix_copy);
		run->nomem = true;
		return;
	}
	f = &run->r->findings[run->r->finding_count++];
	f->step = step;
	f->level = level;
	f->code = code_copy;
	f->message = message;
	f->fix = fix_copy;
	f->cert = cert;
}

void check_progress(struct check_run *run, pl_check_step_t step,
		    const char *fmt, ...)
{
	char text[256];
	va_list ap;

	if (run->opt.progress == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	run->opt.progress(run->opt.progress_arg, step, text);
}

int check_timeout(struct check_run *run)
{
	long long left = run->deadline - pl_client_now_ms();

	if (left <= 0) {
		run->out_of_time = true;
		return 0;
	}
	return left < run->opt.timeout_ms ? (int)left : run->opt.timeout_ms;
}

/* ---- probes at once --------------------------------------------------------- */

struct probe_job {
	const char *ip;
	uint16_t port;
	const pl_probe_offer_t *offer;
	int timeout_ms;
	pl_probe_result_t *res;
	int rc;
	pthread_t thread;
	bool started;
};

static void *probe_job_run(void *arg)
{
	struct probe_job *j = arg;

	j->rc = pl_probe_hello(j->ip, j->port, j->offer, j->timeout_ms, j->res);
	return NULL;
}

bool check_probe_batch(struct check_run *run, const pl_probe_offer_t *offers,
		       pl_probe_result_t *res, size_t n)
{
	struct probe_job *jobs = calloc(n, sizeof *jobs);
	int timeout = check_timeout(run);
	bool ok = true;

	memset(res, 0, n * sizeof *res);
	if (jobs == NULL || timeout == 0) {
		run->nomem = run->nomem || jobs == NULL;
		free(jobs);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		jobs[i] = (struct probe_job){ .ip = run->r->tested_ip,
					      .port = run->r->port,
					      .offer = &offers[i],
					      .timeout_ms = timeout,
					      .res = &res[i] };
		/* Without a thread, the probe runs here: slower, not wrong. */
		jobs[i].started = pthread_create(&jobs[i].thread, NULL,
						 probe_job_run, &jobs[i]) == 0;
		if (!jobs[i].started)
			probe_job_run(&jobs[i]);
	}
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].started)
			pthread_join(jobs[i].thread, NULL);
		ok = ok && jobs[i].rc == PL_OK;
	}
	free(jobs);
	if (!ok) {
		for (size_t i = 0; i < n; i++)
			pl_probe_result_free(&res[i]);
		run->nomem = true;
	}
	return ok;
}

const char *check_skip_reason(const struct check_run *run)
{
	if (run->silent)
		return "the server answered no ClientHello";
	if (run->out_of_time)
		return "the run's time ran out first";
	return "the server accepted no version of TLS";
}

bool check_is_ipv6(const char *ip)
{
	return strchr(ip, ':') != NULL;
}

void check_format_address(const char *ip, uint16_t port, char *out,
			  size_t cap)
{
	if (check_is_ipv6(ip))
		snprintf(out, cap, "[%s]:%u", ip, (unsigned)port);
	else
		snprintf(out, cap, "%s:%u", ip, (unsigned)port);
}

/* ---- the run --------------------------------------------------------------- */

static bool is_ip_literal(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int fill_options(struct check_run *run, const pl_check_opts_t *opts,
			char *err, size_t err_len)
{
	pl_check_opts_t *o = &run->opt;

	if (opts == NULL || opts->host == NULL || opts->host[0] == '\0')
		return pl_client_fail(err, err_len, PL_ERR_ARG,
				      "no host to check");
	if (strlen(opts->host) >= sizeof run->r->host)
		return pl_client_fail(err, err_len, PL_ERR_ARG,
				      "the host name is too long");
	if (opts->ip != NULL && !is_ip_literal(opts->ip))
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"--ip wants an IPv4 or IPv6 address, not '%s'", opts->ip);
	if (opts->sni != NULL &&
	    (opts->sni[0] == '\0' || strlen(opts->sni) >= sizeof run->r->sni))
		return pl_client_fail(err, err_len, PL_ERR_ARG,
				      "--sni wants a host name");
	*o = *opts;
	if (o->port == 0)
		o->port = DEFAULT_PORT;
	if (o->http_port == 0)
		o->http_port = DEFAULT_HTTP_PORT;
	if (o->timeout_ms <= 0)
		o->timeout_ms = DEFAULT_TIMEOUT_MS;
	if (o->max_time_ms <= 0)
		o->max_time_ms = DEFAULT_MAX_TIME_MS;
	if (o->path == NULL || o->path[0] != '/')
		o->path = "/";
	if (o->now == 0)
		o->now = time(NULL);
	return PL_OK;
}

/* The name sent as SNI and checked against the certificate: --sni, else a
 * host that is a name. An IP literal is verified but never sent (RFC 6066
 * 3: "Literal IPv4 and IPv6 addresses are not permitted"). */
static void choose_names(struct check_run *run)
{
	pl_check_result_t *r = run->r;

	snprintf(r->host, sizeof r->host, "%s", run->opt.host);
	if (run->opt.sni != NULL)
		snprintf(r->sni, sizeof r->sni, "%s", run->opt.sni);
	else if (!is_ip_literal(run->opt.host))
		snprintf(r->sni, sizeof r->sni, "%s", run->opt.host);
	run->verify_name = r->sni[0] != '\0' ? r->sni : r->host;
	r->port = run->opt.port;
	r->http_port = run->opt.http_port;
	snprintf(r->path, sizeof r->path, "%s", run->opt.path);
	r->started = time(NULL);
	r->hsts_max_age = -1;
}

static int load_store(struct check_run *run, char *err, size_t err_len)
{
	char why[PL_CLIENT_ERR_MAX] = "";
	const char *dir = NULL;

	/* With --ca-file, its CAs are trusted besides the system's (as an
	 * internal client is configured): the store is then the file plus
	 * the system's hashed directory. Without, the system store alone. */
	if (run->opt.ca_file != NULL) {
		dir = getenv("SSL_CERT_DIR");
		if (dir == NULL || access(dir, R_OK | X_OK) != 0)
			dir = access(SYSTEM_CA_DIR, R_OK | X_OK) == 0
				      ? SYSTEM_CA_DIR : NULL;
	}
	run->store = pl_x509_store_new(run->opt.ca_file, dir, why, sizeof why);
	if (run->store == NULL)
		return pl_client_fail(err, err_len, PL_ERR_ARG, "%s",
				      why[0] != '\0' ? why
						     : "cannot load the trust store");
	if (run->opt.max_chain_depth != 0 &&
	    pl_x509_store_set_max_depth(run->store,
					run->opt.max_chain_depth) != PL_OK)
		return pl_client_fail(err, err_len, PL_ERR_ARG,
				      "--max-chain-depth is out of range");
	for (size_t i = 0; i < run->opt.crl_count; i++)
		if (pl_x509_store_add_crl_file(run->store, run->opt.crl_files[i],
					       why, sizeof why) != PL_OK)
			return pl_client_fail(err, err_len, PL_ERR_ARG, "%s", why);
	return PL_OK;
}

void check_free_legacy_certs(struct check_run *run)
{
	for (size_t i = 0; i < run->legacy_cert_count; i++)
		free(run->legacy_certs[i]);
	free(run->legacy_certs);
	free(run->legacy_cert_lens);
	run->legacy_certs = NULL;
	run->legacy_cert_lens = NULL;
	run->legacy_cert_count = 0;
	run->legacy_cert_version = 0;
}

static void run_steps(struct check_run *run)
{
	check_step_name(run);
	check_step_port(run);
	if (run->r->reachable) {
		check_step_protocols(run);
		check_step_suites(run);
		check_step_certificate(run);
		check_step_http(run);
	}
	if (run->out_of_time) {
		run->r->complete = false;
		check_add(run, PL_CHECK_STEP_GRADE, PL_CHECK_WARNING,
			  "run.incomplete", -1,
			  "give the run more time (--max-time) or each probe "
			  "less (--timeout)",
			  "the run's time (%g s) ran out; what was not checked "
			  "is marked so", run->opt.max_time_ms / 1000.0);
	}
	check_step_grade(run);
}

int pl_check_run(const pl_check_opts_t *opts, pl_check_result_t **out,
		 char *err, size_t err_len)
{
	struct check_run run;
	long long start = pl_client_now_ms();
	int rc;

	if (out == NULL)
		return pl_client_fail(err, err_len, PL_ERR_ARG,
				      "check: invalid arguments");
	*out = NULL;
	memset(&run, 0, sizeof run);
	run.r = calloc(1, sizeof *run.r);
	if (run.r == NULL)
		return pl_client_fail(err, err_len, PL_ERR_NOMEM, "out of memory");
	rc = fill_options(&run, opts, err, err_len);
	if (rc == PL_OK)
		rc = load_store(&run, err, err_len);
	if (rc != PL_OK)
		goto out;
	choose_names(&run);
	run.r->complete = true;
	run.deadline = start + run.opt.max_time_ms;
	run_steps(&run);
	run.r->duration_ms = pl_client_now_ms() - start;
	if (run.nomem) {
		rc = pl_client_fail(err, err_len, PL_ERR_NOMEM, "out of memory");
		goto out;
	}
	*out = run.r;
	run.r = NULL;
out:
	check_free_legacy_certs(&run);
	if (run.session13 != NULL) {
		pl_cleanse(run.session13, run.session13_len);
		free(run.session13);
	}
	pl_x509_chain_free(run.engine_chain);
	pl_x509_store_free(run.store);
	pl_check_result_free(run.r);
	return rc;
}

void pl_check_result_free(pl_check_result_t *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->finding_count; i++) {
		free((char *)r->findings[i].code);
		free((char *)r->findings[i].message);
		free((char *)r->findings[i].fix);
	}
	free(r->findings);
	free(r->addresses);
	free(r->chain);
	free(r);
}
