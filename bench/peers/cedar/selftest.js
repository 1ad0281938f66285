#!/usr/bin/env node
'use strict';
// Self-test of the Cedar encodings against lib.js's reference on estates built
// to stress them: overlapping and nested prefixes crowded into a small address
// space, 0.0.0.0/0, duplicates, ids that are prefixes of each other, repeated
// resources with different tenants. Also checks the hand-made sample.
// usage: node selftest.js    (exit 0 and "N passed, 0 failed" when all agree)

const path = require('path');
const cedar = require('@cedar-policy/cedar-wasm/nodejs');
const lib = require('./lib');

let seed = 12345;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const ri = (n) => Math.floor(rnd() * n);
const pick = (a) => a[ri(a.length)];

function crowdedCidr(base, spanBits) {
  // a prefix inside base/(32-spanBits), lengths from (32-spanBits-2) to 32
  const len = Math.min(32, 32 - spanBits - 2 + ri(spanBits + 3));
  const a = (base + ri(2 ** spanBits)) >>> 0;
  return lib.parseCidrV4(`${lib.fmtV4(a)}/${len}`);
}

function randomEstate(withSlash0) {
  const base = lib.parseV4('20.30.0.0');
  const ipRules = Array.from({ length: 60 }, () => crowdedCidr(base, 12));
  ipRules.push(ipRules[3], ipRules[7]); // duplicates
  const prefixes = Array.from({ length: 40 }, () => crowdedCidr(base, 12));
  if (withSlash0) prefixes.push(lib.parseCidrV4('0.0.0.0/0'));
  const ids = [];
  for (let v = 0; v < 12; v++) for (const s of ['1', '10', '11', '2', '100', 'a']) ids.push(`/subscriptions/s/resourcegroups/rg/providers/microsoft.network/virtualnetworks/vnet${v}/subnets/snet-${s}`);
  const vnetRules = ids.filter(() => rnd() < 0.6);
  vnetRules.push(vnetRules[0]);
  const tenants = ['t1', 't2', 't3'];
  const res = Array.from({ length: 30 }, (_, i) => `/subscriptions/s/resourcegroups/rg/providers/microsoft.synapse/workspaces/w${i % 15}${i % 4 ? '' : 'x'}`);
  const rars = Array.from({ length: 40 }, () => ({ tenant: pick(tenants), resource: pick(res) }));
  const mode = pick(['learning', 'learning', 'enforced', 'none']);
  const estate = {
    account: { id: '/subscriptions/s/resourcegroups/rg/providers/microsoft.storage/storageaccounts/acct', location: 'westeurope',
      defaultAllow: false, ipRules, vnetRules, resourceAccessRules: rars },
    perimeter: { mode, prefixes: mode === 'none' ? [] : prefixes },
    unsupported: [],
  };
  const requests = Array.from({ length: 600 }, () => {
    const ipv = rnd() < 0.9 ? (base + ri(2 ** 12) - 8) >>> 0 : ri(2 ** 32) >>> 0;
    return {
      ip: lib.fmtV4(ipv), ipv,
      subnet: rnd() < 0.4 ? pick(ids) + (rnd() < 0.1 ? '0' : '') : '',
      sameRegion: rnd() < 0.2,
      auth: pick(['OAuth', 'OAuth', 'SAS', 'oauth']),
      tenant: rnd() < 0.8 ? pick(tenants) : '',
      callerResource: rnd() < 0.7 ? pick(res) + (rnd() < 0.05 ? 'y' : '') : '',
      unsupported: [],
    };
  });
  return { estate, requests };
}

function check(name, estate, requests, expected) {
  let failed = 0;
  for (const enc of lib.ENCODINGS) {
    const id = `selftest-${name}-${enc}`;
    const staticPolicies = Object.fromEntries(lib.buildPolicies(estate, enc));
    const p = cedar.preparsePolicySet(id, { staticPolicies });
    if (p.type !== 'success') {
      console.log(`not ok ${name} ${enc}: preparse ${JSON.stringify(p.errors).slice(0, 300)}`);
      failed++;
      continue;
    }
    let bad = 0;
    requests.forEach((r, i) => {
      const want = expected ? expected[i] : lib.referenceDecide(estate, r);
      const ans = cedar.statefulIsAuthorized(lib.buildCall(estate, r, id));
      const got = ans.type === 'success' ? ans.response.decision : 'failure';
      const cat = ans.type === 'success' ? lib.cedarCategory(estate, got, ans.response.diagnostics.reason) : 'failure';
      const errs = ans.type === 'success' ? ans.response.diagnostics.errors.length : 1;
      if (got !== want.decision || cat !== want.category || errs) {
        if (bad < 3) console.log(`  ${name} ${enc} request ${i}: cedar ${got}/${cat} (errors ${errs}), want ${want.decision}/${want.category}: ${JSON.stringify(r)}`);
        bad++;
      }
    });
    console.log(`${bad ? 'not ok' : 'ok'} ${name} ${enc} (${requests.length} requests, ${bad} wrong)`);
    if (bad) failed++;
  }
  return failed;
}

let passed = 0;
let failed = 0;
const tally = (f) => { failed += f; passed += lib.ENCODINGS.length - f; };

const sample = lib.loadDir(path.join(__dirname, 'sample'));
// the sample's expected.jsonl was written by hand: the reference must agree too
let refBad = 0;
sample.requests.forEach((r, i) => {
  const d = lib.referenceDecide(sample.estate, r);
  if (d.decision !== sample.expected[i].decision || d.category !== sample.expected[i].category) {
    console.log(`  reference differs from sample/expected.jsonl line ${i + 1}: ${JSON.stringify(d)}`);
    refBad++;
  }
});
console.log(`${refBad ? 'not ok' : 'ok'} sample reference (${sample.requests.length} requests)`);
if (refBad) failed++; else passed++;
tally(check('sample', sample.estate, sample.requests, sample.expected));
for (let k = 0; k < 8; k++) {
  const { estate, requests } = randomEstate(k % 3 === 0);
  tally(check(`random${k}-${estate.perimeter.mode}`, estate, requests, null));
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
