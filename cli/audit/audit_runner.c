/*
** audit_runner.c - `moat audit --runner` and `--runner-from-env`: where a
** deployment runs from, for the pre-flight of a Terraform plan (MOAT017,
** docs/audit.md "Deployment pre-flight").
*/
#include "audit_report.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_address(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* "IP[,region=R][,subnet=ID][,identity=ID]" into r (strings point into a
** copy the caller frees); 0, or -1 after a usage error naming the part. */
static int parse_runner(char *spec, moat_runner *r)
{
    memset(r, 0, sizeof *r);
    char *save = NULL;
    int first = 1;
    for (char *tok = strtok_r(spec, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save), first = 0) {
        char *eq = strchr(tok, '=');
        if (eq == NULL && first) {
            if (!is_address(tok))
                return cli_usage_error("audit", "--runner: \"%s\" is not an IPv4 or IPv6 address (expected IP[,region=R][,subnet=ID][,identity=ID])", tok);
            r->ip = tok;
            continue;
        }
        if (eq == NULL)
            return cli_usage_error("audit", "--runner: \"%s\": expected region=, subnet= or identity=", tok);
        *eq = '\0';
        const char *v = eq + 1;
        if (strcmp(tok, "region") == 0)
            r->region = v;
        else if (strcmp(tok, "subnet") == 0 && strchr(v, '/'))
            r->subnet = v;
        else if (strcmp(tok, "identity") == 0 && strchr(v, '/'))
            r->identity = v;
        else if (strcmp(tok, "ip") == 0 && is_address(v))
            r->ip = v;
        else
            return cli_usage_error("audit", "--runner: \"%s=%s\": expected region=NAME, subnet=<subnet ARM id>, identity=<ARM id> or ip=ADDRESS", tok, v);
    }
    return 0;
}

/* GitHub Actions and Azure Pipelines name the runner and whether it is
** hosted, but no variable gives its address or region (GitHub's
** "Variables reference"; Azure Pipelines' predefined variables): a hosted
** runner's address is any of Azure's published ranges. */
static int runner_from_env(moat_runner *r, char *label, size_t cap)
{
    memset(r, 0, sizeof *r);
    const char *gh = getenv("GITHUB_ACTIONS");
    const char *ado = getenv("TF_BUILD");
    if (gh && strcmp(gh, "true") == 0) {
        const char *env = getenv("RUNNER_ENVIRONMENT");
        const char *name = getenv("RUNNER_NAME");
        snprintf(label, cap, "GitHub Actions runner %s (%s)",
                 name ? name : "?", env ? env : "environment unknown");
    } else if (ado && strcasecmp(ado, "true") == 0) {
        const char *name = getenv("AGENT_NAME");
        snprintf(label, cap, "Azure Pipelines agent %s", name ? name : "?");
    } else {
        return cli_usage_error("audit", "--runner-from-env: neither GITHUB_ACTIONS nor TF_BUILD is set: not a GitHub Actions or Azure Pipelines job (give --runner IP instead)");
    }
    r->label = label;
    return 0;
}

int audit_runners(const cli_args *a, moat_runner **out, size_t *n,
                  char **storage)
{
    size_t count = cli_has(a, "runner-from-env") ? 1 : 0;
    size_t bytes = 256;
    for (int i = 0; i < a->n_opts; i++) {
        if (strcmp(a->opts[i].name, "runner") == 0) {
            count++;
            bytes += strlen(a->opts[i].value) + 1;
        }
    }
    *out = NULL;
    *n = 0;
    *storage = NULL;
    if (count == 0)
        return 0;
    moat_runner *r = calloc(count, sizeof *r);
    char *buf = malloc(bytes);
    if (r == NULL || buf == NULL) {
        free(r);
        free(buf);
        return cli_usage_error("audit", "out of memory");
    }
    *out = r;
    *storage = buf;
    size_t k = 0, off = 0;
    for (int i = 0; i < a->n_opts; i++) {
        if (strcmp(a->opts[i].name, "runner") != 0)
            continue;
        char *copy = buf + off;
        size_t len = strlen(a->opts[i].value);
        memcpy(copy, a->opts[i].value, len + 1);
        off += len + 1;
        if (parse_runner(copy, &r[k]) != 0)
            return -1;
        r[k].label = r[k].ip ? r[k].ip : "(a runner whose address is not given)";
        k++;
    }
    if (cli_has(a, "runner-from-env") &&
        runner_from_env(&r[k++], buf + off, bytes - off) != 0)
        return -1;
    *n = k;
    return 0;
}
