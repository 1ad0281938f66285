/*
** args.c - option parsing for every subcommand: "--name value",
** "--name=value", repeated options kept in order, "--" ends options.
*/
#include "tool.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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
