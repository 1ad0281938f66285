/*
** dates.c - dates and instants as seconds since 1970-01-01T00:00:00Z.
**
** A request's `time` (decision.md section 2, RFC 3339) selects the catalog
** rows in force (section 4: since <= time < until, UTC days). Seconds are
** floored, so 23:59:59.999 is still the day it names, and a row's `until`
** is the first second of its day.
*/
#include "moat_int.h"

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
** (Howard Hinnant's days_from_civil). */
int64_t moat__days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int64_t)era * 146097 + (int64_t)doe - 719468;
}

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const unsigned char n[12] = {31, 28, 31, 30, 31, 30,
                                        31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : n[m - 1];
}

/* n decimal digits at s; -1 when one is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int moat__date_parse(const char *s, size_t n, int64_t *out)
{
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 0 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    *out = moat__days_from_civil(y, (unsigned)m, (unsigned)d) * 86400;
    return 0;
}

/* "Z", "z", or "+hh:mm" / "-hh:mm" at s (the rest of the text): the
** offset in seconds east of UTC. */
static int zone(const char *s, size_t n, int64_t *off)
{
    if (n == 1 && (s[0] == 'Z' || s[0] == 'z')) {
        *off = 0;
        return 0;
    }
    if (n != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':')
        return -1;
    int h = digits(s + 1, 2), m = digits(s + 4, 2);
    if (h < 0 || h > 23 || m < 0 || m > 59)
        return -1;
    *off = (int64_t)(h * 3600 + m * 60) * (s[0] == '-' ? -1 : 1);
    return 0;
}

/* RFC 3339 section 5.6: full-date "T" partial-time time-offset; "t" and a
** space for "T" (its note), any number of fraction digits (dropped: the
** instant is floored to its second, which is exact for offsets in whole
** minutes), second 60 (a leap second counts as the next one). */
int moat__time_parse(const char *s, size_t n, int64_t *out)
{
    int64_t day, off;
    if (n < 20 || moat__date_parse(s, 10, &day) != 0 ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
        s[16] != ':')
        return -1;
    int h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
        return -1;
    size_t i = 19;
    if (s[i] == '.') {
        size_t start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return -1;
    }
    if (zone(s + i, n - i, &off) != 0)
        return -1;
    *out = day + h * 3600 + mi * 60 + sec - off;
    return 0;
}

void moat__time_format(int64_t t, char *buf, size_t cap)
{
    /* civil_from_days, the inverse of days_from_civil. */
    int64_t days = (t >= 0 ? t : t - 86399) / 86400, secs = t - days * 86400;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    long long y = (long long)yoe + (long long)era * 400 + (m <= 2);
    snprintf(buf, cap, "%04lld-%02u-%02uT%02d:%02d:%02dZ", y, m, d,
             (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}
