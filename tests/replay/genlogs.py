#!/usr/bin/env python3
"""Writes realistic Azure Storage access logs for an estate, in each format
`moat replay` reads, with the request each record stands for.

    genlogs.py --estate DIR --records N --format F --out LOG [--truth FILE]
               [--seed S] [--gzip] [--unmappable PCT] [--denied PCT]

Formats: diagnostic (diagnostic-setting JSON lines, as in PT1H.json),
diagnostic-records ({"records": [...]} as older exports and Event Hub
messages), analytics-json (Log Analytics rows as JSON lines),
analytics-array (rows as one JSON array, `az monitor log-analytics query`
style), analytics-csv (the portal's "Export to CSV"), keyvault (Key Vault
AuditEvent records of the same diagnostic export, for the estate's
vaults), classic (Storage
Analytics `$logs` lines: version 2.0 for blob and queue, 1.0 for table,
whose lines carry no requester identity; Azure Files is not logged there).

Sources are drawn from the estate: public addresses inside and outside the
accounts' IP rules, private addresses in subnets with service endpoints,
addresses in subnets that host an Approved private endpoint to the account,
managed identities (principalId) of the estate. The truth file has one JSON
line per record: {"line": N, "request": {...}, "azure": OUTCOME} in
decision.md section 2's shape with the network outcome its status shows
(allowed, denied, unknown), or {"line": N, "unmapped": REASON} for records made to be
unmappable. Record shapes follow Azure's documentation (docs/replay.md).
"""
import argparse
import gzip
import ipaddress
import json
import os
import random
import sys

OPS = {  # endpoint -> [(operationName, category, operation, kind)]
    "blob": [("GetBlob", "StorageRead", "read"), ("GetBlobProperties", "StorageRead", "read"),
             ("PutBlob", "StorageWrite", "write"), ("PutBlock", "StorageWrite", "write"),
             ("DeleteBlob", "StorageDelete", "delete"), ("ListBlobs", "StorageRead", "list"),
             ("ListContainers", "StorageRead", "list")],
    "dfs": [("ReadFile", "StorageRead", "read"), ("CreateFile", "StorageWrite", "write"),
            ("ListFilesystemDir", "StorageRead", "list")],
    "table": [("QueryEntities", "StorageRead", "read"), ("InsertEntity", "StorageWrite", "write"),
              ("DeleteEntity", "StorageDelete", "delete"), ("QueryTables", "StorageRead", "list")],
    "queue": [("GetMessages", "StorageRead", "read"), ("PutMessage", "StorageWrite", "write"),
              ("DeleteMessage", "StorageDelete", "delete"), ("ListQueues", "StorageRead", "list")],
    "file": [("GetFile", "StorageRead", "read"), ("PutRange", "StorageWrite", "write"),
             ("ListFilesAndDirectories", "StorageRead", "list")],
}
TABLES = {"blob": "StorageBlobLogs", "dfs": "StorageBlobLogs", "table": "StorageTableLogs",
          "queue": "StorageQueueLogs", "file": "StorageFileLogs"}
TARGETS = {"blob": ["manifests", "images", "backups", "$logs", "exports"],
           "dfs": ["lake", "raw"], "table": ["orders", "$MetricsHourPrimaryTransactionsBlob", "events"],
           "queue": ["jobs", "alerts"], "file": ["share1", "profiles"]}
CSV_COLUMNS = ["TenantId", "TimeGenerated [UTC]", "AccountName", "Location", "Protocol", "OperationName",
               "AuthenticationType", "StatusCode", "StatusText", "DurationMs", "ServerLatencyMs", "Uri",
               "CallerIpAddress", "CorrelationId", "SchemaVersion", "OperationVersion", "AuthenticationHash",
               "RequesterObjectId", "RequesterTenantId", "RequesterAppId", "RequesterUpn", "UserAgentHeader",
               "ClientRequestId", "Etag", "ServiceType", "OperationCount", "ObjectKey", "RequestHeaderSize",
               "RequestBodySize", "ResponseHeaderSize", "ResponseBodySize", "TlsVersion", "Category",
               "MetricResponseType", "_ResourceId", "Type"]


