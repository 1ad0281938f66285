/*
** serve_main.c - `moat serve`: options and the configuration file, the
** workers, and the signals: SIGHUP reloads the estate, SIGUSR1 reopens the
** decision log, SIGTERM and SIGINT stop gracefully. Signals are taken by
** the main thread alone (sigtimedwait), which also looks for changed files
** between signals; the workers never see one.
*/
#include "tool.h"
#include "serve.h"

#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: moat serve --estate PATH [--estate PATH ...] [--listen HOST:PORT]\n"
    "                  [--topology FILE] [--jwks FILE] [--decision-log FILE]\n"
    "                  [--config FILE] [options]\n"
    "\n"
    "A decision service: POST /v1/check (decision.md requests, one or an\n"
    "array), /v1/authz/... for Envoy's ext_authz (HTTP service) and nginx\n"
    "auth_request (200 allows, Azure's 403 denies; x-moat-category and\n"
    "x-moat-rule say why), GET /healthz, GET /metrics (Prometheus).\n"
    "\n"
    "  --listen HOST:PORT      default 127.0.0.1:8080\n"
    "  --threads N             worker threads (default: one per CPU it may\n"
    "                          use: taskset and cpusets count)\n"
    "  --account-from host|path  how /v1/authz finds the account (default\n"
    "                          host: <account>.blob.core.windows.net)\n"
    "  --endpoint NAME         the endpoint of path-style requests (blob)\n"
    "  --jwt-issuer ISS        required token issuer (default: any)\n"
    "  --jwt-audience AUD      required token audience (default: any)\n"
    "  --max-body BYTES        largest request body (default 1048576)\n"
    "  --timeout SECONDS       to read a request (default 10)\n"
    "  --poll SECONDS          how often the files are checked for changes\n"
    "                          (default 1; 0: only on SIGHUP)\n"
    "  --settle SECONDS        a change is loaded once the files have been\n"
    "                          still this long (default 3)\n"
    "  --shutdown-timeout S    longest wait for requests in flight at\n"
    "                          SIGTERM (default 10)\n"
    "  --trust-header NAME     believe this header from the proxy in front\n"
    "                          (repeatable): X-Real-IP, X-Forwarded-For\n"
    "                          (the client), X-Moat-Local-Address (the\n"
    "                          listener: private endpoints), X-Original-URI,\n"
    "                          X-Original-Method, X-Original-Host,\n"
    "                          X-Forwarded-Host. Default: none; the client\n"
    "                          is the TCP peer, the method, path and Host are\n"
    "                          the request's own. Trust only what the proxy\n"
    "                          sets or clears on every request\n"
    "  --forwarded-hops N      the client is the Nth X-Forwarded-For entry\n"
    "                          from the right, all lines as one list\n"
    "                          (default 1: the proxy right in front's)\n"
    "  --lenient               validation errors in the estate are warnings\n"
    "  --service-tags FILE     Azure's ServiceTags_Public_<date>.json: key\n"
    "                          vaults' perimeter service-tag rules admit\n"
    "  --config FILE           the same settings, one per line: NAME VALUE\n"
    "                          ('estate' may repeat; '#' starts a comment);\n"
    "                          flags given on the command line win\n"
    "\n"
    "A request whose head says two things (two Content-Length lines, or\n"
    "Content-Length with Transfer-Encoding, two Host lines, two lines of a\n"
    "trusted header that names one thing) is refused with 400, and its\n"
    "connection closed.\n"
    "\n"
    "The estate reloads on SIGHUP and when its files change (once they have\n"
    "been still for --settle): it is loaded aside and swapped in whole; one\n"
    "that does not load leaves the previous one in force. A file of the\n"
    "estate in force that vanishes is let go on SIGHUP only: until then the\n"
    "estate in force stays. Both are reported on stderr, /healthz and\n"
    "/metrics. SIGUSR1 reopens the decision log; SIGTERM finishes the\n"
    "requests in flight.\n"
    "\n"
    "Exit status: 0 stopped, 2 usage error, 3 the estate does not load at\n"
    "start, 4 cannot listen.\n";

static const cli_spec spec[] = {
    {"estate", 1, 'e'},     {"listen", 1, 'l'},         {"topology", 1, 0},
    {"jwks", 1, 0},         {"jwt-issuer", 1, 0},       {"jwt-audience", 1, 0},
    {"decision-log", 1, 0}, {"account-from", 1, 0},     {"endpoint", 1, 0},
    {"threads", 1, 0},      {"max-body", 1, 0},         {"timeout", 1, 0},
    {"poll", 1, 0},         {"shutdown-timeout", 1, 0}, {"config", 1, 'c'},
    {"lenient", 0, 0},      {"trust-header", 1, 0},     {"forwarded-hops", 1, 0},
    {"settle", 1, 0},       {"service-tags", 1, 0},     {"help", 0, 'h'},
    {NULL, 0, 0},
};

