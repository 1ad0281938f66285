/*
** cells_text.c - what the reach and diff texts share: counts with
** thousands separators, admitted addresses as the fewest CIDR ranges (or
** a family's whole space minus the ranges it lacks, when that is
** shorter), and the names an exposure list holds.
*/
#include "cells_probe.h"

#include <stdlib.h>
#include <string.h>

/* "1,234,567" */
void moat__cells_count_text(moat_buf *b, cu128 v, int all)
{
    char digits[48], out[80];
    moat__cells_u128_text((uint64_t)(v >> 64), (uint64_t)v, all, digits,
                          sizeof digits);
    size_t n = strlen(digits), o = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    moat__buf_puts(b, out);
}

/* The IP atoms of family f (4 or 6) that are set in atoms (want 1) or
** not (want 0), into out (d->words[D_IP] words); whether any is. */
static int family_atoms(const cdomain *d, const uint64_t *atoms, int f,
                        int want, uint64_t *out)
{
    int any = 0;
    memset(out, 0, d->words[D_IP] * sizeof *out);
    for (uint32_t a = 1; a < d->n[D_IP]; a++) {
        if (d->ip[a].family != f || moat__bit(atoms, a) != want)
            continue;
        moat__bit_set(out, a);
        any = 1;
    }
    return any;
}

/* The ranges of one family: at most `most` of them ("and N more
** ranges" after), or "0.0.0.0/0 minus N ranges" when fewer ranges say
** what is missing. Their number counted against most. */
static int family_text(moat_buf *b, const moat_cells *m, const uint64_t *atoms,
                       int f, int most, uint64_t *scratch)
{
    const cdomain *d = &m->c.dom;
    probe_addrs set = {0}, lack = {0};
    moat_buf rs, ls;
    moat__buf_init(&rs, 0);
    moat__buf_init(&ls, 0);
    set.atoms = scratch;
    lack.atoms = scratch + d->words[D_IP];
    family_atoms(d, atoms, f, 0, lack.atoms);
    family_atoms(d, atoms, f, 1, set.atoms);
    int n = moat__probe_ranges(&rs, m, &set);
    int k = moat__probe_ranges(&ls, m, &lack);
    if (n > 0 && k > 0 && k + 1 < n) {
        moat__buf_printf(b, "%s minus %d range%s", f == 4 ? "0.0.0.0/0" : "::/0",
                         k, k == 1 ? "" : "s");
        n = 1;
    } else {
        int i = 0;
        for (const char *s = moat__buf_cstr(&rs); *s && i < most; s++) {
            if (*s == ',' && ++i < most)
                moat__buf_puts(b, ", ");
            else if (*s != '"' && *s != ',')
                moat__buf_putc(b, *s);
        }
        if (n > most)
            moat__buf_printf(b, " and %d more ranges", n - most);
    }
    b->failed |= rs.failed | ls.failed;
    moat__buf_free(&rs);
    moat__buf_free(&ls);
    return n;
}

void moat__probe_ranges_text(moat_buf *b, const moat_cells *m,
                             const probe_addrs *a, int most)
{
    const cdomain *d = &m->c.dom;
    uint64_t *scratch = calloc(2 * (d->words[D_IP] ? d->words[D_IP] : 1),
                               sizeof *scratch);
    if (scratch == NULL || a->atoms == NULL) {
        b->failed = 1;
        free(scratch);
        return;
    }
    int used = 0;
    if (a->ipv4)
        used = family_text(b, m, a->atoms, 4, most, scratch);
    if (a->ipv6 || a->ipv6_all) {
        moat__buf_puts(b, a->ipv4 ? ", " : "");
        family_text(b, m, a->atoms, 6, most > used ? most - used : 1, scratch);
    }
    free(scratch);
}

void moat__probe_count_text(moat_buf *b, const probe_addrs *a)
{
    moat__buf_puts(b, " (");
    if (a->ipv4) {
        moat__cells_count_text(b, a->ipv4, 0);
        moat__buf_puts(b, " IPv4");
    }
    if (a->ipv6 || a->ipv6_all) {
        moat__buf_puts(b, a->ipv4 ? " and " : "");
        moat__cells_count_text(b, a->ipv6, a->ipv6_all);
        moat__buf_puts(b, " IPv6");
    }
    moat__buf_puts(b, " addresses)");
}

/* The strings of the exposure list `key` ("trusted_services": [...]) in
** json: up to max of them, as pointers into json and lengths; their
** number. */
int moat__cells_list_items(const char *json, const char *key,
                           const char **item, size_t *len, int max)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":[", key);
    const char *s = strstr(json, pat);
    int n = 0;
    if (s == NULL)
        return 0;
    for (s += strlen(pat); *s == '"' && n < max;) {
        const char *e = s + 1;
        while (*e && *e != '"')
            e += e[0] == '\\' && e[1] ? 2 : 1;
        if (*e != '"')
            break;
        item[n] = s + 1;
        len[n++] = (size_t)(e - s - 1);
        s = e + 1 + (e[1] == ',');
    }
    return n;
}
