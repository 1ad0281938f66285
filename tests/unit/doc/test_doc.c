/*
** test_doc.c - editing documents in place: untouched text stays byte for
** byte, new members and elements take their surroundings' layout (two
** spaces, four spaces, compact), empty containers fill, overlapping edits
** are refused, and the result always parses again.
*/
#include "harness.h"
#include "moat.h"

#include <stdlib.h>

/* Applies edit(d, root) to text and returns the result (malloc'd). */
typedef int (*edit_fn)(moat_doc *d, const moat_node *root);

static char *edited(const char *text, edit_fn edit)
{
    moat_doc *d;
    if (moat_doc_parse(text, strlen(text), &d, NULL) != MOAT_OK)
        return NULL;
    char *out = NULL;
    if (edit(d, moat_doc_root(d)) == 0)
        out = moat_doc_text(d, NULL);
    moat_doc_free(d);
    return out;
}

static int reparses(const char *text)
{
    moat_doc *d;
    if (moat_doc_parse(text, strlen(text), &d, NULL) != MOAT_OK)
        return 0;
    moat_doc_free(d);
    return 1;
}

static int add_ip(moat_doc *d, const moat_node *root)
{
    const moat_node *acl =
        moat_node_get(moat_node_get(root, "properties"), "networkAcls");
    const moat_node *rules = moat_node_get(acl, "ipRules");
    return moat_doc_add(d, rules, NULL,
                        "{\"value\": \"25.1.2.3\", \"action\": \"Allow\"}",
                        NULL);
}

TEST(doc_add_element_two_space_layout)
{
    const char *in = "{\n"
                     "  \"name\": \"st1\",\n"
                     "  \"x-unknown\": {\"kept\": [1, 2]},\n"
                     "  \"properties\": {\n"
                     "    \"networkAcls\": {\n"
                     "      \"ipRules\": [\n"
                     "        {\n"
                     "          \"value\": \"1.2.3.4\"\n"
                     "        }\n"
                     "      ]\n"
                     "    }\n"
                     "  }\n"
                     "}\n";
    char *out = edited(in, add_ip);
    ASSERT(out != NULL);
    const char *want = "{\n"
                       "  \"name\": \"st1\",\n"
                       "  \"x-unknown\": {\"kept\": [1, 2]},\n"
                       "  \"properties\": {\n"
                       "    \"networkAcls\": {\n"
                       "      \"ipRules\": [\n"
                       "        {\n"
                       "          \"value\": \"1.2.3.4\"\n"
                       "        },\n"
                       "        {\n"
                       "          \"value\": \"25.1.2.3\",\n"
                       "          \"action\": \"Allow\"\n"
                       "        }\n"
                       "      ]\n"
                       "    }\n"
                       "  }\n"
                       "}\n";
    int same = strcmp(out, want) == 0;
    if (!same)
        printf("# got:\n%s", out);
    free(out);
    ASSERT(same);
}

TEST(doc_add_element_four_space_layout)
{
    const char *in = "{\n"
                     "    \"properties\": {\n"
                     "        \"networkAcls\": {\n"
                     "            \"ipRules\": [\n"
                     "                {\"value\": \"1.2.3.4\"}\n"
                     "            ]\n"
                     "        }\n"
                     "    }\n"
                     "}";
    char *out = edited(in, add_ip);
    ASSERT(out != NULL);
    const char *want = "{\n"
                       "    \"properties\": {\n"
                       "        \"networkAcls\": {\n"
                       "            \"ipRules\": [\n"
                       "                {\"value\": \"1.2.3.4\"},\n"
                       "                {\n"
                       "                    \"value\": \"25.1.2.3\",\n"
                       "                    \"action\": \"Allow\"\n"
                       "                }\n"
                       "            ]\n"
                       "        }\n"
                       "    }\n"
                       "}";
    int same = strcmp(out, want) == 0;
    if (!same)
        printf("# got:\n%s\n", out);
    free(out);
    ASSERT(same);
}

TEST(doc_add_element_compact_and_empty)
{
    char *out =
        edited("{\"properties\":{\"networkAcls\":{\"ipRules\":[]}}}", add_ip);
    ASSERT_STR(out,
               "{\"properties\":{\"networkAcls\":{\"ipRules\":[{\"value\": "
               "\"25.1.2.3\", \"action\": \"Allow\"}]}}}");
    free(out);
    out = edited("{\"properties\": {\"networkAcls\": {\"ipRules\": "
                 "[{\"value\": \"1.1.1.1\"}]}}}",
                 add_ip);
    ASSERT_STR(out, "{\"properties\": {\"networkAcls\": {\"ipRules\": "
                    "[{\"value\": \"1.1.1.1\"}, {\"value\": \"25.1.2.3\", "
                    "\"action\": \"Allow\"}]}}}");
    free(out);
    /* An empty array in a multi-line file opens onto lines of its own. */
    out = edited("{\n  \"properties\": {\n    \"networkAcls\": {\n"
                 "      \"ipRules\": []\n    }\n  }\n}\n",
                 add_ip);
    ASSERT_STR(out, "{\n  \"properties\": {\n    \"networkAcls\": {\n"
                    "      \"ipRules\": [\n        {\n"
                    "          \"value\": \"25.1.2.3\",\n"
                    "          \"action\": \"Allow\"\n        }\n      ]\n"
                    "    }\n  }\n}\n");
    free(out);
}

