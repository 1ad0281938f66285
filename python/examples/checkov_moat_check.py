#!/usr/bin/env python3
"""A Checkov-style custom check that asks moat, not a field, whether a
storage account or key vault is open to the internet.

Checkov's own checks read one property (CKV_AZURE_35 reads
networkAcls.defaultAction); this one loads the resource into moat, asks
moat's decision engine what a caller from an arbitrary internet address
gets, and reads moat's exposure for the internet source class, so that
publicNetworkAccess, a perimeter, the default action and every IP rule
count as Azure counts them (docs/audit.md, "where moat disagrees with
Checkov").

With Checkov installed, put this file in a directory and run
`checkov -d TEMPLATES --external-checks-dir DIR`: the class below then
derives from Checkov's ARM BaseResourceCheck and registers itself. Without
Checkov it runs alone, the way Checkov's runner calls a check (each
resource of a supported type to scan_resource_conf):

    python3 checkov_moat_check.py azuredeploy.json ...
"""
import enum
import json
import sys

import moat

try:  # Checkov present: a real custom check.
    from checkov.arm.base_resource_check import BaseResourceCheck
    from checkov.common.models.enums import CheckCategories, CheckResult
except ImportError:  # Alone: the same shapes, standard library only.
    class CheckResult(enum.Enum):
        PASSED = "PASSED"
        FAILED = "FAILED"
        UNKNOWN = "UNKNOWN"

    class CheckCategories(enum.Enum):
        NETWORKING = "NETWORKING"

    class BaseResourceCheck:
        def __init__(self, name, id, categories, supported_resources):
            self.name, self.id = name, id
            self.categories = categories
            self.supported_resources = supported_resources
            self.details = []

# An address no rule names (TEST-NET-2, RFC 5737): what any caller on the
# internet would get.
INTERNET_PROBE = "198.51.100.254"
TEMPLATE_SCHEMA = ("https://schema.management.azure.com/schemas/"
                   "2019-04-01/deploymentTemplate.json#")


class MoatInternetExposure(BaseResourceCheck):
    def __init__(self):
        super().__init__(
            name="Storage accounts and key vaults are not reachable from "
                 "the whole internet (decided by moat)",
            id="CKV_MOAT_1", categories=[CheckCategories.NETWORKING],
            supported_resources=["Microsoft.Storage/storageAccounts",
                                 "Microsoft.KeyVault/vaults"])

    def scan_resource_conf(self, conf):
        """conf: the resource as the ARM template declares it."""
        template = {"$schema": TEMPLATE_SCHEMA, "contentVersion": "1.0.0.0",
                    "resources": [conf]}
        try:
            with moat.loads(template, name="template") as estate:
                return self._judge(estate)
        except moat.MoatError as e:
            self.details = ["moat: %s" % e]
            return CheckResult.UNKNOWN

    def _judge(self, estate):
        audit = estate.audit()
        if not audit.resources:
            self.details = ["moat audited nothing: %s" %
                            "; ".join(i["what"] for i in audit.incomplete)]
            return CheckResult.UNKNOWN
        resource = audit.resources[0]
        exposure = resource.exposures["internet"]
        if exposure.admitted == "unknown":
            # A template expression decides: moat never guesses.
            self.details = ["internet exposure unknown: %s" % exposure.detail]
            return CheckResult.UNKNOWN
        verdict = estate.explain(resource=resource.id,
                                 source_ip=INTERNET_PROBE)
        self.details = ["%s from %s: %s (%s)" % (
            verdict.decision.verdict, INTERNET_PROBE,
            verdict.decision.category, verdict.reason),
            "internet: %s, %s" % (exposure.admitted, exposure.detail)]
        if verdict.decision.allowed or exposure.admitted == "all":
            return CheckResult.FAILED
        return CheckResult.PASSED


check = MoatInternetExposure()


def scan_template(path):
    """(resource name, result, details) for each supported resource."""
    with open(path) as f:
        template = json.load(f)
    out = []
    for conf in template.get("resources", []):
        if conf.get("type") in check.supported_resources:
            result = check.scan_resource_conf(conf)
            out.append((conf.get("name"), result, list(check.details)))
    return out


def main(paths):
    failed = 0
    for path in paths:
        for name, result, details in scan_template(path):
            print("%s %s %s: %s" % (check.id, path, name, result.value))
            for d in details:
                print("    " + d)
            failed += result == CheckResult.FAILED
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
