/*
 * The ACME process: forked by the master before its workers, it holds the
 * account key and nothing else of the server's. For each ACME site it
 * keeps a certificate: obtained when there is none, renewed once
 * --acme-renew-at of its lifetime has passed, retried with exponential
 * backoff when the CA fails (warnings, then errors in the last 7 days).
 * A new certificate is written to the state directory and the master
 * told (SIGHUP): the reload path checks it with the certificate
 * diagnostics and swaps it in without dropping a connection.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "server/acme/acme.h"
#include "server/server_int.h"

#define RETRY_FIRST_S 15
#define RETRY_MAX_S 3600
#define URGENT_S (7 * 86400)
#define JITTER_MAX_S (12 * 3600)

typedef struct {
	const pl_srv_site_t *site;
	const char *names[PL_SRV_MAX_NAMES];
	size_t n_names;
	char chain[PATH_MAX + 64], key[PATH_MAX + 64];
	time_t next;        /* when to look again */
	time_t expires;     /* of what is stored, 0: nothing */
	unsigned failures;
	unsigned jitter;    /* 0..65535: this site's share of the jitter */
} acme_site_t;

typedef struct {
	const pl_srv_options_t *o;
	pl_acme_transport_t t;
	pl_acme_http_t http;
	pl_pkey_t *account;
	pl_acme_challenge_t prefer[2];
	size_t n_prefer;
	acme_site_t sites[PL_SRV_MAX_SITES];
	size_t n_sites;
} acme_t;

static pid_t acme_pid;

pid_t pl_srv_acme_pid(void)
{
	return acme_pid;
}

static int publish(void *arg, pl_acme_challenge_t type, const char *name,
		   const char *token, const char *keyauth, char *err,
		   size_t err_len)
{
	return pl_acme_board_publish(type, name, token, keyauth, err, err_len);
}

static void withdraw(void *arg, pl_acme_challenge_t type, const char *name,
		     const char *token)
{
	pl_acme_board_withdraw(type, name, token);
}

static void date(time_t t, char *out, size_t cap)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%d %H:%M UTC", &tm);
}

/* One status line per certificate: names, issuer, expiry, renewal. */
static void say_status(const acme_site_t *a, const pl_acme_stored_t *have)
{
	char expires[32], renew[32];

	date(have->leaf.not_after, expires, sizeof expires);
	date(have->renew_at, renew, sizeof renew);
	pl_srv_log(PL_SRV_LOG_INFO,
		   "acme: site %s: certificate for %s from %s, expires %s, "
		   "renewal from %s", a->site->names[0], have->leaf.names,
		   have->issuer.subject[0] ? have->issuer.subject
					   : have->leaf.issuer,
		   expires, renew);
}

/* Looks at what is stored: when it needs renewing, a.next is now. */
static void look(acme_t *m, acme_site_t *a, time_t now, bool say)
{
	pl_acme_stored_t have;
	time_t span, renew_at;

	if (pl_acme_stored(a->chain, a->key, a->names, a->n_names,
			   (int)m->o->acme.renew_percent, now, &have) != PL_OK) {
		a->expires = 0;
		a->next = now;
		return;
	}
	a->expires = have.leaf.not_after;
	if (say)
		say_status(a, &have);
	/* jitter: up to 2% of the time to renewal, at most 12 hours, so that
	 * a fleet started together does not renew together */
	span = (have.renew_at - have.leaf.not_before) / 50;
	if (span > JITTER_MAX_S)
		span = JITTER_MAX_S;
	renew_at = have.renew_at + (time_t)((long long)span * a->jitter / 65536);
	if (renew_at > a->next)
		a->next = renew_at;
}

static void failed(acme_t *m, acme_site_t *a, time_t now, long retry_after,
		   const char *why)
{
	long wait = RETRY_FIRST_S << (a->failures < 8 ? a->failures : 8);
	bool urgent = a->expires == 0 || a->expires - now < URGENT_S;
	char at[32];

	if (wait > RETRY_MAX_S)
		wait = RETRY_MAX_S;
	if (retry_after > wait)
		wait = retry_after;
	a->failures++;
	a->next = now + wait;
	date(a->next, at, sizeof at);
	pl_srv_log(urgent ? PL_SRV_LOG_ERROR : PL_SRV_LOG_WARN,
		   "acme: site %s: %s (next try at %s)", a->site->names[0], why,
		   at);
}

