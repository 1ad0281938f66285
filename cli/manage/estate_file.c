/*
** estate_file.c - read, lock and atomically replace an estate file.
**
** The lock is flock(2) on the estate file itself. A rename replaces the
** file's inode, so a waiter that wakes holding the lock of an inode that is
** no longer the file's opens the path again (the classic lock-then-verify
** loop); no lock file is left beside the estate.
*/
#define _DEFAULT_SOURCE /* flock, fchmod, fchown, realpath */
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
    /* A symbolic link is followed once, here: the lock, the temporary
    ** file and the rename all work on the file it names. */
    f->target = realpath(path, NULL);
    if (f->target == NULL) {
        cli_error("%s: %s", path, strerror(errno));
        return -1;
    }
    f->fd = open_locked(f->target);
    if (f->fd < 0)
        return -1;
    remove_stale_temps(f->target);
    /* tool's reader: the estate files' cap; a directory or device refused. */
    f->text = cli_read_fd(f->fd, path, CLI_MAX_FILE_BYTES, &f->len);
    if (f->text == NULL)
        return -1;
    if (fstat(f->fd, &f->read) != 0) {
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

/* Whether the file may be replaced: someone may write it (a file without
** any write permission is read-only to moat even for root), and it has no
** other name that a rename would leave holding the old text. */
static int replaceable(const estate_file *f, const struct stat *st)
{
    int denied = access(f->target, W_OK) != 0 ? errno : 0;
    if (denied || (st->st_mode & 0222) == 0) {
        cli_error(
            "%s is read-only (mode %04o%s%s): nothing was written; make it writable to change it",
            f->path, (unsigned)(st->st_mode & 07777), denied ? ", " : "",
            denied ? strerror(denied) : "");
        return 0;
    }
    if (st->st_nlink > 1) {
        cli_error(
            "%s has %lu names (hard links): replacing it would leave the others with the old rules; nothing was written",
            f->path, (unsigned long)st->st_nlink);
        return 0;
    }
    return 1;
}

/* Says why the file was not changed (errno); returns 0. */
static int not_changed(const estate_file *f)
{
    cli_error("%s: not changed: %s", f->path, strerror(errno));
    return 0;
}

/* Gives the temporary file fd the estate file's owner, group and mode. */
static int same_owner_and_mode(const estate_file *f, int fd,
                               const struct stat *st)
{
    struct stat t;
    if (fstat(fd, &t) != 0)
        return not_changed(f);
    if ((t.st_uid != st->st_uid || t.st_gid != st->st_gid) &&
        fchown(fd, st->st_uid, st->st_gid) != 0) {
        cli_error(
            "%s belongs to user %lu, group %lu, which moat cannot give its new text (%s): nothing was written",
            f->path, (unsigned long)st->st_uid, (unsigned long)st->st_gid,
            strerror(errno));
        return 0;
    }
    return fchmod(fd, st->st_mode & 07777) == 0 ? 1 : not_changed(f);
}

/* Whether the file is still what moat read: the path names the same file,
** whose size, modification time and text are unchanged. A program that
** does not take the lock may have written it since (an editor saving, a
** script); renaming over its change would undo it without a word. */
static int unchanged_since_read(const estate_file *f)
{
    struct stat now, held;
    char *target = realpath(f->path, NULL);
    int same = target && strcmp(target, f->target) == 0 &&
               stat(f->target, &now) == 0 && fstat(f->fd, &held) == 0 &&
               now.st_dev == f->read.st_dev && now.st_ino == f->read.st_ino &&
               held.st_size == f->read.st_size &&
               held.st_mtim.tv_sec == f->read.st_mtim.tv_sec &&
               held.st_mtim.tv_nsec == f->read.st_mtim.tv_nsec;
    free(target);
    size_t len;
    char *text = NULL;
    if (same && lseek(f->fd, 0, SEEK_SET) != 0) {
        cli_error(
            "%s: cannot read it again to see that no one changed it: %s; nothing was written",
            f->path, strerror(errno));
        return 0;
    }
    /* The reader says why it could not (read error, out of memory). */
    if (same && (text = cli_read_fd(f->fd, f->path, CLI_MAX_FILE_BYTES,
                                    &len)) == NULL) {
        cli_error(
            "%s: cannot read it again to see that no one changed it; nothing was written",
            f->path);
        return 0;
    }
    same = same && len == f->len && memcmp(text, f->text, len) == 0;
    free(text);
    if (!same)
        cli_error(
            "%s changed since moat read it (another program wrote it): nothing was written, that change is kept; run the command again to change the file as it is now",
            f->path);
    return same;
}

int estate_file_replace(estate_file *f, const char *text, size_t len)
{
    char dir[4096], tmp[4608];
    const char *base;
    split_path(f->target, dir, sizeof dir, &base);
    snprintf(tmp, sizeof tmp, "%s/.%s" TEMP_MARK "%ld", dir, base,
             (long)getpid());
    struct stat st;
    if (fstat(f->fd, &st) != 0) {
        not_changed(f);
        return -1;
    }
    if (!replaceable(f, &st))
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        cli_error("%s: cannot create a temporary file: %s", dir,
                  strerror(errno));
        return -1;
    }
    int ok = same_owner_and_mode(f, fd, &st);
    if (ok && (write_all(fd, text, len) != 0 || fsync(fd) != 0))
        ok = not_changed(f);
    if (close(fd) != 0 && ok)
        ok = not_changed(f);
    /* As late as can be: the check, then at once the rename. */
    if (ok && !unchanged_since_read(f))
        ok = 0;
    if (ok && rename(tmp, f->target) != 0)
        ok = not_changed(f);
    if (!ok) {
        unlink(tmp);
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
    free(f->target);
    f->text = f->path = f->target = NULL;
}