static int set_members(moat_doc *d, const moat_node *root)
{
    const moat_node *p = moat_node_get(root, "PROPERTIES"); /* any case */
    if (moat_doc_replace(d, moat_node_get(p, "defaultAction"), "\"Deny\"",
                         NULL) != MOAT_OK)
        return -1;
    if (moat_doc_add(d, p, "bypass", "\"Logging, Metrics\"", NULL) != MOAT_OK)
        return -1;
    return moat_doc_add(d, p, "ipRules", "[]", NULL) == MOAT_OK ? 0 : -1;
}

TEST(doc_replace_and_add_members)
{
    const char *in = "{\n"
                     "\t\"properties\": {\n"
                     "\t\t\"zeta\": 1,\n"
                     "\t\t\"defaultAction\": \"Allow\"\n"
                     "\t}\n"
                     "}\n";
    char *out = edited(in, set_members);
    ASSERT_STR(out, "{\n"
                    "\t\"properties\": {\n"
                    "\t\t\"zeta\": 1,\n"
                    "\t\t\"defaultAction\": \"Deny\",\n"
                    "\t\t\"bypass\": \"Logging, Metrics\",\n"
                    "\t\t\"ipRules\": []\n"
                    "\t}\n"
                    "}\n");
    ASSERT(reparses(out));
    free(out);
}

static int remove_first(moat_doc *d, const moat_node *root)
{
    /* Removal is a replacement of the array by the elements kept, each as
    ** it was written. */
    const moat_node *rules = moat_node_get(root, "ipRules");
    char *kept = moat_doc_slice(d, moat_node_next(moat_node_child(rules)));
    if (kept == NULL)
        return -1;
    size_t n = strlen(kept) + 3;
    char *arr = malloc(n);
    snprintf(arr, n, "[%s]", kept);
    moat_free(kept);
    int rc = moat_doc_replace(d, rules, arr, NULL) == MOAT_OK ? 0 : -1;
    free(arr);
    return rc;
}

TEST(doc_remove_by_replacing)
{
    const char *in = "{\"ipRules\": [{\"value\": \"1.1.1.1\"}, "
                     "{\"value\": \"2.2.2.2\", \"x\": {\"y\": null}}]}";
    char *out = edited(in, remove_first);
    ASSERT_STR(out, "{\"ipRules\": [{\"value\": \"2.2.2.2\", \"x\": {\"y\": "
                    "null}}]}");
    free(out);
}

TEST(doc_nodes_read)
{
    const char *in = "[{\"a\": \"x\\u00e9\", \"B\": 12.5, \"c\": true, "
                     "\"d\": null, \"e\": [1, 2, 3]}]";
    moat_doc *d;
    ASSERT_EQ(moat_doc_parse(in, strlen(in), &d, NULL), MOAT_OK);
    const moat_node *o = moat_node_child(moat_doc_root(d));
    ASSERT_EQ(moat_node_kind(moat_doc_root(d)), MOAT_NODE_ARRAY);
    ASSERT_EQ(moat_node_kind(o), MOAT_NODE_OBJECT);
    ASSERT_EQ(moat_node_count(o), 5);
    ASSERT_STR(moat_node_text(moat_node_get(o, "a")), "x\xc3\xa9");
    ASSERT_STR(moat_node_text(moat_node_get(o, "b")), "12.5");
    ASSERT_STR(moat_node_text(moat_node_get(o, "c")), "true");
    ASSERT_EQ(moat_node_kind(moat_node_get(o, "d")), MOAT_NODE_NULL);
    ASSERT_STR(moat_node_key(moat_node_get(o, "B")), "B");
    ASSERT_EQ(moat_node_count(moat_node_get(o, "e")), 3);
    ASSERT(moat_node_get(o, "missing") == NULL);
    char *s = moat_doc_slice(d, moat_node_get(o, "e"));
    ASSERT_STR(s, "[1, 2, 3]");
    moat_free(s);
    /* No edits: the same bytes. */
    size_t n;
    char *t = moat_doc_text(d, &n);
    ASSERT_EQ(n, strlen(in));
    ASSERT_STR(t, in);
    moat_free(t);
    moat_doc_free(d);
}

