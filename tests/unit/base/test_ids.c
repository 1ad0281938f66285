/*
** test_ids.c - case-insensitive ids, regions, ARM id parsing, interning.
*/
#include "harness.h"
#include "moat_int.h"

TEST(ids_case_folding)
{
    const char *a = "/subscriptions/ABC/resourceGroups/RG";
    const char *b = "/SUBSCRIPTIONS/abc/RESOURCEGROUPS/rg";
    ASSERT(moat__hash_ci(a, strlen(a)) == moat__hash_ci(b, strlen(b)));
    ASSERT(moat__eq_ci(a, strlen(a), b, strlen(b)));
    ASSERT(!moat__eq_ci(a, strlen(a), b, strlen(b) - 1));
    char out[64];
    ASSERT_EQ(moat__region_norm("East US 2", 9, out, sizeof out), 0);
    ASSERT_STR(out, "eastus2");
    ASSERT(moat__region_norm("  ", 2, out, sizeof out) != 0);
}

TEST(ids_arm_parsing)
{
    char out[256];
    const char *id = "/subscriptions/s/resourceGroups/g/providers/"
                     "Microsoft.Sql/servers/db1/databases/d";
    ASSERT(moat__arm_type_of(id, strlen(id), out, sizeof out) > 0);
    ASSERT_STR(out, "Microsoft.Sql/servers/databases");
    const char *f = "/subscriptions/s/resourceGroups/g/providers/"
                    "Microsoft.DataFactory/factories/f";
    ASSERT(moat__arm_type_of(f, strlen(f), out, sizeof out) > 0);
    ASSERT_STR(out, "Microsoft.DataFactory/factories");
    ASSERT_EQ(moat__arm_type_of("/subscriptions/s", 16, out, sizeof out), 0);
    ASSERT_EQ(moat__arm_subscription_of(f, strlen(f), out, sizeof out), 0);
    ASSERT_STR(out, "s");
    const char *pec =
        "/subscriptions/s/resourceGroups/g/providers/"
        "Microsoft.KeyVault/vaults/v/privateEndpointConnections/c";
    size_t n =
        moat__arm_parent_len(pec, strlen(pec), "privateendpointconnections");
    ASSERT_EQ(n, strlen(pec) - strlen("/privateEndpointConnections/c"));
    moat_segments seg;
    ASSERT_EQ(moat__segments_split(f, strlen(f), &seg), 0);
    ASSERT_EQ(seg.n, 8);
    ASSERT_EQ(seg.len[7], 1);
    ASSERT_EQ(
        moat__subscription_of("/subscriptions/ABC-1", 20, out, sizeof out), 0);
    ASSERT_STR(out, "abc-1");
    ASSERT(moat__subscription_of("/subscriptions/a/b", 18, out, sizeof out) !=
           0);
}

TEST(ids_interning)
{
    moat_arena a;
    moat__arena_init(&a, 0);
    moat_intern t;
    moat__intern_init(&t);
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "Tenant-%d", i);
        ASSERT_EQ(moat__intern_add(&t, &a, key, strlen(key)), i);
    }
    ASSERT_EQ(moat__intern_add(&t, &a, "TENANT-7", 8), 7);
    ASSERT_EQ(moat__intern_find(&t, "tenant-999", 10), 999);
    ASSERT_EQ(moat__intern_find(&t, "tenant-1000", 11), MOAT_ID_OTHER);
    ASSERT_STR(t.keys[5], "tenant-5");
    moat__intern_free(&t);
    moat__arena_free(&a);
}