def resources(path):
    """Every ARM resource of an estate directory or file (arrays, value
    lists and single resources; VNets' inline subnets included)."""
    files = []
    if os.path.isdir(path):
        for root, _, names in os.walk(path):
            files += [os.path.join(root, n) for n in sorted(names) if n.endswith(".json")]
    else:
        files = [path]
    out = []
    for f in sorted(files):
        with open(f) as fp:
            doc = json.load(fp)
        items = doc if isinstance(doc, list) else \
            doc.get("value", doc.get("data", doc.get("resources", [doc])))
        for r in items:
            if isinstance(r, dict):
                out.append(r)
                for s in (r.get("properties") or {}).get("subnets", []) or []:
                    s = dict(s)
                    s["type"] = "Microsoft.Network/virtualNetworks/subnets"
                    s["_location"] = r.get("location")
                    out.append(s)
    return out


class Estate:
    def __init__(self, path):
        rs = resources(path)
        low = lambda t: (t or "").lower()
        self.accounts = [r for r in rs if low(r.get("type")) == "microsoft.storage/storageaccounts"]
        self.vaults = [r for r in rs if low(r.get("type")) == "microsoft.keyvault/vaults"]
        self.subnets = []
        for r in rs:
            if low(r.get("type")) != "microsoft.network/virtualnetworks/subnets":
                continue
            p = r.get("properties", r)
            prefixes = p.get("addressPrefixes") or ([p["addressPrefix"]] if p.get("addressPrefix") else [])
            services = [e.get("service") for e in p.get("serviceEndpoints", []) or []]
            self.subnets.append({"id": r["id"], "prefixes": prefixes, "services": services,
                                 "location": r.get("_location")})
        self.pe_subnet = {}
        for r in rs:
            if low(r.get("type")) == "microsoft.network/privateendpoints":
                sub = ((r.get("properties") or {}).get("subnet") or {}).get("id")
                if sub:
                    self.pe_subnet[r["id"].lower()] = sub
        self.principals = []
        for r in rs:
            ident = r.get("identity") or {}
            pid = ident.get("principalId")
            if low(r.get("type")) == "microsoft.managedidentity/userassignedidentities":
                pid = (r.get("properties") or {}).get("principalId")
            if pid and r.get("id"):
                self.principals.append({"oid": pid, "id": r["id"],
                                        "tenant": ident.get("tenantId") or
                                        (r.get("properties") or {}).get("tenantId")})
        self.members = {}
        perims = {low(r["id"]): (r.get("properties") or {}).get("perimeterGuid")
                  for r in rs if low(r.get("type")) == "microsoft.network/networksecurityperimeters"}
        for r in rs:
            if low(r.get("type")) == "microsoft.network/networksecurityperimeters/resourceassociations":
                rid = ((r.get("properties") or {}).get("privateLinkResource") or {}).get("id")
                parent = r["id"][: r["id"].lower().index("/resourceassociations/")]
                if rid and perims.get(parent.lower()):
                    self.members[rid.lower()] = perims[parent.lower()]
        self.subnet_by_id = {s["id"].lower(): s for s in self.subnets}

    def overlapping(self, ip):
        return [s for s in self.subnets
                if any(ipaddress.ip_address(ip) in ipaddress.ip_network(p, strict=False) for p in s["prefixes"])]

    def approved_pe_subnets(self, acct):
        out = []
        for c in (acct.get("properties") or {}).get("privateEndpointConnections", []) or []:
            p = c.get("properties", c)
            if (p.get("privateLinkServiceConnectionState") or {}).get("status", "").lower() != "approved":
                continue
            pe = (p.get("privateEndpoint") or {}).get("id", "")
            sub = self.pe_subnet.get(pe.lower())
            if sub and sub.lower() in self.subnet_by_id:
                out.append((pe, self.subnet_by_id[sub.lower()]))
        return out


