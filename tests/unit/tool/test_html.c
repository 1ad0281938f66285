/*
** test_html.c - the HTML escaper (tool/html.c), checked as properties on
** random strings against glibc's iconv as an independent UTF-8 decoder;
** the child runner (tool/child.c) on real programs: output, a program
** that is not there, a failure, a timeout, output past the limit, and
** input and output larger than a pipe holds; the DOT and SVG handling of
** the diagram (tool/html_graph.c).
*/
#include "harness.h"

#include "child.h"
#include "html.h"
#include "html_graph.h"

#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>

/* s escaped, in a buffer the caller frees. */
static char *escaped(const char *s, size_t len, size_t *out_len)
{
    char *out = NULL;
    FILE *m = open_memstream(&out, out_len);
    html_escape(m, s, len);
    fclose(m);
    return out;
}

/* s decoded as UTF-8 by iconv into code points; the count, or -1 when
** iconv finds it ill-formed. */
static long decode(const char *s, size_t len, uint32_t *cps, size_t cap)
{
    iconv_t cd = iconv_open("UTF-32LE", "UTF-8");
    char *in = (char *)s, *out = (char *)cps;
    size_t in_left = len, out_left = cap * 4;
    size_t r = iconv(cd, &in, &in_left, &out, &out_left);
    iconv_close(cd);
    if (r == (size_t)-1 || in_left)
        return -1;
    return (long)((cap * 4 - out_left) / 4);
}

static int unwanted_cp(uint32_t cp)
{
    return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
           (cp >= 0x7F && cp <= 0x9F) || (cp >= 0xFDD0 && cp <= 0xFDEF) ||
           (cp & 0xFFFE) == 0xFFFE || (cp >= 0xD800 && cp <= 0xDFFF);
}

/* The five references read back; -1 on an '&' that starts none. */
static long unescape(const char *s, size_t len, char *out)
{
    static const char *const refs[] = {"&amp;", "&lt;", "&gt;", "&quot;",
                                       "&#39;"};
    static const char chars[] = "&<>\"'";
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] != '&') {
            out[n++] = s[i++];
            continue;
        }
        size_t k = 0;
        while (k < 5 && strncmp(s + i, refs[k], strlen(refs[k])) != 0)
            k++;
        if (k == 5)
            return -1;
        out[n++] = chars[k];
        i += strlen(refs[k]);
    }
    return (long)n;
}

static uint64_t rng = 0x9E3779B97F4A7C15u;
static unsigned next_random(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng >> 16);
}

/* Random strings rich in what matters: the five specials, controls,
** valid sequences of every length, and arbitrary bytes. */
static size_t random_string(char *buf, size_t cap)
{
    static const char *const pieces[] = {
        "<", ">", "&", "\"", "'", "&amp;", "<script>", "\t", "\n", "\r",
        "\x01", "\x7f", "\xc2\x85", "\xc3\xa9", "\xe2\x82\xac",
        "\xf0\x9f\x94\x92", "\xef\xbf\xbe", "\xef\xb7\x90", "\xed\xa0\x80",
        "\xc0\xaf", "\xf4\x90\x80\x80", "\xe2\x82", "a", "st", " "};
    size_t n = 0, pieces_n = sizeof pieces / sizeof pieces[0];
    size_t want = next_random() % 40;
    for (size_t i = 0; i < want && n + 8 < cap; i++) {
        unsigned r = next_random();
        if (r % 4 == 0) {
            buf[n++] = (char)(r >> 8);
        } else {
            const char *p = pieces[(r >> 8) % pieces_n];
            memcpy(buf + n, p, strlen(p));
            n += strlen(p);
        }
    }
    return n;
}

