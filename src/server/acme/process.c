/*
 * The ACME process: forked by the master before its workers, it holds the
 * account key and nothing else of the server's. For each ACME site it
 * keeps a certificate: obtained when there is none, renewed inside the
 * CA's renewal window when the CA offers renewal information (RFC 9773,
 * ari.c), else once --acme-renew-at of its lifetime has passed, retried
 * with exponential backoff when the CA fails (warnings, then errors in
 * the last 7 days).
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
#define ARI_RETRY_FIRST_S 60
#define ARI_RETRY_MAX_S (6 * 3600)
#define ARI_NONE_S 86400 /* a CA without ARI is asked again daily */

typedef struct {
	const pl_srv_site_t *site;
	const char *names[PL_SRV_MAX_NAMES];
	size_t n_names;
	char chain[PATH_MAX + 64], key[PATH_MAX + 64];
	time_t next;        /* when to look again */
	time_t expires;     /* of what is stored, 0: nothing */
	unsigned failures;
	unsigned jitter;    /* 0..65535: this site's share of the jitter */
	pl_acme_stored_t have;  /* what is stored, when expires != 0 */
	time_t renew;       /* when what is stored is renewed */
	/* renewal information (RFC 9773) for what is stored */
	char cert_id[192];
	time_t ari_next;    /* when to ask the CA again, 0: not at all */
	time_t ari_start, ari_end; /* the window in use, 0: none */
	unsigned ari_failures;
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

/* One status line per certificate: names, issuer, expiry, renewal, and
 * the CA's renewal window when it gave one. */
static void say_status(const acme_site_t *a)
{
	const pl_acme_stored_t *have = &a->have;
	char expires[32], renew[32], from[32], to[32], window[128] = "";

	date(have->leaf.not_after, expires, sizeof expires);
	date(a->renew, renew, sizeof renew);
	if (a->ari_start != 0) {
		date(a->ari_start, from, sizeof from);
		date(a->ari_end, to, sizeof to);
		snprintf(window, sizeof window, " (inside the CA's ARI window "
			 "%s to %s)", from, to);
	}
	pl_srv_log(PL_SRV_LOG_INFO,
		   "acme: site %s: certificate for %s from %s, expires %s, "
		   "renewal from %s%s", a->site->names[0], have->leaf.names,
		   have->issuer.subject[0] ? have->issuer.subject
					   : have->leaf.issuer,
		   expires, renew, window);
}

/* Looks at what is stored: when it needs renewing, a.next is now. */
static void look(acme_t *m, acme_site_t *a, time_t now)
{
	pl_acme_stored_t *have = &a->have;
	time_t span, renew_at;

	if (pl_acme_stored(a->chain, a->key, a->names, a->n_names,
			   (int)m->o->acme.renew_percent, now, have) != PL_OK) {
		a->expires = 0;
		a->next = now;
		a->ari_next = 0;
		return;
	}
	a->expires = have->leaf.not_after;
	if (strcmp(a->cert_id, have->cert_id) != 0) {
		/* RFC 9773 4.3: ask for a new certificate's window at once */
		memcpy(a->cert_id, have->cert_id, sizeof a->cert_id);
		a->ari_next = a->cert_id[0] ? now : 0;
		a->ari_start = a->ari_end = 0;
		a->ari_failures = 0;
	}
	/* jitter: up to 2% of the time to renewal, at most 12 hours, so that
	 * a fleet started together does not renew together */
	span = (have->renew_at - have->leaf.not_before) / 50;
	if (span > JITTER_MAX_S)
		span = JITTER_MAX_S;
	renew_at = have->renew_at + (time_t)((long long)span * a->jitter / 65536);
	a->renew = renew_at;
	if (renew_at > a->next)
		a->next = renew_at;
}

/* RFC 9773 4.3.3: a temporary error backs off from a minute; a long-term
 * one waits what the CA's answer said (six hours). */
static void ari_failed(acme_site_t *a, time_t now, const pl_acme_ari_t *ari,
		       const char *why)
{
	long wait = ari->temporary
			    ? ARI_RETRY_FIRST_S << (a->ari_failures < 9 ? a->ari_failures : 9)
			    : ari->retry_after;
	char at[32], renew[32];

	if (wait > ARI_RETRY_MAX_S)
		wait = ARI_RETRY_MAX_S;
	a->ari_failures++;
	a->ari_next = now + wait;
	date(a->ari_next, at, sizeof at);
	date(a->renew, renew, sizeof renew);
	pl_srv_log(PL_SRV_LOG_WARN, "acme: site %s: %s; renewal stays at %s "
		   "(asking again at %s)", a->site->names[0], why, renew, at);
}

/* Asks the CA for the renewal window of what is stored (RFC 9773 4.2):
 * renewal moves to a random time inside it, and the next question waits
 * what the CA's Retry-After said. Without ARI the two-thirds rule stays. */
static void ari_look(acme_t *m, acme_site_t *a, time_t now)
{
	char err[PL_ACME_ERR_MAX], from[32], to[32], renew[32], why[PL_ACME_URL_MAX + 16] = "";
	pl_acme_ari_t ari;
	uint8_t r[4] = { 0 };

	/* RFC 9773 4.3: never for an expired certificate */
	if (a->expires == 0 || now >= a->expires || a->cert_id[0] == '\0') {
		a->ari_next = 0;
		return;
	}
	if (pl_acme_renewal_info(&m->t, pl_srv_acme_ca(m->o), a->cert_id, &ari,
				 err, sizeof err) != PL_OK) {
		ari_failed(a, now, &ari, err);
		return;
	}
	a->ari_failures = 0;
	a->ari_next = now + (ari.offered ? ari.retry_after : ARI_NONE_S);
	if (!ari.offered)
		return;
	if (ari.start != a->ari_start || ari.end != a->ari_end) {
		a->ari_start = ari.start;
		a->ari_end = ari.end;
		(void)pl_random(r, sizeof r);
		a->renew = pl_acme_ari_renew_at(&ari, (uint32_t)r[0] << 24 |
						(uint32_t)r[1] << 16 |
						(uint32_t)r[2] << 8 | r[3], now);
		date(ari.start, from, sizeof from);
		date(ari.end, to, sizeof to);
		date(a->renew, renew, sizeof renew);
		if (ari.explanation[0])
			snprintf(why, sizeof why, " (%s)", ari.explanation);
		pl_srv_log(PL_SRV_LOG_INFO, "acme: site %s: the CA's renewal "
			   "window (ARI) is %s to %s%s: renewal at %s",
			   a->site->names[0], from, to, why, renew);
	}
	/* renewal attempts keep their error backoff (RFC 9773 4.2) */
	if (a->failures == 0 || a->renew > a->next)
		a->next = a->renew;
}

/* What is stored, its renewal window, and (say) its status line. */
static void refresh(acme_t *m, acme_site_t *a, time_t now, bool say)
{
	look(m, a, now);
	if (a->ari_next != 0 && a->ari_next <= now)
		ari_look(m, a, now);
	if (say && a->expires != 0)
		say_status(a);
}

long pl_acme_retry_wait(unsigned failures, long retry_after)
{
	long wait = RETRY_FIRST_S << (failures < 8 ? failures : 8);

	if (wait > RETRY_MAX_S)
		wait = RETRY_MAX_S;
	return retry_after > wait ? retry_after : wait;
}

bool pl_acme_failure_urgent(time_t expires, time_t now)
{
	return expires == 0 || expires - now < URGENT_S;
}

static void failed(acme_t *m, acme_site_t *a, time_t now, long retry_after,
		   const char *why)
{
	long wait = pl_acme_retry_wait(a->failures, retry_after);
	bool urgent = pl_acme_failure_urgent(a->expires, now);
	char at[32];

	a->failures++;
	a->next = now + wait;
	date(a->next, at, sizeof at);
	pl_srv_log(urgent ? PL_SRV_LOG_ERROR : PL_SRV_LOG_WARN,
		   "acme: site %s: %s (next try at %s)", a->site->names[0], why,
		   at);
}

/* A line from the order while it runs (pl_acme_order_opts_t.note). */
static void note(void *arg, const char *line)
{
	const acme_site_t *a = arg;

	pl_srv_log(PL_SRV_LOG_WARN, "acme: site %s: %s", a->site->names[0], line);
}

/* An informational line from the order (pl_acme_order_opts_t.info). */
static void info(void *arg, const char *line)
{
	const acme_site_t *a = arg;

	pl_srv_log(PL_SRV_LOG_INFO, "acme: site %s: %s", a->site->names[0], line);
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
		.replaces = a->expires != 0 && a->cert_id[0] ? a->cert_id : NULL,
		.note = note, .info = info, .note_arg = a,
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
	refresh(m, a, time(NULL), true);
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
		refresh(m, &m->sites[i], now, true);
	for (;;) {
		time_t wake;

		now = time(NULL);
		wake = now + interval;
		for (size_t i = 0; i < m->n_sites; i++) {
			acme_site_t *a = &m->sites[i];

			if (a->ari_next != 0 && a->ari_next <= now)
				ari_look(m, a, now);
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
			if (a->ari_next != 0 && a->ari_next < wake)
				wake = a->ari_next;
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