def public_ip(rng):
    while True:
        a = rng.randrange(1, 224)
        if a in (10, 127, 169, 172, 192, 100, 0):
            continue
        return "%d.%d.%d.%d" % (a, rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))


def ip_in(rng, prefix):
    net = ipaddress.ip_network(prefix, strict=False)
    if net.num_addresses <= 2:
        return str(net.network_address)
    return str(net.network_address + rng.randrange(1, min(net.num_addresses - 1, 1 << 24)))


def choose_source(rng, est, acct):
    """(address, request source fields, path)."""
    acls = (acct.get("properties") or {}).get("networkAcls") or {}
    roll = rng.random()
    pes = est.approved_pe_subnets(acct)
    if roll < 0.15 and pes:
        pe, sub = rng.choice(pes)
        ip = ip_in(rng, sub["prefixes"][0])
        if len(est.overlapping(ip)) == 1:
            return ip, {"ip": ip, "private_endpoint": pe}, "private endpoint"
    if roll < 0.35:
        subs = [s for s in est.subnets if s["prefixes"] and not any(
            s is p[1] for p in pes)]
        if subs:
            s = rng.choice(subs)
            ip = ip_in(rng, s["prefixes"][0])
            if len(est.overlapping(ip)) == 1:
                src = {"ip": ip, "subnet": s["id"]}
                if s["location"]:
                    src["region"] = s["location"]
                return ip, src, "service endpoint"
    rules = [r.get("value") for r in acls.get("ipRules", []) or [] if r.get("value")]
    if roll < 0.65 and rules:
        ip = ip_in(rng, rng.choice(rules))
        if ipaddress.ip_address(ip).is_global:
            return ip, {"ip": ip}, "public"
    if roll > 0.97:
        ip = "2001:db8:%x::%x" % (rng.randrange(65536), rng.randrange(1, 65536))
        return ip, {"ip": ip}, "public"
    ip = public_ip(rng)
    return ip, {"ip": ip}, "public"


def token_holder(rng, est, caller):
    """(object id, tenant) of an OAuth caller: an estate managed identity
    (its resource, subscription and perimeter added to caller) or someone
    outside the estate."""
    if est.principals and rng.random() < 0.6:
        p = rng.choice(est.principals)
        caller["resource_id"] = p["id"]
        caller["subscription"] = p["id"].split("/")[2]
        if p["id"].lower() in est.members:
            caller["perimeters"] = [est.members[p["id"].lower()]]
        return p["oid"], p["tenant"]
    oid = "%08x-1111-4222-8333-%012x" % (rng.randrange(1 << 32), rng.randrange(1 << 48))
    return oid, rng.choice(["2987efb7-f7cf-4546-a458-91d2550c48c7", "fa1ccb8f-23d3-4fc3-ae15-889c1cc961a9"])


