"""nginx -s reload does not swap in an estate directory that lost a file.

A directory estate loses a file for a moment when an editor saves it, git
checks out a branch or rsync copies over it; a reload in that moment used
to load the rest, and an Enforced perimeter whose association was in the
missing file vanished: requests the full estate denies were allowed. Now
the module remembers which files each moat_estate path loaded in the
running configuration and refuses a configuration that lost any (the
running one stays in force, the error log says which files); the removal
is accepted by a second reload that finds the same files, 5 seconds or
more after the first refusal.

Estate: tests/e2e/estate/gate.json split in two files, perimeter.json
holding stperim's Enforced perimeter (which denies 127.0.0.5 although
stperim's IP rule admits it)."""
import json
import os
import time

from gatelib import Gate, get
from seclib import TOP, check, finish, tmpdir

SOURCE = "127.0.0.5"
REFUSED = "moat: moat_estate"
ACCEPTED = "moat: accepted the removal"


def split_estate(d):
    resources = json.load(open(os.path.join(TOP, "tests", "e2e", "estate",
                                            "gate.json")))
    nsp = [r for r in resources if "networkSecurityPerimeters" in r["type"]]
    rest = [r for r in resources if r not in nsp]
    json.dump(rest, open(os.path.join(d, "storage.json"), "w"))
    perimeter = os.path.join(d, "perimeter.json")
    json.dump(nsp, open(perimeter, "w"))
    return rest, nsp, perimeter


def extra_account(d, name):
    """A new file with one more account that admits SOURCE: when it
    answers, the reload that read it is in force."""
    sub = "/subscriptions/5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    json.dump([{"id": sub + "/resourceGroups/rg-gate/providers/"
                "Microsoft.Storage/storageAccounts/" + name, "name": name,
                "type": "Microsoft.Storage/storageAccounts",
                "location": "westeurope", "properties": {"networkAcls": {
                    "defaultAction": "Deny",
                    "ipRules": [{"value": SOURCE}]}}}],
              open(os.path.join(d, name + ".json"), "w"))


def status(g, account):
    return get(g.ports[0], "/%s/data" % account, source=SOURCE)[0]


def wait_for(cond, seconds=5.0):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return False


def stays_denied(g, what, seconds=1.5):
    """stperim is denied throughout, checked every 100 ms."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        st = status(g, "stperim")
        if not check(st == 403, "%s: stperim answered %d" % (what, st)):
            return
        time.sleep(0.1)


def main():
    d = tmpdir()
    estate = os.path.join(d, "estate")
    os.makedirs(estate)
    rest, nsp, perimeter = split_estate(estate)
    g = Gate([{"account_from": "path"}], estate=estate, tmp=d)
    log = g.nginx.error_log
    try:
        check(status(g, "stperim") == 403 and status(g, "stopen") == 200,
              "the full estate: stperim denied, stopen allowed")
        # A file vanishes for a moment and nginx reloads in that moment.
        os.unlink(perimeter)
        g.nginx.reload()
        check(wait_for(lambda: REFUSED in log()),
              "the reload without perimeter.json was refused in the error "
              "log:\n" + log()[-1500:])
        check("perimeter.json" in log(), "the error log names the file")
        stays_denied(g, "after the refused reload")
        # The file is back: the next reload goes through (a new account
        # shows it is in force) and the perimeter still holds.
        json.dump(nsp, open(perimeter, "w"))
        extra_account(estate, "stextra1")
        g.nginx.reload()
        check(wait_for(lambda: status(g, "stextra1") == 200),
              "the reload with every file was taken")
        stays_denied(g, "after the file came back", 0.5)
        # A deliberate removal: refused once, refused again too soon,
        # accepted by a reload with the same files 5 s after the first.
        os.unlink(perimeter)
        refusals = log().count(REFUSED)
        g.nginx.reload()
        check(wait_for(lambda: log().count(REFUSED) > refusals),
              "the removal was refused at first")
        first = time.time()
        g.nginx.reload()
        check(wait_for(lambda: log().count(REFUSED) > refusals + 1),
              "a confirmation too soon was refused too")
        stays_denied(g, "before the confirmation", 0.5)
        time.sleep(max(0.0, first + 5.2 - time.time()))
        g.nginx.reload()
        check(wait_for(lambda: ACCEPTED in log()),
              "the second reload with the same files accepted the removal")
        check(wait_for(lambda: status(g, "stperim") == 200),
              "with the perimeter removed on purpose, stperim's IP rule "
              "admits " + SOURCE)
    finally:
        g.stop()


main()
finish("gate reload with a vanished file")