TEST(doc_refuses_bad_edits)
{
    const char *in = "{\"a\": [1], \"b\": 2}";
    moat_doc *d;
    moat_error err;
    ASSERT_EQ(moat_doc_parse("{\"a\": ", 6, &d, &err), MOAT_E_SYNTAX);
    ASSERT(d == NULL);
    ASSERT_EQ(moat_doc_parse(in, strlen(in), &d, NULL), MOAT_OK);
    const moat_node *root = moat_doc_root(d);
    const moat_node *a = moat_node_get(root, "a");
    ASSERT_EQ(moat_doc_replace(d, a, "{not json", &err), MOAT_E_SYNTAX);
    ASSERT_EQ(moat_doc_add(d, a, NULL, "2", &err), MOAT_OK);
    /* The array is already being added to: replacing it overlaps. */
    ASSERT_EQ(moat_doc_replace(d, a, "[]", &err), MOAT_E_STATE);
    ASSERT_EQ(moat_doc_add(d, root, NULL, "1", &err), MOAT_E_INVAL);
    ASSERT_EQ(moat_doc_add(d, moat_node_get(root, "b"), NULL, "1", &err),
              MOAT_E_INVAL);
    char *t = moat_doc_text(d, NULL);
    ASSERT_STR(t, "{\"a\": [1, 2], \"b\": 2}");
    moat_free(t);
    moat_doc_free(d);
}

/* Removes the children of root's "a" at the indexes in mask (bit i). */
static char *removed(const char *text, unsigned mask)
{
    moat_doc *d;
    if (moat_doc_parse(text, strlen(text), &d, NULL) != MOAT_OK)
        return NULL;
    const moat_node *a = moat_node_get(moat_doc_root(d), "a");
    const moat_node *pick[8];
    size_t n = 0, i = 0;
    for (const moat_node *c = moat_node_child(a); c; c = moat_node_next(c))
        if (mask & (1u << i++))
            pick[n++] = c;
    char *out = NULL;
    if (moat_doc_remove(d, a, pick, n, NULL) == MOAT_OK)
        out = moat_doc_text(d, NULL);
    moat_doc_free(d);
    return out;
}