def make(rng, est, args, n):
    """(record fields, truth) for record n."""
    acct = rng.choice(est.accounts)
    endpoint = rng.choice(["blob"] * 6 + ["dfs", "table", "table", "queue"] +
                          ([] if args.format == "classic" else ["file"]))
    op_name, category, operation = rng.choice(OPS[endpoint])
    target = rng.choice(TARGETS[endpoint])
    if op_name == "ListContainers" or op_name == "ListQueues" or op_name == "QueryTables":
        target = None
    ip, source, path = choose_source(rng, est, acct)
    auth = rng.choice(["OAuth", "OAuth", "SAS", "AccountKey", "Anonymous"])
    caller = {"auth": auth}
    oid = tenant = None
    if auth == "OAuth":
        oid, tenant = token_holder(rng, est, caller)
        if tenant:
            caller["tenant"] = tenant
        if args.format == "classic" and endpoint == "table":
            oid = tenant = None  # version 1.0 lines: no requester identity
            caller = {"auth": auth}
    name = acct["name"]
    request = {"resource": acct["id"], "endpoint": endpoint, "operation": operation}
    if target:
        request["target"] = target
    request["protocol"] = "HTTPS"
    request["source"] = source
    request["caller"] = caller
    denied = rng.random() < args.denied / 100.0
    success = rng.choice([(200, "Success"), (200, "Success"), (201, "Success"), (404, "BlobNotFound"),
                          (206, "Success")])
    flip = rng.random() < args.disagree / 100.0  # drawn always: same records either way
    if args.statuses is not None and n + 1 in args.statuses:
        # Azure's outcome as moat decided it, but for a share of records.
        denied = (args.statuses[n + 1] == "deny") != flip
    status = (403, {"SAS": "SASIpAuthorizationError", "OAuth": "OAuthIpAuthorizationError",
                    "AccountKey": "IpAuthorizationError", "Anonymous": "AnonymousIpAuthorizationError"}[auth]) \
        if denied else success
    key = "/%s/%s/%s" % (name, target, "obj-%06d.bin" % rng.randrange(10 ** 6)) if target else "/" + name
    host = "%s.%s.core.windows.net" % (name, endpoint)
    uri = "https://%s:443%s?sv=2021-08-06&timeout=30" % (host, key[len(name) + 1:] or "/")
    port = rng.randrange(1024, 65536)
    caller_ip = "[%s]:%d" % (ip, port) if ":" in ip else "%s:%d" % (ip, port)
    t = "2026-11-%02dT%02d:%02d:%02d.%07dZ" % (rng.randrange(1, 28), rng.randrange(24), rng.randrange(60),
                                             rng.randrange(60), rng.randrange(10 ** 7))
    request["time"] = t  # the record's own time is the request's
    rec = dict(time=t, acct=acct, name=name, endpoint=endpoint, op=op_name, category=category,
               status=status, caller_ip=caller_ip, auth=auth, oid=oid, tenant=tenant, uri=uri, key=key,
               corr="%08x-%04x-4%03x-8%03x-%012x" % (rng.randrange(1 << 32), rng.randrange(65536),
                                                      rng.randrange(4096), rng.randrange(4096),
                                                      rng.randrange(1 << 48)))
    return rec, {"request": request, "azure": "denied" if denied else "allowed"}


VAULT_OPS = [("SecretGet", "read"), ("SecretGet", "read"), ("SecretList", "list"), ("SecretSet", "write"),
             ("KeyDecrypt", "read"), ("KeySign", "read"), ("CertificateGet", "read"),
             ("SecretDelete", "delete"), ("VaultGet", "read")]


def make_vault(rng, est, args, n):
    """(record fields, truth) for a Key Vault AuditEvent record."""
    vault = rng.choice(est.vaults)
    op, operation = rng.choice(VAULT_OPS)
    control = op.startswith("Vault")
    ip, source, path = choose_source(rng, est, vault)
    if ":" in ip:  # Key Vault's firewall and logs are IPv4 only
        ip = public_ip(rng)
        source = {"ip": ip}
    caller = {"auth": "OAuth"}
    oid, tenant = token_holder(rng, est, caller)
    logged = rng.random() < 0.5  # not every record names the tenant claim
    if tenant and (logged or "resource_id" in caller):
        caller["tenant"] = tenant  # an estate identity's tenant is known
    if not logged:
        tenant = None
    request = {"resource": vault["id"], "endpoint": "vault", "operation": operation, "source": source,
               "caller": caller}
    if control:
        request["plane"] = "control"
    denied = rng.random() < args.denied / 100.0 and not control
    flip = rng.random() < args.disagree / 100.0
    if args.statuses is not None and n + 1 in args.statuses:
        denied = (args.statuses[n + 1] == "deny") != flip
    rbac = rng.random() < 0.05
    served = rng.choice([(200, "OK", ""), (200, "OK", ""), (404, "Not Found", "Secret not found: db")])
    refusal, code = vault_refusal(vault, ip, oid)
    status = (403, "Forbidden", refusal) if denied else \
        (403, "Forbidden", "Caller is not authorized to perform action on resource.") if rbac else \
        served  # drawn whatever the status, so that --statuses keeps the records
    t = "2026-11-%02dT%02d:%02d:%02d.%07dZ" % (rng.randrange(1, 28), rng.randrange(24), rng.randrange(60),
                                             rng.randrange(60), rng.randrange(10 ** 7))
    request["time"] = t
    rec = dict(time=t, vault=vault, op=op, control=control, status=status, ip=ip, oid=oid, tenant=tenant)
    azure = "denied" if denied else "unknown" if rbac else "allowed"
    truth = {"request": request, "azure": azure}
    if denied:
        truth["azure_code"] = code
    return rec, truth