/* Checks the properties of one escaped string; a message, or NULL. */
static const char *check_escaped(const char *in, size_t in_len)
{
    static uint32_t cps[4096], in_cps[4096];
    static char back[4096];
    size_t len;
    char *out = escaped(in, in_len, &len);
    const char *why = NULL;
    long n = decode(out, len, cps, 4096);
    if (strpbrk(out, "<>\"'"))
        why = "a special character left as is";
    else if (n < 0)
        why = "the output is not well-formed UTF-8";
    for (long i = 0; why == NULL && i < n; i++) {
        if (unwanted_cp(cps[i]))
            why = "a control character or noncharacter left";
    }
    long back_len = why ? 0 : unescape(out, len, back);
    if (why == NULL && back_len < 0)
        why = "an '&' that starts no reference";
    /* well-formed input without unwanted code points comes back as is */
    long in_n = decode(in, in_len, in_cps, 4096);
    int clean = in_n >= 0;
    for (long i = 0; clean && i < in_n; i++)
        clean = !unwanted_cp(in_cps[i]);
    if (why == NULL && clean &&
        ((size_t)back_len != in_len || memcmp(back, in, in_len) != 0))
        why = "clean input not read back as itself";
    free(out);
    return why;
}

TEST(html_escape_properties_on_random_strings)
{
    char buf[512];
    for (int i = 0; i < 20000; i++) {
        size_t len = random_string(buf, sizeof buf);
        const char *why = check_escaped(buf, len);
        if (why)
            FAIL_AT("case %d (%zu bytes): %s", i, len, why);
    }
}

static const char *escape_of(const char *s)
{
    static char out[256];
    size_t len;
    char *e = escaped(s, strlen(s), &len);
    snprintf(out, sizeof out, "%s", e);
    free(e);
    return out;
}

#define FFFD "\xef\xbf\xbd"
TEST(html_escape_known_answers)
{
    ASSERT_STR(escape_of("<script>alert('x')</script>"),
               "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    ASSERT_STR(escape_of("a\"b&c"), "a&quot;b&amp;c");
    ASSERT_STR(escape_of("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92"),
               "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92");
    ASSERT_STR(escape_of("\xc0\xaf"), FFFD FFFD);         /* overlong '/' */
    ASSERT_STR(escape_of("\xed\xa0\x80"), FFFD FFFD FFFD); /* a surrogate */
    ASSERT_STR(escape_of("\xf4\x90\x80\x80"), FFFD FFFD FFFD FFFD);
    ASSERT_STR(escape_of("\xe2\x82"), FFFD FFFD); /* cut short */
    ASSERT_STR(escape_of("a\x01\x7f\xc2\x85z"), "a" FFFD FFFD FFFD "z");
    ASSERT_STR(escape_of("\xef\xbf\xbe\xef\xb7\x90"), FFFD FFFD);
    ASSERT_STR(escape_of("tab\tline\ncr\r"), "tab\tline\ncr\r");
}

TEST(child_filter_runs_a_program_as_a_filter)
{
    const char *cat[] = {"cat", NULL};
    char *out;
    size_t len;
    ASSERT_EQ(child_filter(cat, "hello", 5, 5000, 1024, &out, &len), CHILD_OK);
    ASSERT_EQ(len, 5);
    ASSERT_STR(out, "hello");
    free(out);
    /* more than a pipe holds each way: no deadlock, nothing lost */
    size_t big = 4u << 20;
    char *in = malloc(big);
    for (size_t i = 0; i < big; i++)
        in[i] = (char)('a' + i % 26);
    ASSERT_EQ(child_filter(cat, in, big, 20000, big, &out, &len), CHILD_OK);
    ASSERT(len == big && memcmp(out, in, big) == 0);
    free(out);
    ASSERT_EQ(child_filter(cat, in, big, 20000, big / 2, &out, &len),
              CHILD_TOO_LARGE);
    ASSERT(out == NULL);
    free(in);
}

