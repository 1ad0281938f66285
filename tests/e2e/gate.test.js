// gate.test.js - the moat nginx gate end to end: the Azure SDK for
// JavaScript (@azure/storage-blob) talks HTTPS to nginx with
// ngx_http_moat_module, which proxies what it allows to Azurite. Requests
// leave from distinct loopback addresses (127.0.0.0/8 is all loopback on
// Linux), so each meets the estate's IP rules as its own client.
//
// Environment (set by run.sh): GATE (https://127.0.0.1:port), GATE_PE (the
// private endpoint listener), KEYS (account:key;...), TOKEN (Azure
// Backup's), ESTATE (the estate file), RELOAD (a command that reloads
// nginx).
"use strict";
const net = require("net");
const fs = require("fs");
const { execSync } = require("child_process");

// Every socket this process opens leaves from `source`, and none is kept
// alive across scenarios (the SDK pools connections in its own agents).
let source = "127.0.0.1";
const https = require("https");
const Agent = https.Agent;
https.Agent = class extends Agent {
  constructor(options) {
    super(Object.assign({}, options, { keepAlive: false }));
  }
};
// With keep-alive disabled the SDK uses the global agent, which Node 20
// keeps alive: replace it too.
https.globalAgent = new https.Agent({});
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  if (args[0] && typeof args[0] === "object" && !args[0].localAddress) {
    args[0] = Object.assign({}, args[0], { localAddress: source });
  }
  return connect.apply(this, args);
};

// The SDK is loaded after the patches, so that it sees them.
const { BlobServiceClient, StorageSharedKeyCredential } = require("@azure/storage-blob");

const keys = Object.fromEntries(process.env.KEYS.split(";").map((kv) => kv.split(":")));
const token = { getToken: async () => ({ token: process.env.TOKEN, expiresOnTimestamp: Date.now() + 3600e3 }) };
// Each client its own connections: a kept-alive socket would carry the
// previous source address.
const fresh = { keepAliveOptions: { enable: false }, retryOptions: { maxTries: 1 } };

function sharedKey(account, base = process.env.GATE) {
  return new BlobServiceClient(`${base}/${account}`, new StorageSharedKeyCredential(account, keys[account]), fresh);
}
function oauth(account, base = process.env.GATE) {
  return new BlobServiceClient(`${base}/${account}`, token, fresh);
}

let passed = 0, failed = 0;
async function check(name, from, fn) {
  source = from;
  try {
    await fn();
    passed++;
    console.log(`ok ${passed + failed} - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok ${passed + failed} - ${name}\n#   ${e.message}`);
  }
}
async function allowed(p) {
  return p; // any SDK error propagates
}
// The gate's refusal, as the SDK reports it.
async function refused(p) {
  try {
    await p;
  } catch (e) {
    if (e.statusCode === 403 && e.code === "AuthorizationFailure") return;
    throw new Error(`expected 403 AuthorizationFailure, got ${e.statusCode} ${e.code}: ${e.message}`);
  }
  throw new Error("expected 403 AuthorizationFailure, the request passed");
}
// Past the gate: Azurite answered (whatever it said, it was not the gate).
async function passedGate(p) {
  try {
    await p;
  } catch (e) {
    if (e.statusCode === 403 && e.code === "AuthorizationFailure") {
      throw new Error("refused by the gate (403 AuthorizationFailure)");
    }
  }
}

async function main() {
  // Setup from the allowed address: a container in every account.
  source = "127.0.0.5";
  for (const a of ["stopen", "stnone", "stlogs"]) {
    await sharedKey(a).getContainerClient("data").createIfNotExists();
  }
  await sharedKey("stlogs").getContainerClient("$logs").createIfNotExists();
  await check("an allowed address uploads and lists blobs", "127.0.0.5", async () => {
    const c = sharedKey("stopen").getContainerClient("data");
    await c.getBlockBlobClient("hello.txt").upload("hello", 5);
    const names = [];
    for await (const b of c.listBlobsFlat()) names.push(b.name);
    if (!names.includes("hello.txt")) throw new Error(`listing lacks hello.txt: ${names}`);
  });
  await check("a denied address gets 403 AuthorizationFailure", "127.0.0.6", async () => {
    await refused(sharedKey("stopen").getContainerClient("data").getBlockBlobClient("x").upload("x", 1));
  });
  await check("a trusted service's token passes with bypass AzureServices", "127.0.0.6", async () => {
    // Azurite (--oauth basic) checks the token's issuer and audience too.
    await allowed(oauth("stopen").getContainerClient("data").getProperties());
  });
  await check("the same token fails with bypass None", "127.0.0.6", async () => {
    await refused(oauth("stnone").getContainerClient("data").getProperties());
  });
  await check("$logs is readable from anywhere with bypass Logging", "127.0.0.6", async () => {
    await allowed(sharedKey("stlogs").getContainerClient("$logs").getProperties());
  });
  await check("$logs is refused without Logging", "127.0.0.6", async () => {
    await refused(sharedKey("stnone").getContainerClient("$logs").getProperties());
  });
  await check("other containers stay refused with bypass Logging", "127.0.0.6", async () => {
    await refused(sharedKey("stlogs").getContainerClient("data").getProperties());
  });
  await check("the private endpoint listener passes while public access is Disabled", "127.0.0.6", async () => {
    await passedGate(sharedKey("stpriv", process.env.GATE_PE).getContainerClient("data").createIfNotExists());
  });
  await check("the public listener is refused with public access Disabled", "127.0.0.5", async () => {
    await refused(sharedKey("stpriv").getContainerClient("data").getProperties());
  });
  await check("an Enforced perimeter ignores the trusted-service exception", "127.0.0.6", async () => {
    await refused(oauth("stperim").getContainerClient("data").getProperties());
  });
  await check("an Enforced perimeter still refuses the account's IP rule", "127.0.0.5", async () => {
    await refused(sharedKey("stperim").getContainerClient("data").getProperties());
  });
  await check("a forged token gives no identity", "127.0.0.6", async () => {
    const forged = { getToken: async () => ({ token: process.env.TOKEN.slice(0, -4) + "AAAA", expiresOnTimestamp: Date.now() + 3600e3 }) };
    await refused(new BlobServiceClient(`${process.env.GATE}/stopen`, forged, fresh).getContainerClient("data").getProperties());
  });
  await check("changing the estate and reloading changes the outcome", "127.0.0.7", async () => {
    await refused(sharedKey("stnone").getContainerClient("data").getProperties());
    const estate = JSON.parse(fs.readFileSync(process.env.ESTATE));
    const a = estate.find((r) => r.name === "stnone");
    a.properties.networkAcls.ipRules.push({ value: "127.0.0.7" });
    fs.writeFileSync(process.env.ESTATE, JSON.stringify(estate));
    execSync(process.env.RELOAD);
    // New workers take the new estate; wait for them.
    for (let i = 0; i < 50; i++) {
      try {
        await sharedKey("stnone").getContainerClient("data").getProperties();
        return;
      } catch (e) {
        if (!(e.statusCode === 403 && e.code === "AuthorizationFailure")) throw e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("still refused 5 s after the reload");
  });
  console.log(`1..${passed + failed}\n# ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log(`not ok - ${e.stack}`);
  process.exit(1);
});
