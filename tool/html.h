/*
** html.h - writing HTML that a browser reads as the text it was given:
** every string escaped (estate names, ids, messages and file names are
** untrusted input), invalid UTF-8 and control characters replaced, and
** a self-contained page skeleton whose Content-Security-Policy forbids
** scripts and every network fetch.
*/
#ifndef MOAT_TOOL_HTML_H
#define MOAT_TOOL_HTML_H

#include <stddef.h>
#include <stdio.h>

/* Writes len bytes of s as HTML text, usable in element content and in a
** quoted attribute value alike: & < > " ' as character references; a byte
** that is not part of well-formed UTF-8, a C0 control other than tab,
** line feed and carriage return, DEL, a C1 control and a noncharacter as
** U+FFFD. The output is well-formed UTF-8 and holds none of < > " '. */
void html_escape(FILE *o, const char *s, size_t len);

/* html_escape of a NUL-terminated string; NULL writes nothing. */
void html_text(FILE *o, const char *s);

/* The length of the well-formed UTF-8 sequence at s (1 to 4), or 0 when
** s[0..len) does not start with one; *cp gets its code point. */
size_t html_utf8_seq(const unsigned char *s, size_t len, unsigned *cp);

/* <table> (of class cls unless NULL), its <caption> unless NULL, a header
** row of columns (th scope="col"; the list ends with NULL), and <tbody>. */
void html_table_start(FILE *o, const char *cls, const char *caption,
                      const char *const columns[]);
/* </tbody></table> */
void html_table_end(FILE *o);
/* <tr> and its row header, <th scope="row">, escaped. */
void html_row_start(FILE *o, const char *header);
/* <td>text</td>, escaped. */
void html_cell(FILE *o, const char *text);

/* <!doctype html> to <body>: charset, viewport, a Content-Security-Policy
** that allows inline styles and data: images only (no script runs, nothing
** is fetched), the title (escaped) and the stylesheet, inline. */
void html_page_start(FILE *o, const char *title);
/* </body></html> */
void html_page_end(FILE *o);

#endif