def vault_refusal(vault, ip, oid):
    """Key Vault's refusal message and inner code (Azure's answers as
    collected): ForbiddenByConnection when public access is off, else
    ForbiddenByFirewall; the wording changes with bypass None."""
    props = vault.get("properties") or {}
    bypass_none = ((props.get("networkAcls") or {}).get("bypass") or "").lower() == "none"
    where = "Vault: %s;location=%s" % (vault["name"], vault.get("location"))
    caller = "Caller: appid=0c1d2e3f;oid=%s;iss=https://sts.windows.net/2987efb7/" % oid
    if (props.get("publicNetworkAccess") or "").lower() == "disabled":
        if bypass_none:
            return ("Connection is not an approved private link and caller was ignored because bypass is not "
                    "set to 'AzureServices' and PublicNetworkAccess is set to 'Disabled'.\r\n" + where,
                    "ForbiddenByConnection")
        return ("Public network access is disabled and request is not from a trusted service nor via an "
                "approved private link.\r\n%s\r\n%s" % (caller, where), "ForbiddenByConnection")
    first = "Client address is not authorized and caller was ignored because bypass is set to None" \
        if bypass_none else "Client address is not authorized and caller is not a trusted service."
    return "%s\r\nClient address: %s\r\n%s\r\n%s" % (first, ip, caller, where), "ForbiddenByFirewall"


def keyvault(rec):
    """An AuditEvent record as a diagnostic setting exports it (Key Vault
    logging docs): the claims of the caller's token under identity.claim,
    the HTTP status under properties."""
    vault = rec["vault"]
    code, sig, desc = rec["status"]
    claim = {"appid": "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"}
    if rec["control"]:  # Resource Manager's records use the claim URIs
        claim["http://schemas.microsoft.com/identity/claims/objectidentifier"] = rec["oid"]
        if rec["tenant"]:
            claim["http://schemas.microsoft.com/identity/claims/tenantid"] = rec["tenant"]
        uri = "https://management.azure.com%s?api-version=2023-07-01" % vault["id"]
    else:
        claim["oid"] = rec["oid"]
        if rec["tenant"]:
            claim["tid"] = rec["tenant"]
        uri = "https://%s.vault.azure.net/secrets/db?api-version=7.4" % vault["name"]
    return {"time": rec["time"], "resourceId": vault["id"].upper(), "operationName": rec["op"],
            "operationVersion": "7.4", "category": "AuditEvent", "resultType": "Success",
            "resultSignature": sig, "resultDescription": desc, "durationMs": "12",
            "callerIpAddress": rec["ip"], "correlationId": "", "identity": {"claim": claim},
            "properties": {"clientInfo": "azsdk-python-keyvault-secrets/4.7.0", "requestUri": uri,
                           "httpStatusCode": code, "isAccessPolicyMatch": True, "tlsVersion": "TLS1_2"}}


def resource_id(acct, endpoint):
    svc = {"blob": "blobServices", "dfs": "blobServices", "table": "tableServices",
           "queue": "queueServices", "file": "fileServices"}[endpoint]
    return "%s/%s/default" % (acct["id"], svc)


