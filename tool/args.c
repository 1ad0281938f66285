/*
** args.c - option parsing for every subcommand: "--name value",
** "--name=value", repeated options kept in order, "--" ends options.
*/
#include "tool.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("moat: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("moat: ", stderr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'moat %s --help'.\n", command);
    va_end(ap);
    return EXIT_USAGE;
}

static const cli_spec *find_spec(const cli_spec *spec, const char *name,
                                 size_t n)
{
    for (; spec->name; spec++) {
        if (strlen(spec->name) == n && strncmp(spec->name, name, n) == 0)
            return spec;
    }
    return NULL;
}

static const cli_spec *find_short(const cli_spec *spec, char c)
{
    for (; spec->name; spec++) {
        if (spec->short_name == c)
            return spec;
    }
    return NULL;
}

int cli_parse(int argc, char **argv, const cli_spec *spec, cli_args *out,
              const char *command)
{
    memset(out, 0, sizeof *out);
    int options_done = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (out->n_operands == CLI_MAX_ARGS)
                return cli_usage_error(command, "too many arguments"), -1;
            out->operands[out->n_operands++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = 1;
            continue;
        }
        const cli_spec *s;
        const char *value = NULL;
        if (arg[1] == '-') {
            const char *name = arg + 2;
            const char *eq = strchr(name, '=');
            size_t n = eq ? (size_t)(eq - name) : strlen(name);
            s = find_spec(spec, name, n);
            if (s == NULL) {
                cli_usage_error(command, "unknown option '--%.*s'", (int)n,
                                name);
                return -1;
            }
            if (eq) {
                if (!s->takes_value) {
                    cli_usage_error(command, "option '--%s' takes no value",
                                    s->name);
                    return -1;
                }
                value = eq + 1;
            }
        } else {
            s = arg[2] == '\0' ? find_short(spec, arg[1]) : NULL;
            if (s == NULL) {
                cli_usage_error(command, "unknown option '%s'", arg);
                return -1;
            }
        }
        if (s->takes_value == CLI_OPTIONAL && value == NULL) {
            if (i + 1 < argc && argv[i + 1][0] != '-')
                value = argv[++i];
        } else if (s->takes_value && value == NULL) {
            if (i + 1 >= argc) {
                cli_usage_error(command, "option '--%s' needs a value",
                                s->name);
                return -1;
            }
            value = argv[++i];
        }
        if (out->n_opts == CLI_MAX_ARGS) {
            cli_usage_error(command, "too many options");
            return -1;
        }
        out->opts[out->n_opts].name = s->name;
        out->opts[out->n_opts].value = value;
        out->opts[out->n_opts].more = 0;
        out->n_opts++;
        /* az's lists: "--ip-address 1.2.3.4 5.6.7.0/24" takes each word up
        ** to the next option. */
        while (s->takes_value == CLI_VALUES && i + 1 < argc &&
               (argv[i + 1][0] != '-' || strcmp(argv[i + 1], "-") == 0)) {
            if (out->n_opts == CLI_MAX_ARGS) {
                cli_usage_error(command, "too many options");
                return -1;
            }
            out->opts[out->n_opts].name = s->name;
            out->opts[out->n_opts].value = argv[++i];
            out->opts[out->n_opts].more = 1;
            out->n_opts++;
        }
    }
    return 0;
}

const char *cli_get(const cli_args *a, const char *name)
{
    const char *v = NULL;
    for (int i = 0; i < a->n_opts; i++) {
        if (strcmp(a->opts[i].name, name) == 0)
            v = a->opts[i].value;
    }
    return v;
}

int cli_has(const cli_args *a, const char *name)
{
    return cli_count(a, name) > 0;
}

int cli_count(const cli_args *a, const char *name)
{
    int n = 0;
    for (int i = 0; i < a->n_opts; i++)
        n += strcmp(a->opts[i].name, name) == 0;
    return n;
}

void cli_json_str(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;
         p++) {
        switch (*p) {
        case '"': fputs("\\\"", fp); break;
        case '\\': fputs("\\\\", fp); break;
        case '\n': fputs("\\n", fp); break;
        case '\r': fputs("\\r", fp); break;
        case '\t': fputs("\\t", fp); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(fp, "\\u%04x", *p);
            else
                fputc(*p, fp);
        }
    }
    fputc('"', fp);
}

int cli_format(const cli_args *a, int default_json)
{
    const char *f = cli_get(a, "format");
    if (f == NULL)
        return default_json;
    if (strcmp(f, "json") == 0)
        return 1;
    if (strcmp(f, "text") == 0)
        return 0;
    return -1;
}

/* Whether fp may be read as a whole file: a regular file, or a pipe (stdin,
** or a shell's process substitution, which ends when its writer does). A
** device (/dev/zero, a tty), a socket or a directory is refused: it may
** never end, or it is not text. */
static int readable_whole(FILE *fp, const char *path)
{
    struct stat st;
    if (fstat(fileno(fp), &st) != 0) {
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

char *cli_read_file(const char *path, size_t *len)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (fp == NULL) {
        cli_error("%s: %s", path, strerror(errno));
        return NULL;
    }
    if (!readable_whole(fp, path)) {
        if (fp != stdin)
            fclose(fp);
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    int too_big = 0;
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (n + 1 < cap)
            break;
        if (n >= CLI_MAX_FILE_BYTES) {
            too_big = 1;
            break;
        }
        char *p = realloc(buf, cap * 2);
        if (p == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = p;
        cap *= 2;
    }
    int bad = ferror(fp);
    if (fp != stdin)
        fclose(fp);
    if (buf == NULL || bad || too_big) {
        if (too_big)
            cli_error("%s: larger than %u bytes: nothing was read", path,
                      CLI_MAX_FILE_BYTES);
        else
            cli_error("%s: %s", path, buf ? "read error" : "out of memory");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

void cli_csv_field(FILE *fp, const char *s, int last)
{
    s = s ? s : "";
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', fp);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', fp);
            fputc(*s, fp);
        }
        fputc('"', fp);
    } else {
        fputs(s, fp);
    }
    fputs(last ? "\r\n" : ",", fp);
}
