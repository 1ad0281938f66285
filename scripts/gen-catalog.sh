#!/bin/sh
# gen-catalog.sh - compile data/trusted-services.tsv (catalog version 2) into C.
# Usage: scripts/gen-catalog.sh data/trusted-services.tsv > build/gen/catalog_data.c
#
# Lines starting with '#' and blank lines are skipped. The first other line is
# the header, exactly:
#   target kind service platform identities since until operations note
# and every row has those nine tab-separated fields (note may be empty).
# Checked, each failure reported as FILE:LINE and the build stopped:
#   target      storage or keyvault
#   kind        tenant-registered or managed-identity (storage), keyvault (keyvault)
#   platform    empty, or a provider namespace (Microsoft.RecoveryServices)
#   identities  empty, or comma-separated provider/type or bare namespaces
#   platform and identities are not both empty (the row must name a caller)
#   since/until empty, or a date YYYY-MM-DD (UTC); since < until when both
# Besides the text of every row (moat_service), each row's span is emitted in
# seconds since the epoch (until exclusive; open ends as INT64_MIN/INT64_MAX),
# and every name a row is known by (platform, identities), with its length,
# in row order: what the matcher scans when a request's caller is set.
set -eu
tsv=${1:?usage: gen-catalog.sh FILE.tsv}
awk -F '\t' '
function cstr(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
function fail(msg) {
    printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
    bad = 1; exit 1
}
function leap(y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
# Days since 1970-01-01 (days_from_civil, as src/base/dates.c).
function days(y, m, d,    era, yoe, doy, doe) {
    y -= (m <= 2)
    era = int((y >= 0 ? y : y - 399) / 400)
    yoe = y - era * 400
    doy = int((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1
    doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
    return era * 146097 + doe - 719468
}
# The first second of date s, or fail; what names the column.
function instant(s, what,    y, m, d, mdays) {
    if (s !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]$/)
        fail(what " \"" s "\" is not a date YYYY-MM-DD")
    y = substr(s, 1, 4) + 0; m = substr(s, 6, 2) + 0; d = substr(s, 9, 2) + 0
    split("31 28 31 30 31 30 31 31 30 31 30 31", mdays, " ")
    if (m == 2 && leap(y)) mdays[2] = 29
    if (m < 1 || m > 12 || d < 1 || d > mdays[m])
        fail(what " \"" s "\" is not a day of the calendar")
    return days(y, m, d) * 86400
}
function check_names(list, what,    n, parts, i) {
    n = split(list, parts, ",")
    for (i = 1; i <= n; i++)
        if (parts[i] !~ /^[A-Za-z0-9]+(\.[A-Za-z0-9]+)+(\/[A-Za-z0-9]+)*$/)
            fail(what " \"" parts[i] "\" is not a provider namespace or provider/type")
}
# One name a row is known by, for the matcher (catalog_name).
function add_name(name, kind) {
    if (length(name) > 255)
        fail("name \"" name "\" is longer than 255 bytes")
    names[m++] = sprintf("    {%s, %d, %s, %d},", cstr(name), length(name), kind, n)
}
BEGIN {
    print "/* Generated from data/trusted-services.tsv by scripts/gen-catalog.sh."
    print "** Do not edit; edit the TSV. */"
    print "#include \"moat_int.h\""
    n = 0; m = 0
    want = "target\tkind\tservice\tplatform\tidentities\tsince\tuntil\toperations\tnote"
}
/^#/ { next }
/^[ \t]*$/ { next }
!header {
    if ($0 != want)
        fail("the header must be: " want)
    header = 1; next
}
{
    if (NF != 9)
        fail("expected 9 tab-separated fields, found " NF)
    if ($1 == "storage") {
        if ($2 != "tenant-registered" && $2 != "managed-identity")
            fail("a storage row is tenant-registered or managed-identity, not \"" $2 "\"")
    } else if ($1 == "keyvault") {
        if ($2 != "keyvault")
            fail("a keyvault row is of kind keyvault, not \"" $2 "\"")
    } else {
        fail("target must be storage or keyvault, not \"" $1 "\"")
    }
    if ($3 == "")
        fail("the service is empty")
    if ($4 == "" && $5 == "")
        fail("the row names no caller: platform and identities are both empty")
    if ($4 != "" && $4 !~ /^[A-Za-z0-9]+(\.[A-Za-z0-9]+)+$/)
        fail("platform \"" $4 "\" is not a provider namespace")
    if ($5 != "")
        check_names($5, "identity")
    since = $6 == "" ? "INT64_MIN" : sprintf("%.0fLL", instant($6, "since"))
    until = $7 == "" ? "INT64_MAX" : sprintf("%.0fLL", instant($7, "until"))
    if ($6 != "" && $7 != "" && instant($6, "since") >= instant($7, "until"))
        fail("since " $6 " is not before until " $7)
    if ($4 != "")
        add_name($4, "CATALOG_PLATFORM")
    k = $5 == "" ? 0 : split($5, ids, ",")
    for (i = 1; i <= k; i++)
        add_name(ids[i], index(ids[i], "/") ? "CATALOG_TYPE" : "CATALOG_NAMESPACE")
    text[n] = sprintf("    {%s, %s, %s, %s, %s, %s, %s, %s, %s},", cstr($1), cstr($2),
                      cstr($3), cstr($4), cstr($5), cstr($6), cstr($7), cstr($8), cstr($9))
    span[n] = sprintf("    {%s, %s, %s, %d},", since, until,
                      $1 == "storage" ? "MOAT_TARGET_STORAGE" : "MOAT_TARGET_KEYVAULT",
                      $2 == "managed-identity")
    n++
}
END {
    if (bad) exit 1
    if (!header) { printf "%s: no header line\n", FILENAME > "/dev/stderr"; exit 1 }
    print "const moat_service moat__catalog_entries[] = {"
    for (i = 0; i < n; i++) print text[i]
    print "};"
    print "const catalog_row moat__catalog_rows[] = {"
    for (i = 0; i < n; i++) print span[i]
    print "};"
    printf "const unsigned long moat__catalog_size = %d;\n", n
    print "const catalog_name moat__catalog_names[] = {"
    for (i = 0; i < m; i++) print names[i]
    print "};"
    printf "const unsigned long moat__catalog_names_size = %d;\n", m
}
' "$tsv"
