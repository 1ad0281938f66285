#!/usr/bin/env node
'use strict';
// Writes a random max-size input set in the format of moat's in-process
// benchmark: OUTDIR/estate.json, OUTDIR/requests.jsonl, OUTDIR/expected.jsonl.
// expected.jsonl comes from lib.js's plain-JS reference implementation.
//
// usage: node gen-sample.js OUTDIR [--requests N] [--seed S]
//                                  [--ip N] [--vnet N] [--rar N] [--nsp N]
// defaults: 10000 requests, seed 1, 400 IP rules, 400 virtual network rules,
// 200 resource access rules, 200 perimeter address prefixes.

const fs = require('fs');
const path = require('path');
const lib = require('./lib');

const args = process.argv.slice(2);
const opt = { out: null, requests: 10000, seed: 1, ip: 400, vnet: 400, rar: 200, nsp: 200 };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const key = { '--requests': 'requests', '--seed': 'seed', '--ip': 'ip', '--vnet': 'vnet', '--rar': 'rar', '--nsp': 'nsp' }[a];
  if (key) {
    const v = args[++i];
    if (v === undefined || !/^\d+$/.test(v)) { process.stderr.write(`${a} needs a non-negative integer\n`); process.exit(2); }
    opt[key] = Number(v);
  } else if (!a.startsWith('-') && opt.out === null) opt.out = a;
  else { process.stderr.write('usage: node gen-sample.js OUTDIR [--requests N] [--seed S] [--ip N] [--vnet N] [--rar N] [--nsp N]\n'); process.exit(2); }
}
if (opt.out === null) { process.stderr.write('usage: node gen-sample.js OUTDIR [--requests N] [--seed S]\n'); process.exit(2); }