/* A number in [min, max]; -1 after printing why. */
static long number(const char *name, const char *v, long min, long max)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || end == v || n < min || n > max) {
        cli_usage_error("serve",
                        "--%s takes a number from %ld to %ld, not '%s'", name,
                        min, max, v);
        return -1;
    }
    return n;
}

/* The settings that are a file, an address or a name, as given. */
static const struct {
    const char *name;
    size_t offset; /* of the const char * in srv_settings */
} text_settings[] = {
    {"listen", offsetof(srv_settings, listen)},
    {"topology", offsetof(srv_settings, topology)},
    {"jwks", offsetof(srv_settings, jwks)},
    {"jwt-issuer", offsetof(srv_settings, issuer)},
    {"jwt-audience", offsetof(srv_settings, audience)},
    {"decision-log", offsetof(srv_settings, decision_log)},
    {"endpoint", offsetof(srv_settings, endpoint)},
};

/* The settings that are numbers: their range, and what they are stored as
** (i: int, z: size_t, s: unsigned milliseconds from seconds). */
static const struct {
    const char *name;
    long min, max;
    size_t offset;
    char kind;
} number_settings[] = {
    {"threads", 1, 256, offsetof(srv_settings, threads), 'i'},
    {"max-body", 1024, 1L << 30, offsetof(srv_settings, max_body), 'z'},
    {"timeout", 1, 3600, offsetof(srv_settings, timeout_ms), 's'},
    {"poll", 0, 3600, offsetof(srv_settings, poll_ms), 's'},
    {"settle", 0, 3600, offsetof(srv_settings, settle_ms), 's'},
    {"shutdown-timeout", 0, 3600, offsetof(srv_settings, shutdown_ms), 's'},
    {"forwarded-hops", 1, 64, offsetof(srv_settings, forwarded_hops), 'i'},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A setting of the tables above; 1 when name is one, -1 on a bad value. */
static int apply_table(srv_settings *st, const char *name, const char *value)
{
    char *base = (char *)st;
    for (size_t i = 0; i < COUNT(text_settings); i++)
        if (strcmp(name, text_settings[i].name) == 0) {
            memcpy(base + text_settings[i].offset, &value, sizeof value);
            return 1;
        }
    for (size_t i = 0; i < COUNT(number_settings); i++) {
        if (strcmp(name, number_settings[i].name) != 0)
            continue;
        long n = number(name, value, number_settings[i].min,
                        number_settings[i].max);
        if (n < 0)
            return -1;
        void *at = base + number_settings[i].offset;
        int as_int = (int)n;
        size_t as_size = (size_t)n;
        unsigned as_ms = (unsigned)n * 1000;
        if (number_settings[i].kind == 'i')
            memcpy(at, &as_int, sizeof as_int);
        else if (number_settings[i].kind == 'z')
            memcpy(at, &as_size, sizeof as_size);
        else
            memcpy(at, &as_ms, sizeof as_ms);
        return 1;
    }
    return 0;
}

/* Settings from name and value (a flag or a configuration line). */
static int apply(srv_settings *st, const char *name, const char *value)
{
    int rc = apply_table(st, name, value);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (strcmp(name, "estate") == 0) {
        if (st->n_estates == SRV_MAX_ESTATES)
            return cli_usage_error("serve", "too many estates"), -1;
        st->estates[st->n_estates++] = value;
    } else if (strcmp(name, "account-from") == 0) {
        if (strcmp(value, "host") != 0 && strcmp(value, "path") != 0)
            return cli_usage_error(
                       "serve", "--account-from takes host or path, not '%s'",
                       value),
                   -1;
        st->account_from =
            value[0] == 'h' ? ACCOUNT_FROM_HOST : ACCOUNT_FROM_PATH;
    } else if (strcmp(name, "lenient") == 0) {
        st->lenient = strcmp(value, "no") != 0 && strcmp(value, "0") != 0;
    } else if (strcmp(name, "service-tags") == 0) {
        st->service_tags = value;
    } else if (strcmp(name, "trust-header") == 0) {
        unsigned bit = srv_trust_bit(value);
        if (bit == 0)
            return cli_usage_error(
                       "serve",
                       "--trust-header %s: moat reads no such header; it trusts X-Real-IP, X-Forwarded-For, X-Moat-Local-Address, X-Original-URI, X-Original-Method, X-Original-Host, X-Forwarded-Host",
                       value),
                   -1;
        st->trusted |= bit;
    } else {
        return cli_usage_error("serve", "unknown setting '%s'", name), -1;
    }
    return 0;
}

/* The configuration file: "name value" lines. Its text stays allocated:
** the settings point into it. */
static int read_config(srv_settings *st, const char *path, char **text)
{
    size_t len;
    *text = cli_read_file(path, &len);
    if (*text == NULL)
        return -1;
    unsigned line = 0;
    for (char *p = *text, *next; p && *p; p = next) {
        line++;
        next = strchr(p, '\n');
        if (next)
            *next++ = '\0';
        char *hash = strchr(p, '#');
        if (hash)
            *hash = '\0';
        char *name = p + strspn(p, " \t\r");
        if (*name == '\0')
            continue;
        char *value = name + strcspn(name, " \t\r");
        if (*value)
            *value++ = '\0';
        value += strspn(value, " \t\r");
        char *end = value + strlen(value);
        while (end > value &&
               (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
            *--end = '\0';
        if (*value == '\0' && strcmp(name, "lenient") != 0) {
            fprintf(stderr, "%s:%u: error: '%s' needs a value\n", path, line,
                    name);
            return -1;
        }
        if (apply(st, name, *value ? value : "yes") != 0) {
            fprintf(stderr, "%s:%u: in the configuration file\n", path, line);
            return -1;
        }
    }
    return 0;
}

static int settings_from(srv_settings *st, const cli_args *a, char **config)
{
    memset(st, 0, sizeof *st);
    st->listen = "127.0.0.1:8080";
    st->account_from = ACCOUNT_FROM_HOST;
    st->max_body = 1 << 20;
    st->timeout_ms = 10000;
    st->poll_ms = 1000;
    st->settle_ms = 3000;
    st->shutdown_ms = 10000;
    st->forwarded_hops = 1;
    st->threads = cli_cpus();
    *config = NULL;
    if (cli_has(a, "config") && read_config(st, cli_get(a, "config"), config))
        return -1;
    /* The command line's estates and trusted headers replace the file's. */
    if (cli_has(a, "estate"))
        st->n_estates = 0;
    if (cli_has(a, "trust-header"))
        st->trusted = 0;
    for (int i = 0; i < a->n_opts; i++) {
        const char *name = a->opts[i].name;
        if (strcmp(name, "config") == 0 || strcmp(name, "help") == 0)
            continue;
        if (apply(st, name, a->opts[i].value ? a->opts[i].value : "yes"))
            return -1;
    }
    if (st->n_estates == 0)
        return cli_usage_error("serve", "no estate: give --estate PATH"), -1;
    return 0;
}

/* Waits for signals, reloading on SIGHUP and when files change, until
** SIGTERM or SIGINT. */
static void supervise(srv_state *s, const sigset_t *signals)
{
    for (;;) {
        unsigned ms = s->settings->poll_ms;
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
        int sig =
            ms ? sigtimedwait(signals, NULL, &ts) : sigwaitinfo(signals, NULL);
        if (sig == SIGTERM || sig == SIGINT) {
            fprintf(stderr,
                    "moat serve: %s: finishing the requests in flight\n",
                    sig == SIGTERM ? "SIGTERM" : "SIGINT");
            return;
        }
        if (sig == SIGHUP)
            srv_state_reload(s);
        else if (sig == SIGUSR1)
            srv_state_reopen_log(s);
        else if (sig < 0 && errno == EAGAIN)
            srv_state_poll(s);
    }
}

static int serve(const srv_settings *st)
{
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGHUP);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &signals, NULL); /* inherited by workers */
    signal(SIGPIPE, SIG_IGN);
    srv_state state;
    if (srv_state_init(&state, st) != 0) {
        srv_state_free(&state);
        return EXIT_BAD_ESTATE;
    }
    int n = st->threads, rc = 0;
    srv_worker *workers = calloc((size_t)n, sizeof *workers);
    srv_worker **all = calloc((size_t)n, sizeof *all);
    for (int i = 0; workers && all && i < n && rc == 0; i++) {
        rc = srv_worker_init(&workers[i], &state);
        workers[i].all = all;
        workers[i].n_all = n;
        all[i] = &workers[i];
    }
    atomic_int stop = 0;
    char err[512] = "out of memory";
    srv_http *http =
        workers && all && rc == 0
            ? srv_http_start(&state, workers, n, &stop, err, sizeof err)
            : NULL;
    if (http) {
        moat_estate_stats es;
        moat_estate_stats_get(workers[0].snap->estate, &es);
        fprintf(
            stderr,
            "moat serve: listening on %s (%d worker%s); estate revision 1: %zu storage accounts, %zu key vaults\n",
            st->listen, n, n == 1 ? "" : "s", es.storage_accounts,
            es.key_vaults);
        supervise(&state, &signals);
        atomic_store(&stop, 1);
        srv_http_stop(http);
    } else {
        fprintf(stderr, "moat serve: %s\n", err);
    }
    for (int i = 0; workers && i < n; i++)
        if (workers[i].state)
            srv_worker_free(&workers[i]);
    free(workers);
    free(all);
    srv_state_free(&state);
    return http ? 0 : 4;
}

int cmd_serve(int argc, char **argv)
{
    cli_args a;
    if (cli_parse(argc, argv, spec, &a, "serve") != 0)
        return EXIT_USAGE;
    if (cli_has(&a, "help")) {
        fputs(usage, stdout);
        return 0;
    }
    if (a.n_operands)
        return cli_usage_error("serve", "unexpected argument '%s'",
                               a.operands[0]);
    srv_settings st;
    char *config = NULL;
    int rc = settings_from(&st, &a, &config) == 0 ? serve(&st) : EXIT_USAGE;
    free(config);
    return rc;
}
