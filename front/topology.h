/*
** topology.h - where requests come from, for the gate (docs/gate.md):
** which source address ranges are which subnets (arriving through their
** service endpoints), and which local listen addresses are which private
** endpoints. JSON:
**
**   {"subnets": [{"addresses": ["127.0.1.0/24"], "subnet": "<subnet id>"}],
**    "private_endpoints": [{"listen": "127.0.0.1:10010",
**                           "private_endpoint": "<private endpoint id>"}]}
*/
#ifndef MOAT_TOPOLOGY_H
#define MOAT_TOPOLOGY_H

#include <stddef.h>
#include <sys/socket.h>

typedef struct topology topology;

/* NULL with a reason (naming the entry and field) in err. */
topology *moat_topology_load(const char *json, size_t len, char *err, size_t cap);
void moat_topology_free(topology *t);

/* The subnet a source address is in, or NULL (public). */
const char *moat_topology_subnet(const topology *t, const struct sockaddr *src);
/* The private endpoint behind a local listen address, or NULL. */
const char *moat_topology_private_endpoint(const topology *t,
                                      const struct sockaddr *local);

#endif
