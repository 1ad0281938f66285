/*
** child.c - a program run as a filter with limits (child.h).
**
** fork and execvp, never a shell: no argument is ever parsed as a command
** line. Both pipes are non-blocking and served by one poll() loop, so a
** child that writes before it has read everything (dot may) cannot
** deadlock us; SIGPIPE is ignored while writing, so a child that exits
** early is an error, not the death of moat.
*/
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXEC_FAILED 127 /* the child's status when execvp fails */

typedef struct filter_io {
    const char *in;
    size_t in_len, in_done;
    char *out;
    size_t out_len, out_cap, max_out;
    int to_child, from_child; /* -1 once closed */
} filter_io;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* In the child: stdin and stdout from the pipes, stderr to /dev/null. */
static void exec_child(const char *const argv[], int in_fd, int out_fd)
{
    int null_fd = open("/dev/null", O_WRONLY);
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 ||
        (null_fd >= 0 && dup2(null_fd, 2) < 0))
        _exit(EXEC_FAILED);
    execvp(argv[0], (char *const *)argv);
    _exit(EXEC_FAILED);
}

/* Writes what is left of the input; closes the pipe when all is written
** or the child stopped reading. */
static void feed(filter_io *io)
{
    ssize_t n = write(io->to_child, io->in + io->in_done,
                      io->in_len - io->in_done);
    if (n > 0)
        io->in_done += (size_t)n;
    if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
        io->in_done == io->in_len)
        close_fd(&io->to_child);
}

/* Reads what the child wrote; 0, or -1 past max_out or without memory. */
static int drain(filter_io *io)
{
    if (io->out_cap - io->out_len < 4096) {
        size_t cap = io->out_cap ? io->out_cap * 2 : 65536;
        char *grown = realloc(io->out, cap + 1);
        if (grown == NULL)
            return -1;
        io->out = grown;
        io->out_cap = cap;
    }
    ssize_t n = read(io->from_child, io->out + io->out_len,
                     io->out_cap - io->out_len);
    if (n > 0)
        io->out_len += (size_t)n;
    else if (n == 0 || (errno != EAGAIN && errno != EINTR))
        close_fd(&io->from_child);
    return io->out_len > io->max_out ? -1 : 0;
}

/* Serves both pipes until the child closes its stdout; CHILD_OK, or why
** it stopped. */
static child_status pump(filter_io *io, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    while (io->from_child >= 0) {
        struct pollfd fds[2] = {{io->from_child, POLLIN, 0},
                                {io->to_child, POLLOUT, 0}};
        long long left = deadline - now_ms();
        if (left <= 0)
            return CHILD_TIMEOUT;
        int r = poll(fds, io->to_child >= 0 ? 2 : 1, (int)left);
        if (r < 0 && errno != EINTR)
            return CHILD_SYSTEM;
        if (r > 0 && io->to_child >= 0 && fds[1].revents)
            feed(io);
        if (r > 0 && fds[0].revents && drain(io) != 0)
            return CHILD_TOO_LARGE;
    }
    return CHILD_OK;
}

static int make_pipe(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

/* Waits for the child (killing it first unless it ended by itself) and
** turns its exit into a status. */
static child_status reap(pid_t pid, child_status so_far)
{
    int st = 0;
    if (so_far != CHILD_OK)
        kill(pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (so_far != CHILD_OK)
        return so_far;
    if (WIFEXITED(st) && WEXITSTATUS(st) == EXEC_FAILED)
        return CHILD_NOT_FOUND;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? CHILD_OK : CHILD_FAILED;
}

static child_status spawn_and_pump(const char *const argv[], filter_io *io,
                                   int timeout_ms)
{
    int in_pipe[2], out_pipe[2];
    if (make_pipe(in_pipe) != 0)
        return CHILD_SYSTEM;
    if (make_pipe(out_pipe) != 0) {
        close(in_pipe[0]), close(in_pipe[1]);
        return CHILD_SYSTEM;
    }
    pid_t pid = fork();
    if (pid == 0)
        exec_child(argv, in_pipe[0], out_pipe[1]);
    close(in_pipe[0]), close(out_pipe[1]);
    io->to_child = in_pipe[1], io->from_child = out_pipe[0];
    if (pid < 0) {
        close_fd(&io->to_child), close_fd(&io->from_child);
        return CHILD_SYSTEM;
    }
    fcntl(io->to_child, F_SETFL, O_NONBLOCK);
    fcntl(io->from_child, F_SETFL, O_NONBLOCK);
    if (io->in_len == 0)
        close_fd(&io->to_child);
    child_status st = pump(io, timeout_ms);
    close_fd(&io->to_child), close_fd(&io->from_child);
    return reap(pid, st);
}

child_status child_filter(const char *const argv[], const char *in,
                          size_t in_len, int timeout_ms, size_t max_out,
                          char **out, size_t *out_len)
{
    filter_io io = {in, in_len, 0, NULL, 0, 0, max_out, -1, -1};
    struct sigaction ignore, saved;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, &saved);
    child_status st = spawn_and_pump(argv, &io, timeout_ms);
    sigaction(SIGPIPE, &saved, NULL);
    *out = NULL;
    *out_len = 0;
    if (st != CHILD_OK) {
        free(io.out);
        return st;
    }
    if (io.out == NULL && (io.out = malloc(1)) == NULL)
        return CHILD_SYSTEM;
    io.out[io.out_len] = '\0';
    *out = io.out;
    *out_len = io.out_len;
    return CHILD_OK;
}

const char *child_status_name(child_status s)
{
    static const char *const names[] = {
        "ok", "not found", "failed", "timed out", "output too large",
        "system error"};
    return names[s];
}
