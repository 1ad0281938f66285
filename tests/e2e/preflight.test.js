// preflight.test.js - `moat audit --runner` against the gate: every
// container a Terraform plan creates is created through nginx (the moat
// module) and Azurite from the runner's address, with the account key as
// azurerm signs it; those the audit said will get a 403 must get it, the
// others must be created (docs/audit.md "Deployment pre-flight").
//
// Environment (set by run.sh): GATE, KEYS, EXPECT (the audit's JSON).
"use strict";
const net = require("net");
const fs = require("fs");

let source = "127.0.0.1";
const https = require("https");
const Agent = https.Agent;
https.Agent = class extends Agent {
  constructor(options) {
    super(Object.assign({}, options, { keepAlive: false }));
  }
};
https.globalAgent = new https.Agent({});
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  if (args[0] && typeof args[0] === "object" && !args[0].localAddress) {
    args[0] = Object.assign({}, args[0], { localAddress: source });
  }
  return connect.apply(this, args);
};
const { BlobServiceClient, StorageSharedKeyCredential } = require("@azure/storage-blob");

const keys = Object.fromEntries(process.env.KEYS.split(";").map((kv) => kv.split(":")));
const fresh = { keepAliveOptions: { enable: false }, retryOptions: { maxTries: 1 } };
const audit = JSON.parse(fs.readFileSync(process.env.EXPECT, "utf8"));

async function main() {
  let passed = 0, failed = 0, refused = 0;
  const edges = audit.dependencies.filter((d) => d.kind === "runner");
  if (edges.length === 0) throw new Error("the audit decided no runner request");
  for (const [i, d] of edges.entries()) {
    const req = d.request;
    const account = req.resource.split("/").pop();
    source = req.source.ip;
    const client = new BlobServiceClient(`${process.env.GATE}/${account}`,
      new StorageSharedKeyCredential(account, keys[account]), fresh);
    const name = `${req.target}-${i}`;
    let status;
    try {
      await client.getContainerClient(name).create();
      status = 201;
    } catch (e) {
      status = e.statusCode;
    }
    const want = d.decision === "deny" ? 403 : 201;
    const what = `${d.resource} from ${source} to ${account}: audit ${d.decision} (${d.category}), gate ${status}`;
    if (status === want) {
      passed++;
      if (status === 403) refused++;
      console.log(`ok ${passed + failed} - ${what}`);
    } else {
      failed++;
      console.log(`not ok ${passed + failed} - ${what}`);
    }
  }
  const findings = audit.findings.filter((f) => f.id === "MOAT017" && f.state === "active").length;
  const denied = edges.filter((d) => d.decision === "deny").length;
  if (findings !== denied) {
    failed++;
    console.log(`not ok - ${findings} MOAT017 findings for ${denied} refused requests`);
  }
  console.log(`preflight: ${passed} passed (${refused} refused as the audit said), ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
main().catch((e) => { console.log(`not ok - ${e.message}`); process.exit(1); });