// mulberry32: small deterministic PRNG
let state = opt.seed >>> 0 || 1;
function rnd() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const ri = (n) => Math.floor(rnd() * n);
const pick = (arr) => arr[ri(arr.length)];
const u32 = () => (ri(65536) * 65536 + ri(65536)) >>> 0;
const hex = (n) => Array.from({ length: n }, () => '0123456789abcdef'[ri(16)]).join('');
const guid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[ri(4)]}${hex(3)}-${hex(12)}`;
// IDs are case-insensitive: requests sometimes spell them in another case.
const mangle = (s) => (rnd() < 0.3 ? s.toUpperCase() : rnd() < 0.3 ? s.replace(/[a-z]/g, (c) => (rnd() < 0.5 ? c.toUpperCase() : c)) : s);

function isPrivateRange(net, len) {
  const inside = (pnet, plen) => len >= plen && ((net & lib.maskOf(plen)) >>> 0) === pnet;
  return inside(0x0a000000, 8) || inside(0xac100000, 12) || inside(0xc0a80000, 16);
}
// A public unicast address (1.0.0.0 - 223.255.255.255, not private, not 127/8).
function publicAddr() {
  for (;;) {
    const a = u32();
    const o1 = a >>> 24;
    if (o1 === 0 || o1 === 127 || o1 >= 224) continue;
    if (isPrivateRange(a, 32)) continue;
    return a;
  }
}
// A Storage IP rule: bare address (= /32) or a prefix 8..30, never private.
function ipRuleValue() {
  for (;;) {
    const a = publicAddr();
    if (rnd() < 0.25) return { value: lib.fmtV4(a), c: lib.parseCidrV4(lib.fmtV4(a)) };
    const len = 8 + ri(23); // 8..30
    const net = (a & lib.maskOf(len)) >>> 0;
    if (isPrivateRange(net, len) || (net >>> 24) === 0 || (net >>> 24) === 127) continue;
    // host bits are sometimes left set, as people write them
    const text = rnd() < 0.1 ? `${lib.fmtV4(a)}/${len}` : `${lib.fmtV4(net)}/${len}`;
    return { value: text, c: lib.parseCidrV4(text) };
  }
}
function nspPrefix() {
  const a = publicAddr();
  const len = rnd() < 0.15 ? 32 : 12 + ri(19); // 12..30, some /32
  const net = (a & lib.maskOf(len)) >>> 0;
  return `${lib.fmtV4(net)}/${len}`;
}
const addrIn = (c) => lib.fmtV4((c.net | (u32() & ~lib.maskOf(c.len))) >>> 0);

const sub = guid();
const tenant = guid();
const rg = `/subscriptions/${sub}/resourceGroups/rg-bench`;
const accountId = `${rg}/providers/Microsoft.Storage/storageAccounts/moatbench`;
const location = 'westeurope';
const regions = ['eastus', 'northeurope', 'westus2', 'uksouth', 'japaneast'];
const sameRegionSpellings = ['westeurope', 'West Europe', 'WESTEUROPE', 'westEurope'];

const ipRules = Array.from({ length: opt.ip }, ipRuleValue);
const subnetId = (v, s) => `/subscriptions/${sub}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-${v}/subnets/snet-${s}`;
const vnetRules = Array.from({ length: opt.vnet }, (_, i) => subnetId(Math.floor(i / 8), i % 8));
const callerTypes = [
  ['Microsoft.Synapse', 'workspaces'], ['Microsoft.DataFactory', 'factories'],
  ['Microsoft.Databricks', 'accessConnectors'], ['Microsoft.Logic', 'workflows'],
  ['Microsoft.MachineLearningServices', 'workspaces'],
];
const tenants = Array.from({ length: 8 }, guid);
const rars = Array.from({ length: opt.rar }, (_, i) => {
  const [ns, ty] = pick(callerTypes);
  return { tenantId: pick(tenants), resourceId: `/subscriptions/${guid()}/resourceGroups/rg-${i}/providers/${ns}/${ty}/res-${i}` };
});
const nspPrefixes = Array.from({ length: opt.nsp }, nspPrefix);

const nspId = `${rg}/providers/Microsoft.Network/networkSecurityPerimeters/nsp-bench`;
const profileId = `${nspId}/profiles/profile-bench`;
const estate = [
  { id: `/subscriptions/${sub}`, type: 'Microsoft.Resources/subscriptions', subscriptionId: sub, tenantId: tenant },
  {
    id: accountId, name: 'moatbench', type: 'Microsoft.Storage/storageAccounts', location, kind: 'StorageV2',
    properties: {
      publicNetworkAccess: 'Enabled',
      networkAcls: {
        defaultAction: 'Deny', bypass: 'AzureServices',
        ipRules: ipRules.map((r) => ({ value: r.value, action: 'Allow' })),
        virtualNetworkRules: vnetRules.map((id) => ({ id, action: 'Allow', state: 'Succeeded' })),
        resourceAccessRules: rars,
      },
    },
  },
  { id: nspId, name: 'nsp-bench', type: 'Microsoft.Network/networkSecurityPerimeters', location,
    properties: { perimeterGuid: guid() } },
  { id: profileId, name: 'profile-bench', type: 'Microsoft.Network/networkSecurityPerimeters/profiles', location, properties: {} },
  { id: `${profileId}/accessRules/inbound-prefixes`, name: 'inbound-prefixes',
    type: 'Microsoft.Network/networkSecurityPerimeters/profiles/accessRules', location,
    properties: { direction: 'Inbound', addressPrefixes: nspPrefixes } },
  { id: `${nspId}/resourceAssociations/assoc-moatbench`, name: 'assoc-moatbench',
    type: 'Microsoft.Network/networkSecurityPerimeters/resourceAssociations', location,
    properties: { privateLinkResource: { id: accountId }, profile: { id: profileId }, accessMode: 'Learning' } },
];

const nspC = nspPrefixes.map(lib.parseCidrV4);
function region() {
  const x = rnd();
  if (x < 0.55) return undefined;
  if (x < 0.8) return pick(regions);
  return pick(sameRegionSpellings);
}
function callerFields(caller) {
  const x = rnd();
  if (x < 0.1) caller.auth = 'SAS';
  else if (x < 0.2) caller.auth = 'OAuth';
  if (rnd() < 0.3) caller.tenant = pick(tenants);
  return caller;
}

const reqs = [];
for (let i = 0; i < opt.requests; i++) {
  const src = {};
  let caller = {};
  const k = rnd();
  if (k < 0.25 && nspC.length) { // public, inside a perimeter prefix
    src.ip = addrIn(pick(nspC));
    src.region = region();
  } else if (k < 0.5 && ipRules.length) { // public, inside an IP rule
    src.ip = addrIn(pick(ipRules).c);
    src.region = region();
  } else if (k < 0.7) { // through a service endpoint
    src.ip = rnd() < 0.5 ? `10.${ri(256)}.${ri(256)}.${1 + ri(254)}` : addrIn(pick(ipRules.length ? ipRules : [{ c: lib.parseCidrV4('20.0.0.0/8') }]).c);
    src.subnet = rnd() < 0.7 && vnetRules.length ? mangle(pick(vnetRules)) : subnetId(100 + ri(50), ri(8));
    if (rnd() < 0.5) src.region = pick(rnd() < 0.5 ? regions : sameRegionSpellings);
  } else if (k < 0.85 && rars.length) { // resource instance caller
    src.ip = lib.fmtV4(publicAddr());
    if (rnd() < 0.5) src.region = pick(rnd() < 0.5 ? regions : sameRegionSpellings);
    const r = pick(rars);
    const y = rnd();
    caller = { tenant: mangle(r.tenantId), resource_id: mangle(r.resourceId) };
    if (y < 0.15) caller.tenant = pick(tenants); // maybe the wrong tenant
    else if (y < 0.3) caller.resource_id = pick(rars).resourceId; // maybe the wrong resource
    const z = rnd();
    if (z < 0.15) caller.auth = 'SAS';
    else if (z < 0.5) caller.auth = 'OAuth';
  } else { // anything public
    src.ip = lib.fmtV4(publicAddr());
    src.region = region();
  }
  if (src.region === undefined) delete src.region;
  if (!caller.resource_id) caller = callerFields(caller);
  const q = { resource: rnd() < 0.2 ? accountId.toLowerCase() : accountId, source: src };
  if (Object.keys(caller).length) q.caller = caller;
  reqs.push(q);
}

fs.mkdirSync(opt.out, { recursive: true });
fs.writeFileSync(path.join(opt.out, 'estate.json'), JSON.stringify(estate, null, 1) + '\n');
fs.writeFileSync(path.join(opt.out, 'requests.jsonl'), reqs.map((q) => JSON.stringify(q)).join('\n') + '\n');
const model = lib.loadEstate(path.join(opt.out, 'estate.json'));
const counts = {};
const exp = reqs.map((q) => {
  const d = lib.referenceDecide(model, lib.normRequest(q, model.account));
  counts[d.category] = (counts[d.category] || 0) + 1;
  return JSON.stringify(d);
});
fs.writeFileSync(path.join(opt.out, 'expected.jsonl'), exp.join('\n') + '\n');
process.stderr.write(`gen-sample.js: wrote ${opt.out} (${opt.ip} ip, ${opt.vnet} vnet, ${opt.rar} resource access rules, ${opt.nsp} perimeter prefixes, ${opt.requests} requests) ${JSON.stringify(counts)}\n`);
