/*
** arm_id.c - the parts of an ARM id the commands print in az command lines
** (explain's fixes, replay's suggestion): its resource group and its name.
*/
#include "tool.h"

#include <string.h>
#include <strings.h>

/* The segment "/resourceGroups/" (any case) of id, or NULL. */
static const char *group_marker(const char *id)
{
    for (const char *p = strchr(id, '/'); p; p = strchr(p + 1, '/'))
        if (strncasecmp(p, "/resourceGroups/", 16) == 0)
            return p;
    return NULL;
}

void cli_arm_group(const char *id, char *out, size_t cap)
{
    const char *g = id ? group_marker(id) : NULL;
    const char *from = g ? g + 16 : NULL, *end = NULL;
    /* Up to "/providers/": a group the loader took with a '/' in it (Azure
    ** refuses such names) is named whole, not cut at its first '/'. */
    for (const char *p = from ? strchr(from, '/') : NULL; p && end == NULL;
         p = strchr(p + 1, '/'))
        if (strncasecmp(p, "/providers/", 11) == 0)
            end = p;
    if (from && end == NULL)
        end = from + strlen(from);
    if (from == NULL || end == from)
        snprintf(out, cap, "<resource-group>");
    else
        snprintf(out, cap, "%.*s", (int)(end - from), from);
}

const char *cli_arm_name(const char *id)
{
    const char *slash = id ? strrchr(id, '/') : NULL;
    return slash ? slash + 1 : id ? id : "";
}
