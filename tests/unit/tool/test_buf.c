/*
** test_buf.c - tool's one buffer (tool/buf.c): appending and formatting
** past every size the old buffers had (256 bytes, 1 KiB, 2 KiB), the size
** cap, an allocation that fails (through the buffer's grow hook), the
** sticky flag, reset and take; and tool's one file reader
** (tool/read_file.c) on a file, a pipe, a directory, a device and a file
** over its cap.
*/
#include "harness.h"

#include "buf.h"
#include "tool.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

TEST(tool_buf_put_printf_json_take)
{
    tool_buf b = {0};
    tb_puts(&b, "ab");
    tb_put(&b, "cdef", 2);
    tb_printf(&b, "-%d-%s", 42, "x");
    ASSERT_STR(b.s, "abcd-42-x");
    ASSERT_EQ(b.len, 9);
    tb_json(&b, "q\"\\\n\x01\x7f\xc3\xa9", 8);
    ASSERT_STR(b.s, "abcd-42-x\"q\\\"\\\\\\u000a\\u0001\x7f\xc3\xa9\"");
    tb_reset(&b);
    ASSERT_EQ(b.len, 0);
    ASSERT_STR(b.s, "");
    tb_json_str(&b, "plain");
    ASSERT_STR(b.s, "\"plain\"");
    size_t n = 0;
    char *s = tb_take(&b, &n);
    ASSERT_STR(s, "\"plain\"");
    ASSERT_EQ(n, 7);
    ASSERT(b.s == NULL && b.len == 0 && b.cap == 0);
    free(s);
    /* Nothing put: take hands over "". */
    s = tb_take(&b, &n);
    ASSERT_STR(s, "");
    ASSERT_EQ(n, 0);
    free(s);
    /* An empty format still leaves a C string. */
    tb_printf(&b, "%s", "");
    ASSERT(b.s != NULL && b.s[0] == '\0' && !b.failed);
    tb_free(&b);
}

/* Formatting never cuts: texts longer than any fixed buffer the old code
** had, from an empty buffer and from one whose room is nearly used. */
TEST(tool_buf_printf_long_strings_whole)
{
    static const size_t sizes[] = {255, 256, 257, 1023, 1024, 1025,
                                   2047, 2048, 2049, 70000};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t len = sizes[k];
        char *name = malloc(len + 1);
        ASSERT(name != NULL);
        for (size_t i = 0; i < len; i++)
            name[i] = (char)('a' + i % 26);
        name[len] = '\0';
        for (size_t pre = 0; pre < 300; pre += 37) {
            tool_buf b = {0};
            for (size_t i = 0; i < pre; i++)
                tb_put(&b, "p", 1);
            tb_printf(&b, "%s:%zu: %s\n", name, len, "unmapped");
            char tail[64];
            int t = snprintf(tail, sizeof tail, ":%zu: unmapped\n", len);
            ASSERT(!b.failed);
            ASSERT_EQ(b.len, pre + len + (size_t)t);
            ASSERT(memcmp(b.s + pre, name, len) == 0);
            ASSERT_STR(b.s + pre + len, tail);
            ASSERT_EQ(b.s[b.len], '\0');
            tb_free(&b);
        }
        free(name);
    }
}

TEST(tool_buf_cap_is_sticky)
{
    tool_buf b = {.max = 16};
    tb_puts(&b, "0123456789abcdef"); /* exactly the cap */
    ASSERT(!b.failed);
    ASSERT_EQ(b.len, 16);
    tb_put(&b, "x", 1);
    ASSERT(b.failed);
    ASSERT_EQ(b.len, 16);
    ASSERT_STR(b.s, "0123456789abcdef"); /* what was there, untouched */
    /* Sticky: a later append that would fit does nothing. */
    tb_reset(&b);
    ASSERT(!b.failed);
    tb_printf(&b, "%020d", 7);
    ASSERT(b.failed);
    tb_puts(&b, "ok");
    ASSERT_EQ(b.len, 0);
    ASSERT(tb_take(&b, NULL) == NULL);
    ASSERT(b.s == NULL && !b.failed);
    ASSERT_EQ(b.max, 16);
    /* A reservation past the cap fails the same way. */
    ASSERT_EQ(tb_reserve(&b, 18), -1);
    ASSERT(b.failed);
    tb_free(&b);
    /* A length that would wrap size_t is refused, not wrapped. */
    tool_buf w = {0};
    tb_puts(&w, "a");
    tb_put(&w, "b", (size_t)-1);
    ASSERT(w.failed);
    tb_free(&w);
}

