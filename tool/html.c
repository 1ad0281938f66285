/*
** html.c - HTML escaping and the page skeleton (html.h).
**
** The escaping follows the HTML Standard's parsing rules
** (https://html.spec.whatwg.org/multipage/parsing.html): in text and in a
** quoted attribute value only '&', '<' and the quote end or change what is
** read, so escaping & < > " ' makes any string inert in both places;
** control characters and noncharacters are parse errors
** ("control-character-in-input-stream", "noncharacter-in-input-stream")
** and invalid UTF-8 is replaced by the decoder, so they are replaced here
** (U+FFFD) and what is written is what every browser shows.
*/
#include "html.h"

#include <string.h>

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* The range of the second byte after a lead byte (Unicode 15, table 3-7,
** "Well-Formed UTF-8 Byte Sequences"): overlong forms, surrogates and
** code points past U+10FFFF excluded. */
static int second_byte_ok(unsigned lead, unsigned b)
{
    unsigned lo = 0x80, hi = 0xBF;
    if (lead == 0xE0)
        lo = 0xA0;
    else if (lead == 0xED)
        hi = 0x9F;
    else if (lead == 0xF0)
        lo = 0x90;
    else if (lead == 0xF4)
        hi = 0x8F;
    return b >= lo && b <= hi;
}

size_t html_utf8_seq(const unsigned char *s, size_t len, unsigned *cp)
{
    unsigned lead = s[0];
    size_t n;
    if (lead < 0x80) {
        *cp = lead;
        return 1;
    }
    if (lead >= 0xC2 && lead <= 0xDF)
        n = 2, *cp = lead & 0x1F;
    else if (lead >= 0xE0 && lead <= 0xEF)
        n = 3, *cp = lead & 0x0F;
    else if (lead >= 0xF0 && lead <= 0xF4)
        n = 4, *cp = lead & 0x07;
    else
        return 0;
    if (len < n || !second_byte_ok(lead, s[1]))
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    return n;
}

/* What HTML reads as a parse error or what no text should carry: C0
** controls but tab, LF and CR; DEL and the C1 controls; noncharacters. */
static int unwanted(unsigned cp)
{
    if (cp < 0x20)
        return cp != '\t' && cp != '\n' && cp != '\r';
    if (cp >= 0x7F && cp <= 0x9F)
        return 1;
    if (cp >= 0xFDD0 && cp <= 0xFDEF)
        return 1;
    return (cp & 0xFFFE) == 0xFFFE;
}

static const char *reference(unsigned char ch)
{
    switch (ch) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return NULL;
    }
}

/* ASCII written as is: printable but for the five specials, and tab, LF,
** CR. */
static int plain_ascii(unsigned char ch)
{
    if (ch < 0x20)
        return ch == '\t' || ch == '\n' || ch == '\r';
    return ch < 0x7F && reference(ch) == NULL;
}

/* Runs of bytes written as they are go out in one fwrite. */
void html_escape(FILE *o, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t start = 0, i = 0;
    while (i < len) {
        unsigned cp = 0;
        size_t n = plain_ascii(p[i]) ? 1 : html_utf8_seq(p + i, len - i, &cp);
        if (n == 1 && plain_ascii(p[i])) {
            i++;
            continue;
        }
        if (n > 1 && !unwanted(cp)) {
            i += n;
            continue;
        }
        fwrite(p + start, 1, i - start, o);
        const char *ref = n == 1 ? reference(p[i]) : NULL;
        fputs(ref ? ref : replacement, o);
        i += n ? n : 1; /* an invalid byte is one U+FFFD each */
        start = i;
    }
    fwrite(p + start, 1, i - start, o);
}

void html_text(FILE *o, const char *s)
{
    if (s)
        html_escape(o, s, strlen(s));
}

void html_table_start(FILE *o, const char *cls, const char *caption,
                      const char *const columns[])
{
    fputs("<table", o);
    if (cls) {
        fputs(" class=\"", o);
        html_text(o, cls);
        fputc('"', o);
    }
    fputs(">\n", o);
    if (caption) {
        fputs("<caption>", o);
        html_text(o, caption);
        fputs("</caption>\n", o);
    }
    fputs("<thead><tr>", o);
    for (size_t i = 0; columns[i]; i++) {
        fputs("<th scope=\"col\">", o);
        html_text(o, columns[i]);
        fputs("</th>", o);
    }
    fputs("</tr></thead>\n<tbody>\n", o);
}

void html_table_end(FILE *o)
{
    fputs("</tbody>\n</table>\n", o);
}

void html_row_start(FILE *o, const char *header)
{
    fputs("<tr><th scope=\"row\">", o);
    html_text(o, header);
    fputs("</th>", o);
}

void html_cell(FILE *o, const char *text)
{
    fputs("<td>", o);
    html_text(o, text);
    fputs("</td>", o);
}

/* One stylesheet for every page: readable without it, colour never the
** only sign (every badge is a word too). */
static const char stylesheet[] =
    "body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;"
    "padding:0 1.5em 3em;color:#1b1f24;background:#fff}\n"
    "h1{font-size:1.6em;margin:1em 0 .2em}h2{margin-top:1.8em;"
    "border-bottom:1px solid #d0d7de;padding-bottom:.2em}\n"
    "table{border-collapse:collapse;margin:.6em 0;width:100%}\n"
    "th,td{border:1px solid #d0d7de;padding:.3em .5em;text-align:left;"
    "vertical-align:top}\n"
    "thead th{background:#f3f5f7}tbody th{font-weight:600}\n"
    "code{font:13px ui-monospace,monospace;background:#f3f5f7;"
    "padding:.1em .3em;border-radius:3px;overflow-wrap:anywhere}\n"
    ".id{font:12px ui-monospace,monospace;color:#57606a;"
    "overflow-wrap:anywhere}\n"
    ".badge{display:inline-block;padding:0 .5em;border-radius:1em;"
    "font-size:.85em;font-weight:600;white-space:nowrap}\n"
    ".critical{background:#8b0000;color:#fff}.high{background:#d1242f;"
    "color:#fff}.medium{background:#f0a020;color:#1b1f24}\n"
    ".low{background:#ddf4ff;color:#0a3069}.info{background:#eaeef2;"
    "color:#424a53}\n"
    ".all{background:#d1242f;color:#fff}.some{background:#f0a020;"
    "color:#1b1f24}.none{background:#dafbe1;color:#116329}\n"
    ".unknown{background:#eaeef2;color:#424a53;border:1px dashed #57606a}\n"
    ".pass{background:#dafbe1;color:#116329}.fail{background:#d1242f;"
    "color:#fff}.not-applicable{background:#eaeef2;color:#424a53}\n"
    ".summary{display:flex;flex-wrap:wrap;gap:.5em;margin:.5em 0}\n"
    ".summary span{padding:.3em .8em;border-radius:.4em}\n"
    ".verdict{font-weight:700;font-size:1.1em}\n"
    ".diagram{overflow:auto;border:1px solid #d0d7de;padding:.5em}\n"
    ".diagram svg{max-width:100%;height:auto}\n"
    ".note{color:#57606a}\n"
    "nav ul{display:flex;flex-wrap:wrap;gap:1em;list-style:none;padding:0}\n";

void html_page_start(FILE *o, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, "
          "initial-scale=1\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" "
          "content=\"default-src 'none'; style-src 'unsafe-inline'; "
          "img-src data:\">\n<title>",
          o);
    html_text(o, title);
    fprintf(o, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", stylesheet);
}

void html_page_end(FILE *o)
{
    fputs("</body>\n</html>\n", o);
}