def diagnostic(rec):
    ident = {"type": rec["auth"]}
    if rec["auth"] != "Anonymous":
        ident["tokenHash"] = "key1(%s)" % ("A1B2C3D4" * 8) if rec["auth"] != "OAuth" else "9F" * 32
    if rec["auth"] == "OAuth":
        ident["authorization"] = [{"action": "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
                                   "roleAssignmentId": "00000000-0000-0000-0000-000000000001",
                                   "roleDefinitionId": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
                                   "principals": [{"id": rec["oid"], "type": "ServicePrincipal"}],
                                   "denyAssignmentId": "", "type": "RBAC", "result": "Granted",
                                   "reason": "Policy"}]
        ident["requester"] = {"appId": "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "audience": "https://storage.azure.com/",
                              "objectId": rec["oid"], "tenantId": rec["tenant"],
                              "tokenIssuer": "https://sts.windows.net/%s/" % rec["tenant"], "upn": ""}
    code, text = rec["status"]
    return {"time": rec["time"], "resourceId": resource_id(rec["acct"], rec["endpoint"]),
            "category": rec["category"], "operationName": rec["op"], "operationVersion": "2021-08-06",
            "schemaVersion": "1.0", "statusCode": code, "statusText": text, "durationMs": 12,
            "callerIpAddress": rec["caller_ip"], "correlationId": rec["corr"], "identity": ident,
            "location": rec["acct"].get("location", "westeurope"),
            "properties": {"accountName": rec["name"], "userAgentHeader": "azsdk-python-storage-blob/12.19.0 "
                           "Python/3.11.4 (Linux-5.15.0-1051-azure-x86_64-with-glibc2.35)",
                           "clientRequestId": rec["corr"], "etag": "\"0x8DBF2C9A1E3B4C5\"",
                           "serverLatencyMs": 8, "serviceType": "blob" if rec["endpoint"] in ("blob", "dfs")
                           else rec["endpoint"], "operationCount": 0, "requestHeaderSize": 874,
                           "requestBodySize": 0, "responseHeaderSize": 412, "responseBodySize": 1834,
                           "contentLengthHeader": 0, "tlsVersion": "TLS 1.2", "objectKey": rec["key"],
                           "metricResponseType": "Success" if code < 400 else "AuthorizationError",
                           "lastModifiedTime": "11/18/2026 9:12:45 AM", "conditionsUsed": "If-Match=*"},
            "uri": rec["uri"], "protocol": "HTTPS",
            "resourceType": "Microsoft.Storage/storageAccounts/blobServices"}


def analytics(rec):
    code, text = rec["status"]
    return {"TenantId": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e", "TimeGenerated": rec["time"],
            "AccountName": rec["name"], "Location": rec["acct"].get("location", "westeurope"), "Protocol": "HTTPS",
            "OperationName": rec["op"], "AuthenticationType": rec["auth"], "StatusCode": str(code),
            "StatusText": text, "DurationMs": 12, "ServerLatencyMs": 8, "Uri": rec["uri"],
            "CallerIpAddress": rec["caller_ip"], "CorrelationId": rec["corr"], "SchemaVersion": "1.0",
            "OperationVersion": "2021-08-06", "AuthenticationHash": "key1(A1B2C3D4)",
            "RequesterObjectId": rec["oid"] or "", "RequesterTenantId": rec["tenant"] or "",
            "RequesterAppId": "", "RequesterUpn": "", "UserAgentHeader": "azsdk-net-Storage.Blobs/12.18.0",
            "ClientRequestId": rec["corr"], "Etag": "0x8DBF2C9A1E3B4C5",
            "ServiceType": "blob" if rec["endpoint"] in ("blob", "dfs") else rec["endpoint"],
            "OperationCount": 0, "ObjectKey": rec["key"], "RequestHeaderSize": 874, "RequestBodySize": 0,
            "ResponseHeaderSize": 412, "ResponseBodySize": 1834, "TlsVersion": "TLS 1.2",
            "Category": rec["category"], "MetricResponseType": "Success",
            "_ResourceId": resource_id(rec["acct"], rec["endpoint"]).lower(), "Type": TABLES[rec["endpoint"]]}


CLASSIC_AUTH = {"OAuth": "bearer", "SAS": "sas", "AccountKey": "authenticated", "Anonymous": "anonymous"}


