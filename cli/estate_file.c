/*
** estate_file.c - read, lock and atomically replace an estate file.
**
** The lock is flock(2) on the estate file itself. A rename replaces the
** file's inode, so a waiter that wakes holding the lock of an inode that is
** no longer the file's opens the path again (the classic lock-then-verify
** loop); no lock file is left beside the estate.
*/
#define _DEFAULT_SOURCE /* flock, fchmod */
#include "estate_file.h"
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define TEMP_MARK ".moat-"

/* Opens path and locks it, until the locked inode is the path's. */
static int open_locked(const char *path)
{
    for (;;) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            cli_error("%s: %s", path, strerror(errno));
            return -1;
        }
        int rc;
        do
            rc = flock(fd, LOCK_EX);
        while (rc != 0 && errno == EINTR);
        struct stat held, now;
        if (rc != 0 || fstat(fd, &held) != 0) {
            cli_error("%s: cannot lock: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (stat(path, &now) == 0 && now.st_dev == held.st_dev &&
            now.st_ino == held.st_ino)
            return fd;
        close(fd); /* replaced while we waited: lock the new file */
    }
}

static char *read_fd(int fd, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        ssize_t got = read(fd, buf + n, cap - n - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            free(buf);
            return NULL;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n + 1 == cap) {
            char *p = realloc(buf, cap * 2);
            if (p == NULL) {
                free(buf);
                return NULL;
            }
            buf = p;
            cap *= 2;
        }
    }
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/* The directory of path and the name in it. */
static void split_path(const char *path, char *dir, size_t cap,
                       const char **base)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(dir, cap, ".");
        *base = path;
    } else {
        snprintf(dir, cap, "%.*s", slash == path ? 1 : (int)(slash - path),
                 path);
        *base = slash + 1;
    }
}

/* A command killed between writing its temporary file and renaming it
** leaves the temporary behind; under the lock no one else is writing one,
** so they are removed. */
static void remove_stale_temps(const char *path)
{
    char dir[4096], prefix[512];
    const char *base;
    split_path(path, dir, sizeof dir, &base);
    snprintf(prefix, sizeof prefix, ".%s" TEMP_MARK, base);
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            (void)unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

int estate_file_open(estate_file *f, const char *path)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->path = strdup(path);
    if (f->path == NULL)
        return -1;
    f->fd = open_locked(path);
    if (f->fd < 0)
        return -1;
    remove_stale_temps(path);
    f->text = read_fd(f->fd, &f->len);
    if (f->text == NULL) {
        cli_error("%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int write_all(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        text += n;
        len -= (size_t)n;
    }
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int estate_file_replace(estate_file *f, const char *text, size_t len)
{
    char dir[4096], tmp[4608];
    const char *base;
    split_path(f->path, dir, sizeof dir, &base);
    snprintf(tmp, sizeof tmp, "%s/.%s" TEMP_MARK "%ld", dir, base,
             (long)getpid());
    struct stat st;
    if (fstat(f->fd, &st) != 0)
        st.st_mode = 0644;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        cli_error("%s: cannot create a temporary file: %s", dir,
                  strerror(errno));
        return -1;
    }
    int ok = fchmod(fd, st.st_mode & 07777) == 0 &&
             write_all(fd, text, len) == 0 && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        saved = errno;
    }
    if (ok && rename(tmp, f->path) != 0) {
        ok = 0;
        saved = errno;
    }
    if (!ok) {
        unlink(tmp);
        cli_error("%s: not changed: %s", f->path, strerror(saved));
        return -1;
    }
    /* The rename is durable once the directory is. */
    if (fsync_dir(dir) != 0)
        cli_error("%s: written, but the directory could not be synced: %s",
                  f->path, strerror(errno));
    return 0;
}

void estate_file_close(estate_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    free(f->text);
    free(f->path);
    f->text = f->path = NULL;
}
