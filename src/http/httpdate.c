/*
 * Reading HTTP-dates (RFC 9110 5.6.7): IMF-fixdate, and the two obsolete
 * formats every recipient must still accept. Case-sensitive, as the
 * grammar is, with no whitespace beyond its SPs. Writing them is
 * pl_http_format_date() (writer.c).
 */
#include <string.h>

#include "http/serve_int.h"

/* Exactly n digits. */
static bool read_digits(pl_http_rd_t *r, int n, int *v)
{
	*v = 0;
	if (r->end - r->p < n)
		return false;
	for (int i = 0; i < n; i++) {
		if (!pl_http_is_digit((uint8_t)r->p[i]))
			return false;
		*v = *v * 10 + (r->p[i] - '0');
	}
	r->p += n;
	return true;
}

/* One of names[0..count), returning its index. */
static bool read_name(pl_http_rd_t *r, const char *const *names, int count,
		      int *index)
{
	for (int i = 0; i < count; i++) {
		if (pl_http_rd_lit(r, names[i])) {
			*index = i;
			return true;
		}
	}
	return false;
}

static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr",
				       "May", "Jun", "Jul", "Aug",
				       "Sep", "Oct", "Nov", "Dec"};
static const char *const days[7] = {"Mon", "Tue", "Wed", "Thu",
				    "Fri", "Sat", "Sun"};
/* day-name-l, for rfc850-date */
static const char *const long_days[7] = {"Monday", "Tuesday", "Wednesday",
					 "Thursday", "Friday", "Saturday",
					 "Sunday"};

typedef struct {
	int year, month, day; /* month 0-11 */
	int hour, minute, second;
} civil_t;

/* time-of-day = hour ":" minute ":" second */
static bool read_time(pl_http_rd_t *r, civil_t *c)
{
	return read_digits(r, 2, &c->hour) && pl_http_rd_lit(r, ":") &&
	       read_digits(r, 2, &c->minute) && pl_http_rd_lit(r, ":") &&
	       read_digits(r, 2, &c->second);
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
static bool read_imf_fixdate(pl_http_rd_t *r, civil_t *c)
{
	int wday;

	return read_name(r, days, 7, &wday) && pl_http_rd_lit(r, ", ") &&
	       read_digits(r, 2, &c->day) && pl_http_rd_lit(r, " ") &&
	       read_name(r, months, 12, &c->month) && pl_http_rd_lit(r, " ") &&
	       read_digits(r, 4, &c->year) && pl_http_rd_lit(r, " ") &&
	       read_time(r, c) && pl_http_rd_lit(r, " GMT");
}

/* "Sunday, 06-Nov-94 08:49:37 GMT"; the year's century is placed later */
static bool read_rfc850_date(pl_http_rd_t *r, civil_t *c)
{
	int wday;

	return read_name(r, long_days, 7, &wday) && pl_http_rd_lit(r, ", ") &&
	       read_digits(r, 2, &c->day) && pl_http_rd_lit(r, "-") &&
	       read_name(r, months, 12, &c->month) && pl_http_rd_lit(r, "-") &&
	       read_digits(r, 2, &c->year) && pl_http_rd_lit(r, " ") &&
	       read_time(r, c) && pl_http_rd_lit(r, " GMT");
}

/* "Sun Nov  6 08:49:37 1994": date3 = month SP ( 2DIGIT / ( SP 1DIGIT )) */
static bool read_asctime_date(pl_http_rd_t *r, civil_t *c)
{
	int wday;

	if (!read_name(r, days, 7, &wday) || !pl_http_rd_lit(r, " ") ||
	    !read_name(r, months, 12, &c->month) || !pl_http_rd_lit(r, " "))
		return false;
	if (!(pl_http_rd_lit(r, " ") ? read_digits(r, 1, &c->day)
			       : read_digits(r, 2, &c->day)))
		return false;
	return pl_http_rd_lit(r, " ") && read_time(r, c) && pl_http_rd_lit(r, " ") &&
	       read_digits(r, 4, &c->year);
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool civil_valid(const civil_t *c)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31};
	int max = mdays[c->month] + (c->month == 1 && is_leap(c->year));

	/* second 60: a leap second (5.6.7 allows it) */
	return c->day >= 1 && c->day <= max && c->hour <= 23 &&
	       c->minute <= 59 && c->second <= 60;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 0-11), by
 * Howard Hinnant's days_from_civil: no time zone, no timegm(). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;
	int mp = (m + 10) % 12; /* March = 0 */

	y -= m < 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * mp + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int year_of(time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return 1970;
	return tm.tm_year + 1900;
}

/* Any of the three formats, filling c; nothing may follow. */
static bool read_http_date(const char *s, size_t len, time_t now, civil_t *c)
{
	pl_http_rd_t r = pl_http_rd(s, len);
	int current;

	if (read_imf_fixdate(&r, c) && pl_http_rd_done(&r))
		return true;
	r = pl_http_rd(s, len);
	if (read_asctime_date(&r, c) && pl_http_rd_done(&r))
		return true;
	r = pl_http_rd(s, len);
	if (!read_rfc850_date(&r, c) || !pl_http_rd_done(&r))
		return false;
	/* 5.6.7: a two-digit year that would be more than 50 years ahead
	 * is the last such year in the past */
	current = year_of(now);
	c->year += current - current % 100;
	if (c->year > current + 50)
		c->year -= 100;
	return true;
}

int pl_http_parse_date(const char *s, size_t len, time_t now, time_t *t)
{
	civil_t c = {0};
	int64_t secs;

	if (!read_http_date(s, len, now, &c) || !civil_valid(&c))
		return PL_ERR_DECODE;
	secs = days_from_civil(c.year, c.month, c.day) * 86400 +
	       c.hour * 3600 + c.minute * 60 + c.second;
	if ((int64_t)(time_t)secs != secs)
		return PL_ERR_DECODE;
	*t = (time_t)secs;
	return PL_OK;
}
