/*
** buf.c - growable text with a sticky failure flag.
**
** Appending never reports an error; a failed allocation (or passing the
** limit) sets b->failed, later appends do nothing, and the owner checks the
** flag once at the end (sqlite's mallocFailed).
*/
#include "moat_int.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

void moat__buf_init(moat_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
    b->failed = 0;
}

void moat__buf_free(moat_buf *b)
{
    free(b->data);
    moat__buf_init(b, b->limit);
}

void moat__buf_clear(moat_buf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int reserve(moat_buf *b, size_t extra)
{
    if (b->failed)
        return 0;
    if (extra > SIZE_MAX - b->len - 1) {
        b->failed = 1;
        return 0;
    }
    size_t need = b->len + extra + 1;
    if (b->limit && need > b->limit) {
        b->failed = 1;
        return 0;
    }
    if (need <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (p == NULL) {
        b->failed = 1;
        return 0;
    }
    b->data = p;
    b->cap = cap;
    return 1;
}

void moat__buf_put(moat_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void moat__buf_puts(moat_buf *b, const char *s)
{
    moat__buf_put(b, s, strlen(s));
}

void moat__buf_putc(moat_buf *b, char c)
{
    if (!reserve(b, 1))
        return;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

/* Whether fmt's only conversions are %s, %u and %%: the explanations'
** formats, which are written here without vsnprintf (whose setup was a
** seventh of `moat check --requests`, bench/RESULTS.md). */
static int plain_format(const char *fmt)
{
    for (const char *p = strchr(fmt, '%'); p; p = strchr(p + 2, '%'))
        if (p[1] != 's' && p[1] != 'u' && p[1] != '%')
            return 0;
    return 1;
}

static void put_unsigned(moat_buf *b, unsigned v)
{
    char digits[sizeof v * 3];
    size_t n = 0;
    do {
        digits[sizeof digits - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    moat__buf_put(b, digits + sizeof digits - n, n);
}

/* What vsnprintf writes for a plain format (a null %s as glibc's
** "(null)"). */
static void plain_printf(moat_buf *b, const char *fmt, va_list ap)
{
    for (;;) {
        const char *pct = strchr(fmt, '%');
        moat__buf_put(b, fmt, pct ? (size_t)(pct - fmt) : strlen(fmt));
        if (pct == NULL)
            return;
        if (pct[1] == 's') {
            const char *s = va_arg(ap, const char *);
            moat__buf_puts(b, s ? s : "(null)");
        } else if (pct[1] == 'u') {
            put_unsigned(b, va_arg(ap, unsigned));
        } else {
            moat__buf_putc(b, '%');
        }
        fmt = pct + 2;
    }
}

void moat__buf_vprintf(moat_buf *b, const char *fmt, va_list ap)
{
    if (plain_format(fmt)) {
        plain_printf(b, fmt, ap);
        return;
    }
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        moat__buf_put(b, small, (size_t)n);
        return;
    }
    if (!reserve(b, (size_t)n))
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void moat__buf_printf(moat_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    moat__buf_vprintf(b, fmt, ap);
    va_end(ap);
}

static int json_safe(unsigned char c)
{
    return c >= 0x20 && c != '"' && c != '\\' && c != 0x7f;
}

/* Whether any of eight bytes is a control character, '"', '\\' or DEL
** (SWAR: a zero byte in x ^ c marks a byte equal to c). */
static int needs_escape8(const char *p)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t x;
    memcpy(&x, p, 8);
    uint64_t lt20 = (x - ones * 0x20) & ~x;
    uint64_t q = x ^ (ones * '"'), bs = x ^ (ones * '\\'),
             del = x ^ (ones * 0x7f);
    uint64_t z =
        ((q - ones) & ~q) | ((bs - ones) & ~bs) | ((del - ones) & ~del);
    return ((lt20 | z) & high) != 0;
}

/* The letter of a two-byte escape (\n for a newline), or 0 for \u00XX. */
static char short_escape(unsigned char c)
{
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    case '\b': return 'b';
    case '\f': return 'f';
    default: return 0;
    }
}

/* The first byte at or after i that needs an escape, or n. SSE2 (all
** x86-64) tests sixteen bytes at a time: '"', '\\', DEL, and a byte at
** most 0x1f (its unsigned minimum with 0x1f is itself). */
static size_t safe_run_end(const char *s, size_t i, size_t n)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                  del = _mm_set1_epi8(0x7f), ctl = _mm_set1_epi8(0x1f);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i bad = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
            _mm_or_si128(_mm_cmpeq_epi8(v, del),
                         _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v)));
        unsigned m = (unsigned)_mm_movemask_epi8(bad);
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    while (i + 8 <= n && !needs_escape8(s + i))
        i += 8;
    while (i < n && json_safe((unsigned char)s[i]))
        i++;
    return i;
}

/* The length of s once escaped, quotes excluded. */
static size_t json_escaped_len(const char *s, size_t n)
{
    size_t len = n, i = 0;
    while (i < n) {
        i = safe_run_end(s, i, n);
        if (i == n)
            break;
        unsigned char c = (unsigned char)s[i++];
        if (!json_safe(c))
            len += short_escape(c) ? 1 : 5;
    }
    return len;
}

void moat__buf_json_str(moat_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (n > (SIZE_MAX - 2) / 6)
        return;
    /* The worst case, every byte \u00XX, spares a counting pass; where it
    ** would pass the buffer's limit, exactly what the escaped text takes
    ** (a long string that fits must not fail for what it might have been). */
    size_t need = n * 6 + 2;
    if (b->limit && !b->failed && need > b->limit - b->len - 1)
        need = json_escaped_len(s, n) + 2;
    if (!reserve(b, need))
        return;
    char *o = b->data + b->len;
    *o++ = '"';
    size_t i = 0;
    while (i < n) {
        /* Copy the run of bytes that need no escape in one go. */
        size_t start = i;
        i = safe_run_end(s, i, n);
        memcpy(o, s + start, i - start);
        o += i - start;
        if (i == n)
            break;
        unsigned char c = (unsigned char)s[i++];
        *o++ = '\\';
        char letter = short_escape(c);
        if (letter) {
            *o++ = letter;
        } else {
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
}

void moat__buf_json_cstr(moat_buf *b, const char *s)
{
    moat__buf_json_str(b, s ? s : "", s ? strlen(s) : 0);
}

const char *moat__buf_cstr(moat_buf *b)
{
    if (b->failed || b->data == NULL)
        return "";
    return b->data;
}