static void order(acme_t *m, acme_site_t *a, time_t now)
{
	const pl_srv_acme_options_t *ao = &m->o->acme;
	pl_acme_order_opts_t opts = {
		.directory = pl_srv_acme_ca(m->o), .email = ao->email,
		.agree_tos = ao->agree_tos, .eab_kid = ao->eab_kid,
		.eab_hmac_key = ao->eab_hmac_key, .names = a->names,
		.n_names = a->n_names, .n_prefer = m->n_prefer,
		.timeout_ms = ao->timeout_ms,
	};
	pl_acme_responder_t r = { publish, withdraw, NULL };
	pl_acme_result_t res;
	char err[PL_ACME_ERR_MAX];
	int rc;

	memcpy(opts.prefer, m->prefer, sizeof opts.prefer);
	pl_srv_log(PL_SRV_LOG_INFO, "acme: site %s: ordering a certificate "
		   "from %s", a->site->names[0], pl_srv_acme_ca(m->o));
	rc = pl_acme_obtain(&m->t, &r, &opts, m->account, &res, err, sizeof err);
	if (rc != PL_OK) {
		failed(m, a, now, res.retry_after, err);
		pl_acme_result_free(&res);
		return;
	}
	if (err[0] != '\0')
		pl_srv_log(PL_SRV_LOG_WARN, "acme: site %s: %s (the next "
			   "challenge type worked)", a->site->names[0], err);
	rc = pl_acme_store(a->chain, a->key, &res, err, sizeof err);
	pl_acme_result_free(&res);
	if (rc != PL_OK) {
		failed(m, a, now, 0, err);
		return;
	}
	a->failures = 0;
	a->next = 0;
	look(m, a, time(NULL), true);
	pl_srv_log(PL_SRV_LOG_INFO, "acme: site %s: new certificate in %s "
		   "(the CA spoke %s); reloading to check and serve it",
		   a->site->names[0], a->chain,
		   m->http.protocol != NULL ? m->http.protocol : "-");
	kill(getppid(), SIGHUP);
}

static int setup(acme_t *m, char *err, size_t err_len)
{
	char state[PATH_MAX], ca_dir[PATH_MAX + 300];
	bool created = false;
	int rc;

	pl_acme_http_transport(&m->http, &m->t);
	rc = pl_acme_parse_challenges(m->o->acme.challenges, m->prefer,
				      &m->n_prefer, err, err_len);
	if (rc == PL_OK)
		rc = pl_acme_state_dir(m->o->acme.state_dir, state, sizeof state,
				       err, err_len);
	if (rc == PL_OK && pl_acme_ca_dir(state, pl_srv_acme_ca(m->o), ca_dir,
					  sizeof ca_dir) != PL_OK)
		rc = PL_ERR_ARG;
	if (rc != PL_OK)
		return rc;
	m->account = pl_acme_account_key(ca_dir, &created, err, err_len);
	if (m->account == NULL)
		return PL_ERR_IO;
	if (created)
		pl_srv_log(PL_SRV_LOG_INFO, "acme: made the account key "
			   "%s/account-key.pem (mode 0600)", ca_dir);
	for (size_t i = 0; i < m->o->n_sites; i++) {
		const pl_srv_site_t *s = &m->o->sites[i];
		acme_site_t *a = &m->sites[m->n_sites];

		if (!s->acme || (a->n_names = pl_acme_public_names(s, a->names)) == 0)
			continue;
		a->site = s;
		uint8_t r[2];
		if (pl_random(r, sizeof r) == PL_OK)
			a->jitter = (unsigned)r[0] << 8 | r[1];
		if (pl_acme_cert_paths(ca_dir, a->names[0], a->chain, a->key,
				       sizeof a->chain) != PL_OK)
			continue;
		m->n_sites++;
	}
	return PL_OK;
}

