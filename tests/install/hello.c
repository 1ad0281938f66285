/* The 20-line program: built with `pkg-config --cflags --libs moat`. */
#include <moat.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    moat_loader *ld = moat_loader_new(0);
    moat_estate *es = NULL;
    if (argc < 4 || moat_loader_add_path(ld, argv[1]) != MOAT_OK ||
        moat_loader_finish(ld, &es) != MOAT_OK)
        return 3;
    moat_request *q = moat_request_new(es);
    moat_decision d;
    moat_request_set(q, MOAT_REQ_RESOURCE, argv[2], strlen(argv[2]), NULL);
    moat_request_set(q, MOAT_REQ_SOURCE_IP, argv[3], strlen(argv[3]), NULL);
    moat_status st = moat_decide(q, &d);
    printf("libmoat %s (moat.h %s): %s %s\n", moat_version(), MOAT_VERSION,
           d.verdict == MOAT_ALLOW ? "allow" : "deny",
           moat_category_name(d.category));
    moat_request_free(q), moat_estate_free(es), moat_loader_free(ld);
    return st == MOAT_OK ? 0 : 4;
}