def classic(rec):
    """A Storage Analytics log line ("Storage Analytics log format"): quoted
    fields HTML-encoded, empty ones bare, raw quotes where Azure writes them
    (an ETag as ""0x..."", 2.0's authorization detail as JSON)."""
    code, text = rec["status"]
    auth = rec["auth"]
    if code < 400 and text == "Success":
        text = {"OAuth": "OAuthSuccess", "SAS": "SASSuccess", "Anonymous": "AnonymousSuccess"}.get(auth, text)
    denied = "IpAuthorization" in text
    q = lambda v: '"%s"' % v.replace("&", "&amp;").replace('"', "&quot;") if v else ""
    version = "1.0" if rec["endpoint"] == "table" else "2.0"
    ip = rec["caller_ip"]
    port = int(ip.rsplit(":", 1)[1])
    if port % 5 == 0:  # some lines carry the address alone
        ip = ip.rsplit(":", 1)[0].strip("[]")
    etag = '""0x8DBF2C9A1E3B4C5""' if port % 2 else q('"0x8DBF2C9A1E3B4C5"')
    fields = [version, rec["time"], rec["op"], text, str(code), "12", "8", CLASSIC_AUTH[auth],
              rec["name"] if auth in ("OAuth", "AccountKey") else "", rec["name"],
              "blob" if rec["endpoint"] in ("blob", "dfs") else rec["endpoint"], q(rec["uri"]),
              q("/" if denied else rec["key"]), rec["corr"], "0", ip, "2021-08-06", "874", "0", "412", "1834",
              "0", "", "", etag, "Friday, 20-Nov-26 09:12:45 GMT", "",
              q("azsdk-python-storage-blob/12.19.0 Python/3.11.4 (Linux; x86_64; glibc2.35)"), "",
              q(rec["corr"])]
    if version == "2.0":
        oauth = auth == "OAuth"
        fields += [q(rec["oid"] or ""), q(rec["tenant"] or ""),
                   q("0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f") if oauth else "",
                   q("https://storage.azure.com/") if oauth else "",
                   q("https://sts.windows.net/%s/" % rec["tenant"]) if oauth and rec["tenant"] else "", "", "",
                   '"[{"action":"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",'
                   '"principalId":"%s","result":"Granted"}]"' % rec["oid"] if oauth else ""]
    return ";".join(fields)