static void run(acme_t *m)
{
	const time_t interval = m->o->acme.check_interval_ms >= 1000
					? m->o->acme.check_interval_ms / 1000
					: 1;
	time_t now = time(NULL);

	for (size_t i = 0; i < m->n_sites; i++)
		look(m, &m->sites[i], now, true);
	for (;;) {
		time_t wake;

		now = time(NULL);
		wake = now + interval;
		for (size_t i = 0; i < m->n_sites; i++) {
			acme_site_t *a = &m->sites[i];

			if (a->next <= now) {
				order(m, a, now);
				/* after a success, at most one order per check
				 * interval, even with --acme-renew-at 0; a
				 * failure keeps its backoff */
				if (a->failures == 0 && a->next < now + interval)
					a->next = now + interval;
			}
			if (a->next < wake)
				wake = a->next;
		}
		now = time(NULL);
		if (wake > now)
			sleep((unsigned)(wake - now));
	}
}

/* The child: signals back to their defaults, gone with the master. */
static void become_acme(const pl_srv_options_t *o, const pl_acme_http_t *http)
{
	static acme_t m;
	char err[PL_ACME_ERR_MAX];
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	prctl(PR_SET_NAME, "padlock-acme");
	m.o = o;
	m.http = *http;
	if (setup(&m, err, sizeof err) != PL_OK) {
		pl_srv_log(PL_SRV_LOG_ERROR, "acme: %s", err);
		_exit(1);
	}
	run(&m);
	_exit(0);
}

static bool same_string(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* What the ACME process was started with, compared with a reload's. */
static bool same_acme(const pl_srv_options_t *a, const pl_srv_options_t *b)
{
	const pl_srv_acme_options_t *x = &a->acme, *y = &b->acme;

	if (!same_string(x->ca, y->ca) || !same_string(x->email, y->email) ||
	    !same_string(x->ca_root, y->ca_root) ||
	    !same_string(x->eab_kid, y->eab_kid) ||
	    !same_string(x->eab_hmac_key, y->eab_hmac_key) ||
	    !same_string(x->state_dir, y->state_dir) ||
	    !same_string(x->challenges, y->challenges) ||
	    x->agree_tos != y->agree_tos || x->timeout_ms != y->timeout_ms ||
	    x->renew_percent != y->renew_percent ||
	    x->check_interval_ms != y->check_interval_ms ||
	    a->n_sites != b->n_sites)
		return false;
	for (size_t i = 0; i < a->n_sites; i++) {
		const pl_srv_site_t *s = &a->sites[i], *t = &b->sites[i];

		if (s->acme != t->acme || s->n_names != t->n_names)
			return false;
		for (size_t j = 0; j < s->n_names; j++)
			if (strcmp(s->names[j], t->names[j]) != 0)
				return false;
	}
	return true;
}

int pl_srv_acme_reload(const pl_srv_options_t *old, const pl_srv_options_t *o,
		       pl_srv_listeners_t *ls, char *err, size_t err_len)
{
	if (acme_pid > 0 && same_acme(old, o))
		return PL_OK;
	/* new names or settings: a new ACME process for them (an order in
	 * flight is placed again) */
	if (acme_pid > 0) {
		kill(acme_pid, SIGTERM);
		acme_pid = 0;
	}
	return pl_srv_acme_start(o, ls, err, err_len);
}

int pl_srv_acme_start(const pl_srv_options_t *o, pl_srv_listeners_t *ls,
		      char *err, size_t err_len)
{
	const char *names[PL_SRV_MAX_NAMES];
	pl_acme_http_t http;
	bool any = false;
	pid_t pid;
	int rc;

	for (size_t i = 0; i < o->n_sites; i++)
		any = any || (o->sites[i].acme &&
			      pl_acme_public_names(&o->sites[i], names) > 0);
	if (!any)
		return PL_OK;
	rc = pl_acme_board_init();
	if (rc != PL_OK)
		return pl_acme_say(err, err_len, rc, "cannot map the ACME "
				   "challenge board: %s", strerror(errno));
	/* the CA's roots are read now: a bad --acme-ca-root stops the start */
	rc = pl_acme_http_init(&http, o->acme.ca_root, err, err_len);
	if (rc != PL_OK)
		return rc;
	pid = fork();
	if (pid == 0) {
		/* the listeners are the workers': a port stays the server's
		 * only while the server runs */
		pl_srv_listeners_close(ls);
		become_acme(o, &http);
	}
	pl_acme_http_free(&http);
	if (pid < 0)
		return pl_acme_say(err, err_len, PL_ERR_IO, "fork: %s",
				   strerror(errno));
	acme_pid = pid;
	return PL_OK;
}
