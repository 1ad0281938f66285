/*
** replay.c - runs every file of fuzz/corpus/<target>/ through its fuzz
** target without libFuzzer, so that `make test` replays the corpora under
** ASan and UBSan on any compiler (sqlite's fuzzcheck).
*/
#include "tool.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LLVMFuzzerTestOneInput fuzz_json_entry
#include "fuzz_json.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_estate_entry
#include "fuzz_estate.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_request_entry
#include "fuzz_request.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_log_entry
#include "fuzz_log.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_http_entry
#include "fuzz_http.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_jwt_entry
#include "fuzz_jwt.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_doc_entry
#include "fuzz_doc.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_serve_entry
#include "fuzz_serve.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_jmespath_entry
#include "fuzz_jmespath.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_failure_entry
#include "fuzz_failure.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_html_entry
#include "fuzz_html.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_gzip_entry
#include "fuzz_gzip.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_plan_entry
#include "fuzz_plan.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_reach_entry
#include "fuzz_reach.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_scan_entry
#include "fuzz_scan.c"
#undef LLVMFuzzerTestOneInput

static const struct {
    const char *name;
    int (*entry)(const unsigned char *, size_t);
} targets[] = {
    {"json", fuzz_json_entry},
    {"estate", fuzz_estate_entry},
    {"request", fuzz_request_entry},
    {"log", fuzz_log_entry},
    {"http", fuzz_http_entry},
    {"jwt", fuzz_jwt_entry},
    {"doc", fuzz_doc_entry},
    {"serve", fuzz_serve_entry},
    {"jmespath", fuzz_jmespath_entry},
    {"html", fuzz_html_entry},
    {"gzip", fuzz_gzip_entry},
    {"failure", fuzz_failure_entry},
    {"plan", fuzz_plan_entry},
    {"reach", fuzz_reach_entry},
    {"scan", fuzz_scan_entry},
};

/* One input, read by tool's file reader and copied into a buffer of its
** exact size (as libFuzzer passes it), so that ASan sees any read past the
** end. */
static int run_file(const char *path,
                    int (*entry)(const unsigned char *, size_t))
{
    size_t n;
    char *text = cli_read_file(path, &n);
    unsigned char *exact = text ? malloc(n ? n : 1) : NULL;
    if (exact == NULL) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        free(text);
        return -1;
    }
    memcpy(exact, text, n);
    free(text);
    entry(exact, n);
    free(exact);
    return 0;
}

int main(int argc, char **argv)
{
    const char *root = argc > 1 ? argv[1] : "fuzz/corpus";
    size_t total = 0;
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", root, targets[t].name);
        DIR *d = opendir(dir);
        if (d == NULL) {
            fprintf(stderr, "replay: no corpus %s\n", dir);
            return 1;
        }
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char path[8192];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            if (run_file(path, targets[t].entry) != 0) {
                closedir(d);
                return 1;
            }
            n++;
        }
        closedir(d);
        printf("fuzz-replay: %-8s %zu inputs\n", targets[t].name, n);
        total += n;
    }
    printf("fuzz-replay: %zu inputs, no failures\n", total);
    return 0;
}