TEST(doc_remove_children)
{
    const char *arr = "{\"a\": [1, 2, 3, 4]}";
    struct {
        unsigned mask;
        const char *want;
    } cases[] = {
        {0x1, "{\"a\": [2, 3, 4]}"},    {0x2, "{\"a\": [1, 3, 4]}"},
        {0x8, "{\"a\": [1, 2, 3]}"},    {0x3, "{\"a\": [3, 4]}"},
        {0x6, "{\"a\": [1, 4]}"},       {0x9, "{\"a\": [2, 3]}"},
        {0xF, "{\"a\": []}"},           {0xB, "{\"a\": [3]}"},
        {0x0, "{\"a\": [1, 2, 3, 4]}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = removed(arr, cases[i].mask);
        int same = out && strcmp(out, cases[i].want) == 0;
        if (!same)
            printf("# mask %x: got %s\n", cases[i].mask, out ? out : "NULL");
        free(out);
        ASSERT(same);
    }
    /* Members go with their names; multi-line layout stays intact. */
    char *out =
        removed("{\"a\": {\n  \"x\": 1,\n  \"y\": [2],\n  \"z\": 3\n}}", 0x2);
    ASSERT_STR(out, "{\"a\": {\n  \"x\": 1,\n  \"z\": 3\n}}");
    free(out);
    out = removed("{\"a\": [\n  {\"v\": 1},\n  {\"v\": 2}\n]}", 0x1);
    ASSERT_STR(out, "{\"a\": [\n  {\"v\": 2}\n]}");
    free(out);
    out = removed("{\"a\": [\n  {\"v\": 1}\n]}", 0x1);
    ASSERT_STR(out, "{\"a\": []}");
    free(out);
}

TEST(doc_remove_then_add)
{
    const char *in = "{\"a\": [1, 2]}";
    moat_doc *d;
    ASSERT_EQ(moat_doc_parse(in, strlen(in), &d, NULL), MOAT_OK);
    const moat_node *a = moat_node_get(moat_doc_root(d), "a");
    const moat_node *first = moat_node_child(a);
    ASSERT_EQ(moat_doc_remove(d, a, &first, 1, NULL), MOAT_OK);
    ASSERT_EQ(moat_doc_add(d, a, NULL, "5", NULL), MOAT_OK);
    char *t = moat_doc_text(d, NULL);
    ASSERT_STR(t, "{\"a\": [2, 5]}");
    moat_free(t);
    moat_doc_free(d);
}

TEST(range_parse_compare)
{
    moat_range a, b, c;
    ASSERT_EQ(moat_range_parse("1.2.3.4", &a), MOAT_OK);
    ASSERT_EQ(moat_range_parse("1.2.3.4/32", &b), MOAT_OK);
    ASSERT(a.bare && !b.bare);
    ASSERT(moat_range_equal(&a, &b));
    ASSERT_EQ(moat_range_parse("1.2.0.0/16", &c), MOAT_OK);
    ASSERT(!moat_range_equal(&a, &c));
    ASSERT(moat_range_overlaps(&a, &c) && moat_range_overlaps(&c, &a));
    ASSERT_EQ(moat_range_parse("1.3.0.0/16", &b), MOAT_OK);
    ASSERT(!moat_range_overlaps(&b, &c));
    ASSERT_EQ(moat_range_parse("25.2.0.1/24", &b), MOAT_OK);
    ASSERT(b.host_bits);
    char buf[64];
    moat_range_format(&b, buf, sizeof buf);
    ASSERT_STR(buf, "25.2.0.0/24");
    /* IPv6 written two ways is one address. */
    ASSERT_EQ(moat_range_parse("fe00:0:0:1::92", &a), MOAT_OK);
    ASSERT_EQ(moat_range_parse("fe00:0000:0:1:0:0:0:92", &b), MOAT_OK);
    ASSERT(a.family == 6 && moat_range_equal(&a, &b));
    ASSERT_EQ(moat_range_parse("fe00::1:0:0:1:92", &b), MOAT_OK);
    ASSERT(!moat_range_equal(&a, &b) && !moat_range_overlaps(&a, &b));
    ASSERT(!moat_range_overlaps(&a, &c)); /* families differ */
    ASSERT_EQ(moat_range_parse("10.1.0.0/16", &a), MOAT_OK);
    ASSERT(moat_range_is_private(&a));
    ASSERT_EQ(moat_range_parse("0.0.0.0/0", &a), MOAT_OK);
    ASSERT(!moat_range_is_private(&a));
    ASSERT_EQ(moat_range_parse("1.2.3", &a), MOAT_E_INVAL);
    ASSERT_EQ(moat_range_parse("1.2.3.4/33", &a), MOAT_E_INVAL);
    ASSERT_EQ(moat_range_parse("1.2.3.4 ", &a), MOAT_E_INVAL);
}

TEST(doc_add_several_to_one_container)
{
    const char *ins[] = {"{\"a\": []}", "{\"a\": [1]}", "{\n  \"a\": []\n}",
                         "{\n  \"a\": [\n    1\n  ]\n}"};
    const char *want[] = {
        "{\"a\": [2, 3]}",
        "{\"a\": [1, 2, 3]}",
        "{\n  \"a\": [\n    2,\n    3\n  ]\n}",
        "{\n  \"a\": [\n    1,\n    2,\n    3\n  ]\n}",
    };
    for (size_t i = 0; i < 4; i++) {
        moat_doc *d;
        ASSERT_EQ(moat_doc_parse(ins[i], strlen(ins[i]), &d, NULL), MOAT_OK);
        const moat_node *a = moat_node_get(moat_doc_root(d), "a");
        ASSERT_EQ(moat_doc_add(d, a, NULL, "2", NULL), MOAT_OK);
        ASSERT_EQ(moat_doc_add(d, a, NULL, "3", NULL), MOAT_OK);
        char *t = moat_doc_text(d, NULL);
        int same = strcmp(t, want[i]) == 0;
        if (!same)
            printf("# case %zu got:\n%s\n", i, t);
        moat_free(t);
        moat_doc_free(d);
        ASSERT(same);
    }
}

TEST(doc_empty_container_follows_its_line)
{
    /* A compact object stays compact; one member per line opens lines. */
    const char *in = "{\n  \"acl\": {\"ipRules\": [], \"x\": 1},\n"
                     "  \"list\": []\n}";
    moat_doc *d;
    ASSERT_EQ(moat_doc_parse(in, strlen(in), &d, NULL), MOAT_OK);
    const moat_node *root = moat_doc_root(d);
    const moat_node *rules =
        moat_node_get(moat_node_get(root, "acl"), "ipRules");
    ASSERT_EQ(moat_doc_add(d, rules, NULL, "{\"value\": \"1.2.3.4\"}", NULL),
              MOAT_OK);
    ASSERT_EQ(moat_doc_add(d, moat_node_get(root, "list"), NULL, "7", NULL),
              MOAT_OK);
    char *t = moat_doc_text(d, NULL);
    ASSERT_STR(t, "{\n  \"acl\": {\"ipRules\": [{\"value\": \"1.2.3.4\"}], "
                  "\"x\": 1},\n  \"list\": [\n    7\n  ]\n}");
    moat_free(t);
    moat_doc_free(d);
}