static int grows_left;
static void *failing_grow(void *p, size_t n)
{
    if (grows_left-- <= 0)
        return NULL;
    return realloc(p, n);
}

TEST(tool_buf_out_of_memory)
{
    /* The first allocation fails. */
    grows_left = 0;
    tool_buf b = {.grow = failing_grow};
    tb_puts(&b, "x");
    ASSERT(b.failed && b.s == NULL && b.len == 0);
    ASSERT(tb_take(&b, NULL) == NULL);
    /* The buffer grows once, then no more: the long line fails whole. */
    grows_left = 1;
    tb_puts(&b, "first");
    ASSERT(!b.failed);
    char big[3000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    tb_printf(&b, "%s", big);
    ASSERT(b.failed);
    ASSERT_STR(b.s, "first"); /* the text before it, still a C string */
    tb_puts(&b, "!"); /* would fit, but the buffer failed */
    ASSERT_STR(b.s, "first");
    /* The JSON appender fails the same way. */
    tb_reset(&b);
    grows_left = 0;
    tb_json(&b, big, sizeof big - 1);
    ASSERT(b.failed);
    /* take frees what there was and says the text is lost. */
    ASSERT(tb_take(&b, NULL) == NULL);
    ASSERT(b.s == NULL);
    tb_free(&b);
}

/* A file of n bytes of 'z' in a temporary directory; its path in path. */
static int temp_file(char *path, size_t cap, size_t n)
{
    snprintf(path, cap, "/tmp/moat-unit-read-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    char block[4096];
    memset(block, 'z', sizeof block);
    for (size_t left = n; left;) {
        size_t k = left < sizeof block ? left : sizeof block;
        if (write(fd, block, k) != (ssize_t)k)
            break;
        left -= k;
    }
    close(fd);
    return 0;
}

/* What cli_read_fd reads from a pipe that carried text. */
static char *from_pipe(const char *text, size_t *len)
{
    int p[2];
    if (pipe(p) != 0)
        return NULL;
    size_t n = strlen(text);
    int wrote = write(p[1], text, n) == (ssize_t)n;
    close(p[1]);
    char *got = wrote ? cli_read_fd(p[0], "pipe", 1024, len) : NULL;
    close(p[0]);
    return got;
}

TEST(tool_read_file_and_fd)
{
    char path[64];
    ASSERT(temp_file(path, sizeof path, 200000) == 0);
    size_t len = 0;
    char *text = cli_read_file(path, &len);
    ASSERT(text != NULL);
    ASSERT_EQ(len, 200000);
    ASSERT_EQ(text[len], '\0');
    ASSERT(text[0] == 'z' && text[len - 1] == 'z');
    free(text);
    /* The same file through an fd, at its exact size and one byte short. */
    int fd = open(path, O_RDONLY);
    ASSERT(fd >= 0);
    text = cli_read_fd(fd, path, 200000, &len);
    ASSERT(text != NULL && len == 200000);
    free(text);
    ASSERT(lseek(fd, 0, SEEK_SET) == 0);
    ASSERT(cli_read_fd(fd, path, 199999, &len) == NULL);
    close(fd);
    unlink(path);
    /* A pipe is read to its end; an empty one is "". */
    text = from_pipe("piped text", &len);
    ASSERT_STR(text, "piped text");
    ASSERT_EQ(len, 10);
    free(text);
    text = from_pipe("", &len);
    ASSERT_STR(text, "");
    ASSERT_EQ(len, 0);
    free(text);
    /* A directory, a device and a missing file are refused. */
    ASSERT(cli_read_file("/tmp", &len) == NULL);
    ASSERT(cli_read_file("/dev/null", &len) == NULL);
    ASSERT(cli_read_file("/nonexistent/moat-unit", &len) == NULL);
}
