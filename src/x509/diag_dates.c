/*
 * Validity periods (RFC 5280 4.1.2.5) of the server certificate and of
 * every intermediate on its path, judged at the caller's time: expired,
 * not yet valid, or expiring soon, judged against the certificate's own
 * lifetime, so that a short-lived, automatically renewed certificate (a
 * 12-hour local leaf, a 6-day ACME profile) is not flagged for being
 * short: a warning when less than a third of it is left (where ACME
 * clients renew), an error when less than a tenth is left, or less than a
 * day for a certificate that lives three days or more (a renewal at a
 * third would have come before).
 */
#include <stdio.h>

#include "x509/diagnose_internal.h"

#define DAY (24 * 60 * 60)

/* "less than a day", "1 day", "12 days" for a span of seconds. */
static void days_text(time_t seconds, char *buf, size_t cap)
{
	time_t days = seconds / DAY;

	if (days == 0)
		snprintf(buf, cap, "less than a day");
	else
		snprintf(buf, cap, "%lld day%s", (long long)days,
			 days == 1 ? "" : "s");
}

/* "12 hours", "6 days", "397 days" for a lifetime in seconds. */
static void lifetime_text(time_t seconds, char *buf, size_t cap)
{
	if (seconds < DAY)
		snprintf(buf, cap, "%lld hour%s", (long long)(seconds / 3600),
			 seconds / 3600 == 1 ? "" : "s");
	else
		days_text(seconds, buf, cap);
}

/* Less than a third of the lifetime is left. */
static bool expires_soon(time_t not_before, time_t not_after, time_t now)
{
	return (not_after - now) * 3 < not_after - not_before;
}

/* Less than a tenth of the lifetime is left, or less than a day when a
 * third of the lifetime is a day or more. */
static bool expires_very_soon(time_t not_before, time_t not_after,
			      time_t now)
{
	time_t left = not_after - now, lifetime = not_after - not_before;

	return left * 10 < lifetime || (lifetime >= 3 * DAY && left < DAY);
}

/* What to do about a certificate whose dates are wrong. */
static void renew_fix(const pl_x509_diag_t *d, const pl_x509_diag_node_t *n,
		      char *buf, size_t cap)
{
	if (n->index >= 0 && (size_t)n->index == d->leaf)
		snprintf(buf, cap,
			 "renew the certificate with your CA (for Let's "
			 "Encrypt: certbot renew), install the new one and "
			 "restart or reload the server");
	else if (n->index >= 0)
		snprintf(buf, cap,
			 "replace it in %s with the current intermediate from "
			 "the CA that issued your certificate (renewing the "
			 "certificate gives both)", pl_x509_diag_chain_file(d));
	else
		snprintf(buf, cap,
			 "do not append this one: get the current intermediate "
			 "from the CA that issued your certificate");
}

static void check_node(pl_x509_diag_t *d, const pl_x509_diag_node_t *n)
{
	char label[200], date[32], span[32], lifetime[32];
	char fix[PL_X509_DIAG_TEXT_MAX];
	time_t now = d->opts->now, not_before, not_after;

	if (pl_x509_time_to_epoch(X509_get0_notBefore(n->x509), &not_before) !=
		    PL_OK ||
	    pl_x509_time_to_epoch(X509_get0_notAfter(n->x509), &not_after) !=
		    PL_OK)
		return; /* verification refuses it: chain.invalid */
	pl_x509_diag_label(d, n->x509, n->index, label, sizeof(label));
	renew_fix(d, n, fix, sizeof(fix));
	if (now < not_before) {
		pl_x509_date_text(X509_get0_notBefore(n->x509), date,
				  sizeof(date));
		days_text(not_before - now, span, sizeof(span));
		snprintf(fix, sizeof(fix),
			 "check this machine's clock ('date -u'); if it is "
			 "right, keep serving the previous certificate until "
			 "%s", date);
		pl_x509_diag_add(d, PL_X509_SEVERITY_ERROR,
				 "cert.not-yet-valid", n->index, fix,
				 "%s is not valid until %s (in %s)", label,
				 date, span);
		return;
	}
	pl_x509_date_text(X509_get0_notAfter(n->x509), date, sizeof(date));
	lifetime_text(not_after - not_before, lifetime, sizeof(lifetime));
	if (now > not_after) { /* RFC 5280 4.1.2.5: notAfter inclusive */
		days_text(now - not_after, span, sizeof(span));
		pl_x509_diag_add(d, PL_X509_SEVERITY_ERROR, "cert.expired",
				 n->index, fix, "%s expired on %s (%s ago)",
				 label, date, span);
		return;
	}
	if (!expires_soon(not_before, not_after, now))
		return;
	days_text(not_after - now, span, sizeof(span));
	pl_x509_diag_add(d, expires_very_soon(not_before, not_after, now) ?
				    PL_X509_SEVERITY_ERROR :
				    PL_X509_SEVERITY_WARNING,
			 "cert.expires-soon", n->index, fix,
			 "%s expires on %s, in %s (of a lifetime of %s)", label,
			 date, span, lifetime);
}

void pl_x509_diag_check_dates(pl_x509_diag_t *d)
{
	size_t i;

	/* Roots are left out: a client judges its own copy of a root, not
	 * the one a server sends. */
	for (i = 0; i < d->path_len; i++)
		if (i == 0 || !d->path[i].self_signed)
			check_node(d, &d->path[i]);
}
