/*
** shell.c - command lines for a user to copy: every word quoted for a POSIX
** shell (XCU 2.2.2, single quotes: everything literal except the quote
** itself, written as '\''), so that a hostile resource, group or rule name
** ("x;rm -rf ~", "$(id)", quotes, newlines) stays one argument.
**
** The one implementation of shell quoting: the audit formats its fixes with
** moat__shell_vprintf; the commands (cli/, through tool/) use the public
** moat_shell_quote and moat_shell_command.
*/
#include "moat_int.h"

#include <stdarg.h>
#include <string.h>

/* Characters that need no quoting in any POSIX shell (nor in zsh, whose
** globbing also sees ^ and #: those are quoted). */
static int plain_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || strchr("@%+=:,./_-", c) != NULL;
}

void moat__shell_word(moat_buf *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] != '\0' && plain_char((unsigned char)s[i]))
        i++;
    if (n > 0 && i == n && s[0] != '=') { /* zsh expands a leading = */
        moat__buf_put(b, s, n);
        return;
    }
    moat__buf_putc(b, '\'');
    for (i = 0; i < n; i++) {
        if (s[i] == '\'')
            moat__buf_puts(b, "'\\''");
        else
            moat__buf_putc(b, s[i]);
    }
    moat__buf_putc(b, '\'');
}

/* One conversion of moat__shell_vprintf at *f (after the '%'); returns
** the characters of the format it used, 0 when it is not one. */
static size_t shell_conversion(moat_buf *b, const char *f, va_list *ap)
{
    if (f[0] == 's') {
        const char *s = va_arg(*ap, const char *);
        moat__shell_word(b, s ? s : "", s ? strlen(s) : 0);
        return 1;
    }
    if (f[0] == '.' && f[1] == '*' && f[2] == 's') {
        int n = va_arg(*ap, int);
        const char *s = va_arg(*ap, const char *);
        moat__shell_word(b, s ? s : "", s && n > 0 ? (size_t)n : 0);
        return 3;
    }
    if (f[0] == 'r') { /* text already a command's words */
        const char *s = va_arg(*ap, const char *);
        moat__buf_puts(b, s ? s : "");
        return 1;
    }
    if (f[0] == 'z' && f[1] == 'u') {
        moat__buf_printf(b, "%zu", va_arg(*ap, size_t));
        return 2;
    }
    if (f[0] == '%') {
        moat__buf_putc(b, '%');
        return 1;
    }
    return 0;
}

int moat__shell_vprintf(moat_buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            moat__buf_putc(b, *f);
            continue;
        }
        size_t used = shell_conversion(b, f + 1, &copy);
        if (used == 0) {
            b->failed = 1; /* a programming error: no command */
            break;
        }
        f += used;
    }
    va_end(copy);
    return b->failed ? -1 : 0;
}

/* Copies b into out, or "" when it failed or does not fit. */
static size_t shell_out(moat_buf *b, char *out, size_t cap)
{
    size_t need = b->failed ? 0 : b->len;
    if (cap > 0) {
        int fits = !b->failed && b->len < cap;
        if (fits && b->len)
            memcpy(out, b->data, b->len);
        out[fits ? b->len : 0] = '\0';
    }
    moat__buf_free(b);
    return need;
}

MOAT_API size_t moat_shell_quote(const char *word, char *out, size_t cap)
{
    moat_buf b;
    moat__buf_init(&b, 0);
    moat__shell_word(&b, word ? word : "", word ? strlen(word) : 0);
    return shell_out(&b, out, cap);
}

MOAT_API size_t moat_shell_command(char *out, size_t cap, const char *fmt, ...)
{
    moat_buf b;
    moat__buf_init(&b, 0);
    va_list ap;
    va_start(ap, fmt);
    moat__shell_vprintf(&b, fmt, ap);
    va_end(ap);
    return shell_out(&b, out, cap);
}
