#!/bin/sh
# gen-catalog.sh - compile data/trusted-services.tsv into C.
# Usage: scripts/gen-catalog.sh data/trusted-services.tsv > build/gen/catalog_data.c
# Lines starting with '#' and the header line are skipped; every other line
# must have six tab-separated fields (the sixth may be empty).
set -eu
tsv=${1:?usage: gen-catalog.sh FILE.tsv}
awk -F '\t' '
function cstr(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
BEGIN {
    print "/* Generated from data/trusted-services.tsv by scripts/gen-catalog.sh."
    print "** Do not edit; edit the TSV. */"
    print "#include \"moat_int.h\""
    print "const moat_service moat__catalog_entries[] = {"
}
/^#/ { next }
/^[ \t]*$/ { next }
!header { header = 1; next }
{
    if (NF < 5 || NF > 6) {
        printf "%s:%d: expected 6 tab-separated fields, found %d\n", FILENAME, NR, NF > "/dev/stderr"
        bad = 1; exit 1
    }
    if ($1 != "storage" && $1 != "keyvault") {
        printf "%s:%d: target must be storage or keyvault, not \"%s\"\n", FILENAME, NR, $1 > "/dev/stderr"
        bad = 1; exit 1
    }
    printf "    {%s, %s, %s, %s, %s, %s},\n", cstr($1), cstr($2), cstr($3), cstr($4), cstr($5), cstr($6)
    n++
}
END {
    if (bad) exit 1
    print "};"
    printf "const unsigned long moat__catalog_size = %d;\n", n
}
' "$tsv"
