/*
** read_file.c - the one whole-file reader of the command line, serve, fuzz
** and bench: a regular file or a pipe, read to its end into a tool_buf
** capped at the caller's limit, or refused with a message that says why.
*/
#include "buf.h"
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_STEP 65536u

/* Whether fd may be read as a whole file: a regular file, or a pipe (stdin,
** or a shell's process substitution, which ends when its writer does). A
** device (/dev/zero, a tty), a socket or a directory is refused: it may
** never end, or it is not text. */
static int readable_whole(int fd, const char *path)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        cli_error("%s: %s", path, strerror(errno));
        return 0;
    }
    if (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode))
        return 1;
    cli_error("%s: not a regular file (%s): nothing was read", path,
              S_ISDIR(st.st_mode)                          ? "a directory"
              : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
              : S_ISSOCK(st.st_mode)                       ? "a socket"
                                                           : "not a file");
    return 0;
}

/* Reads fd to its end into b, at most max + 1 bytes (one more than allowed
** tells a file that is too large). 0, or -1 with errno set by read(2). */
static int read_to_end(int fd, tool_buf *b, size_t max)
{
    for (;;) {
        size_t want = max + 1 - b->len;
        if (want == 0)
            return 0;
        if (want > READ_STEP)
            want = READ_STEP;
        if (tb_reserve(b, b->len + want + 1) != 0)
            return 0;
        b->s[b->len] = '\0'; /* an empty file is "" */
        ssize_t got = read(fd, b->s + b->len, want);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -1;
        if (got == 0)
            return 0;
        b->len += (size_t)got;
        b->s[b->len] = '\0'; /* reserved above */
    }
}

static char *read_fd(int fd, const char *path, size_t max, size_t *len);

char *cli_read_fd(int fd, const char *path, size_t max, size_t *len)
{
    if (!readable_whole(fd, path))
        return NULL;
    return read_fd(fd, path, max, len);
}

char *cli_read_stdin_text(size_t max, size_t *len)
{
    if (isatty(STDIN_FILENO))
        return read_fd(STDIN_FILENO, "-", max, len);
    return cli_read_fd(STDIN_FILENO, "-", max, len);
}

/* fd read to its end (at most max bytes), or NULL after saying why. */
static char *read_fd(int fd, const char *path, size_t max, size_t *len)
{
    if (max >= (size_t)-2)
        max = (size_t)-3;
    tool_buf b = {.max = max + 1};
    int bad = read_to_end(fd, &b, max);
    if (bad || b.failed || b.len > max) {
        if (bad)
            cli_error("%s: read error", path);
        else if (b.len > max)
            cli_error("%s: larger than %zu bytes: nothing was read", path,
                      max);
        else
            cli_error("%s: out of memory", path);
        tb_free(&b);
        return NULL;
    }
    return tb_take(&b, len);
}

char *cli_read_file(const char *path, size_t *len)
{
    int is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cli_error("%s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = cli_read_fd(fd, path, CLI_MAX_FILE_BYTES, len);
    if (!is_stdin)
        close(fd);
    return text;
}
