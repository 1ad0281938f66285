#!/bin/sh
# gen-regions.sh - compile data/region-pairs.tsv into C.
# Usage: scripts/gen-regions.sh data/region-pairs.tsv > build/gen/region_pairs.c
#
# Lines starting with '#' and blank lines are skipped; the first other line
# is the header "region<TAB>pair"; every row has two fields: an ARM region
# name (lower case letters and digits) and its paired region, or nothing for
# a nonpaired region. A region is listed once and is not its own pair; a
# failure is reported as FILE:LINE and stops the build.
set -eu
tsv=${1:?usage: gen-regions.sh FILE.tsv}
awk -F '\t' '
function cstr(s) { return "\"" s "\"" }
function fail(msg) {
    printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
    bad = 1; exit 1
}
BEGIN {
    n = 0
    print "/* Generated from data/region-pairs.tsv by scripts/gen-regions.sh."
    print "** Do not edit; edit the TSV. */"
    print "#include \"moat_int.h\""
    print "const moat_region_pair moat__region_pairs[] = {"
}
/^#/ { next }
/^[ \t]*$/ { next }
!header {
    if ($0 != "region\tpair")
        fail("the header must be: region<TAB>pair")
    header = 1; next
}
{
    if (NF != 2)
        fail("expected 2 tab-separated fields, found " NF)
    if ($1 !~ /^[a-z][a-z0-9]*$/)
        fail("region \"" $1 "\" is not an ARM region name")
    if ($2 != "" && $2 !~ /^[a-z][a-z0-9]*$/)
        fail("pair \"" $2 "\" is not an ARM region name")
    if ($1 == $2)
        fail("region " $1 " is its own pair")
    if ($1 in seen)
        fail("region " $1 " is listed twice")
    seen[$1] = 1
    if ($2 != "") {
        printf "    {%s, %s},\n", cstr($1), cstr($2)
        n++
    }
}
END {
    if (bad) exit 1
    if (!header) { printf "%s: no header line\n", FILENAME > "/dev/stderr"; exit 1 }
    print "};"
    printf "const unsigned long moat__region_pairs_size = %d;\n", n
}
' "$tsv"