def csv_field(v):
    s = "" if v is None else str(v)
    if any(c in s for c in ',"\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def unmappable(rng, fmt):
    kind = rng.choice(["account", "malformed", "address"])
    if kind == "account":
        rec = {"time": "2026-11-20T00:00:00Z",
               "resourceId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/gone/providers/"
                             "Microsoft.Storage/storageAccounts/stgone%04d/blobServices/default" % rng.randrange(10000),
               "category": "StorageRead", "operationName": "GetBlob", "callerIpAddress": "1.2.3.4:5",
               "statusCode": 200, "statusText": "Success"}
        return rec, "account not in the estate"
    if kind == "address":
        return None, "no caller address"
    return None, "malformed record"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--estate", required=True)
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--format", required=True, choices=["diagnostic", "diagnostic-records", "analytics-json",
                                                         "analytics-array", "analytics-csv", "classic",
                                                         "keyvault"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--truth")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--unmappable", type=float, default=2.0, help="percent of records made unmappable")
    ap.add_argument("--denied", type=float, default=10.0, help="percent logged as Azure firewall denials")
    ap.add_argument("--statuses", help="a `moat replay --decisions` file of the same log: each record's "
                    "status follows moat's current decision (for realistic benchmarks)")
    ap.add_argument("--disagree", type=float, default=0.1, help="with --statuses: percent of records "
                    "whose status contradicts moat")
    args = ap.parse_args()
    if args.statuses:
        decided = {}
        with open(args.statuses) as f:
            for l in f:
                d = json.loads(l)
                decided[d["line"]] = d["decisions"]["current"]["decision"]
        args.statuses = decided
    else:
        args.statuses = None
    rng = random.Random(args.seed)
    est = Estate(args.estate)
    if not est.accounts:
        sys.exit("genlogs: the estate has no storage account")
    if args.format == "keyvault" and not est.vaults:
        sys.exit("genlogs: the estate has no key vault")
    opener = gzip.open if args.gzip else open
    truth = open(args.truth, "w") if args.truth else None
    fmt = args.format
    lines = []
    line = 1
    if fmt == "analytics-csv":
        lines.append(",".join(csv_field(c) for c in CSV_COLUMNS))
        line = 2
    elems = []
    for n in range(args.records):
        if rng.random() < args.unmappable / 100.0:
            rec, reason = unmappable(rng, fmt)
            if fmt.startswith("analytics") and rec is not None:
                rec = {"TimeGenerated": rec["time"], "AccountName": "stgone%04d" % rng.randrange(10000),
                       "OperationName": "GetBlob", "Category": "StorageRead", "CallerIpAddress": "1.2.3.4:5",
                       "StatusCode": "200", "StatusText": "Success", "Type": "StorageBlobLogs"}
            if fmt == "keyvault" and reason != "malformed record":
                good, _ = make_vault(rng, est, args, n)
                rec = keyvault(good)
                if reason == "no caller address":
                    rec["callerIpAddress"] = ""
                else:
                    rec["resourceId"] = rec["resourceId"].rsplit("/", 1)[0] + "/KV-GONE%04d" % rng.randrange(10000)
                    reason = "vault not in the estate"
            elif reason == "no caller address":
                good, _ = make(rng, est, args, n)
                if fmt == "classic":
                    good["caller_ip"] = "Unknown:0"
                    rec = good
                else:
                    rec = diagnostic(good) if fmt.startswith("diagnostic") else analytics(good)
                    rec["callerIpAddress" if fmt.startswith("diagnostic") else "CallerIpAddress"] = "Unknown"
            elif fmt == "classic" and rec is not None:
                good, _ = make(rng, est, args, n)
                good["name"] = "stgone%04d" % rng.randrange(10000)
                rec = good
            if rec is None:  # malformed, but framed: the records after it still read
                rec_text = {"analytics-csv": "2026-11-20,truncated,row",
                            "classic": '2.0;2026-11-20T00:00:00.0000000Z;GetBlob;Success;200;"unterminated',
                            "diagnostic-records": '{"time": 12 13}',
                            "analytics-array": '{"TimeGenerated": 12 13}'}.get(
                    fmt, '{"time": "2026-11-20T00:00:00Z", "category": "StorageRead", "operationName": ')
            else:
                rec_text = None
            truth_entry = {"unmapped": reason}
        elif fmt == "keyvault":
            good, truth_entry = make_vault(rng, est, args, n)
            rec = keyvault(good)
            rec_text = None
        else:
            good, truth_entry = make(rng, est, args, n)
            rec = good if fmt == "classic" else diagnostic(good) if fmt.startswith("diagnostic") else analytics(good)
            rec_text = None
        if rec_text is None:
            if fmt == "classic":
                rec_text = classic(rec)
            elif fmt == "analytics-csv":
                rec_text = ",".join(csv_field(rec.get(c.split(" [")[0])) for c in CSV_COLUMNS)
            else:
                rec_text = json.dumps(rec, separators=(",", ":"))
        if fmt in ("diagnostic-records", "analytics-array"):
            elems.append(rec_text)
            pos = len(elems)
        else:
            lines.append(rec_text)
            pos = line
            line += 1
        if truth:
            truth.write(json.dumps(dict({"line": pos}, **truth_entry)) + "\n")
    with opener(args.out, "wt") as out:
        if fmt == "diagnostic-records":
            out.write('{"records": [\n' + ",\n".join(elems) + "\n]}\n")
        elif fmt == "analytics-array":
            out.write("[\n" + ",\n".join(elems) + "\n]\n")
        else:
            out.write("\n".join(lines) + "\n")
    if truth:
        truth.close()


if __name__ == "__main__":
    main()