TEST(child_filter_failures)
{
    char *out;
    size_t len;
    const char *missing[] = {"/nonexistent/moat-no-such-program", NULL};
    ASSERT_EQ(child_filter(missing, "x", 1, 5000, 1024, &out, &len),
              CHILD_NOT_FOUND);
    const char *fails[] = {"false", NULL};
    ASSERT_EQ(child_filter(fails, "x", 1, 5000, 1024, &out, &len),
              CHILD_FAILED);
    const char *slow[] = {"sleep", "10", NULL};
    ASSERT_EQ(child_filter(slow, "", 0, 300, 1024, &out, &len), CHILD_TIMEOUT);
    const char *endless[] = {"yes", NULL};
    ASSERT_EQ(child_filter(endless, "", 0, 20000, 1u << 20, &out, &len),
              CHILD_TOO_LARGE);
    /* a child that exits without reading: no SIGPIPE, just its status */
    const char *early[] = {"true", NULL};
    static char lots[1u << 20];
    ASSERT_EQ(child_filter(early, lots, sizeof lots, 5000, 1024, &out, &len),
              CHILD_OK);
    free(out);
    ASSERT_STR(child_status_name(CHILD_TIMEOUT), "timed out");
}

TEST(html_graph_dot_escapes_labels_for_dot_and_html)
{
    html_node nodes[] = {{"internet", NULL, NULL, 1, NULL},
                         {"a\"b\\c<d>&e\nf", "key vault", "#r-0", 0, "high"}};
    html_edge edges[] = {{0, 1, "by ipRules \"x\" \\n", HTML_EDGE_ALL}};
    html_graph g = {nodes, 2, edges, 1};
    size_t len;
    char *dot = html_graph_dot(&g, &len);
    ASSERT(dot != NULL);
    ASSERT(strstr(dot, "label=\"a&quot;b\\\\c&lt;d&gt;&amp;e f\\nkey vault\"") !=
           NULL);
    ASSERT(strstr(dot, "label=\"by ipRules &quot;x&quot; \\\\n\"") != NULL);
    ASSERT(strstr(dot, "URL=\"#r-0\"") != NULL);
    free(dot);
}

TEST(html_graph_svg_body_accepts_plain_svg_only)
{
    static const char good[] =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE svg PUBLIC \"x\" \"y\">\n"
        "<!-- Generated by graphviz -->\n<svg width=\"8pt\"><g><a "
        "xlink:href=\"#r-1\"><text>&lt;script&gt;</text></a></g></svg>\n";
    size_t n;
    const char *body = html_graph_svg_body(good, strlen(good), &n);
    ASSERT(body != NULL && strncmp(body, "<svg", 4) == 0);
    ASSERT(n == strlen(body) - 1); /* up to </svg>, without the newline */
    static const char *const bad[] = {
        "<svg><script>alert(1)</script></svg>",
        "<svg><foreignObject><p>x</p></foreignObject></svg>",
        "<svg><a xlink:href=\"https://example.com/\">x</a></svg>",
        "<svg><a href='javascript:alert(1)'>x</a></svg>",
        "<svg width=\"1\"><g></g>", "no svg at all"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (html_graph_svg_body(bad[i], strlen(bad[i]), &n) != NULL)
            FAIL_AT("accepted: %s", bad[i]);
    }
}

TEST(html_graph_write_falls_back_to_a_table)
{
    html_node nodes[] = {{"internet", NULL, NULL, 1, NULL},
                         {"<b>st</b>", "storage account", "#r-0", 0, NULL}};
    html_edge edges[] = {{0, 1, "default action Allow", HTML_EDGE_ALL}};
    html_graph g = {nodes, 2, edges, 1};
    char *out = NULL;
    size_t len;
    FILE *m = open_memstream(&out, &len);
    setenv("MOAT_DOT", "/nonexistent/dot", 1);
    html_drawn d = html_graph_write(m, &g);
    unsetenv("MOAT_DOT");
    fclose(m);
    ASSERT_EQ(d, HTML_DRAWN_TABLE);
    ASSERT(strstr(out, "Graphviz (dot) is not installed") != NULL);
    ASSERT(strstr(out, "<th scope=\"row\">internet</th>") != NULL);
    ASSERT(strstr(out, "&lt;b&gt;st&lt;/b&gt;") != NULL);
    ASSERT(strstr(out, "<b>") == NULL);
    free(out);
}
