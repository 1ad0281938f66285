#!/usr/bin/env node
'use strict';
// Peer benchmark: the decisions of moat's in-process benchmark, answered by
// Cedar through @cedar-policy/cedar-wasm (preparsePolicySet +
// statefulIsAuthorized), each decision timed on its own.
//
// usage: node run.js DIR [--iterations N] [--warmup N] [--encoding E|all]
//                        [--check-reference] [--dump-policies FILE]
//   DIR          holds estate.json, requests.jsonl, expected.jsonl
//   --iterations timed decisions, cycling through requests.jsonl
//                (default: one pass, i.e. the number of request lines)
//   --warmup     untimed decisions before timing (default 2000, at least one
//                full pass over the requests is always made: it is the
//                correctness pass that counts mismatches)
//   --encoding   indexed (default), grouped, grouped-set, per-rule, or all (one JSON
//                object per line, one per encoding)
//   --check-reference  also compare expected.jsonl with lib.js's reference
//   --dump-policies FILE  write the Cedar policy text of the (last) encoding
// Prints one JSON object per encoding on stdout; diagnostics go to stderr.

const fs = require('fs');
const path = require('path');
const cedar = require('@cedar-policy/cedar-wasm/nodejs');
const lib = require('./lib');

function usage(msg) {
  if (msg) process.stderr.write(`run.js: ${msg}\n`);
  process.stderr.write('usage: node run.js DIR [--iterations N] [--warmup N] [--encoding indexed|grouped|grouped-set|per-rule|all] [--check-reference] [--dump-policies FILE]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { dir: null, iterations: null, warmup: 2000, encoding: 'indexed', checkReference: false, dump: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    const num = () => {
      const v = val();
      if (!/^\d+$/.test(v)) usage(`${a} needs a non-negative integer`);
      return Number(v);
    };
    if (a === '--iterations') o.iterations = num();
    else if (a === '--warmup') o.warmup = num();
    else if (a === '--encoding') o.encoding = val();
    else if (a === '--check-reference') o.checkReference = true;
    else if (a === '--dump-policies') o.dump = val();
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (o.dir === null) o.dir = a;
    else usage(`unexpected argument ${a}`);
  }
  if (o.dir === null) usage('DIR is required');
  if (o.encoding !== 'all' && !lib.ENCODINGS.includes(o.encoding)) usage(`unknown encoding ${o.encoding}`);
  return o;
}

function pkgVersion() {
  const entry = require.resolve('@cedar-policy/cedar-wasm/nodejs');
  return JSON.parse(fs.readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')).version;
}

function percentile(sorted, p) {
  // nearest-rank
  const k = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, k) - 1];
}

function benchEncoding(data, encoding, opt) {
  const { estate, requests, expected } = data;
  const policies = lib.buildPolicies(estate, encoding);
  const staticPolicies = {};
  for (const [id, text] of policies) staticPolicies[id] = text;
  if (opt.dump) fs.writeFileSync(opt.dump, policies.map(([id, t]) => `@id("${id}")\n${t}\n`).join('\n'));

  const psetId = `moat-${encoding}`;
  const t0 = process.hrtime.bigint();
  const parsed = cedar.preparsePolicySet(psetId, { staticPolicies });
  const preparseMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (parsed.type !== 'success') {
    throw new Error(`preparsePolicySet(${encoding}) failed: ${JSON.stringify(parsed.errors).slice(0, 2000)}`);
  }

  // Calls are built before timing: the timed region is the engine call only
  // (JS object -> wasm marshalling, evaluation, answer -> JS object).
  const calls = requests.map((r) => lib.buildCall(estate, r, psetId));
  const n = calls.length;

  // Correctness pass (also warm-up): every request line once.
  let mismatches = 0;
  let categoryMismatches = 0;
  let failures = 0;
  let evalErrors = 0;
  let allows = 0;
  const shown = [];
  for (let i = 0; i < n; i++) {
    const ans = cedar.statefulIsAuthorized(calls[i]);
    if (ans.type !== 'success') {
      failures++;
      mismatches++;
      if (shown.length < 5) shown.push(`line ${i + 1}: failure ${JSON.stringify(ans.errors).slice(0, 300)}`);
      continue;
    }
    const dec = ans.response.decision;
    if (ans.response.diagnostics.errors.length) {
      evalErrors++;
      if (shown.length < 5) shown.push(`line ${i + 1}: eval error ${JSON.stringify(ans.response.diagnostics.errors).slice(0, 300)}`);
    }
    if (dec === 'allow') allows++;
    if (expected) {
      if (dec !== expected[i].decision) {
        mismatches++;
        if (shown.length < 5) shown.push(`line ${i + 1}: cedar ${dec}, expected ${expected[i].decision} (${expected[i].category})`);
      }
      const cat = lib.cedarCategory(estate, dec, ans.response.diagnostics.reason);
      if (expected[i].category !== undefined && cat !== expected[i].category) categoryMismatches++;
    }
  }
  for (const s of shown) process.stderr.write(`[${encoding}] ${s}\n`);
  for (let w = 0; w < opt.warmup; w++) cedar.statefulIsAuthorized(calls[w % n]);

  // Timed: each decision on its own.
  const iters = opt.iterations === null ? n : opt.iterations;
  const times = new Float64Array(iters);
  let sink = 0;
  for (let k = 0; k < iters; k++) {
    const call = calls[k % n];
    const s = process.hrtime.bigint();
    const ans = cedar.statefulIsAuthorized(call);
    const allowed = ans.response.decision === 'allow';
    const e = process.hrtime.bigint();
    times[k] = Number(e - s);
    if (allowed) sink++;
  }
  const sorted = Float64Array.from(times).sort();
  let total = 0;
  for (let k = 0; k < iters; k++) total += times[k];

  return {
    peer: 'cedar-wasm',
    version: pkgVersion(),
    cedar_lang_version: cedar.getCedarLangVersion ? cedar.getCedarLangVersion() : undefined,
    encoding,
    policies: policies.length,
    rules: {
      ip: estate.account.ipRules.length,
      vnet: estate.account.vnetRules.length,
      resource_access: estate.account.resourceAccessRules.length,
      perimeter_prefixes: estate.perimeter.prefixes.length,
      perimeter_mode: estate.perimeter.mode,
    },
    requests: n,
    allows,
    decisions: iters,
    mismatches: expected ? mismatches : null,
    category_mismatches: expected ? categoryMismatches : null,
    engine_failures: failures,
    eval_errors: evalErrors,
    decisions_per_sec: iters ? Math.round((iters * 1e9) / total) : 0,
    mean_ns: iters ? Math.round(total / iters) : 0,
    p50_ns: iters ? percentile(sorted, 50) : 0,
    p99_ns: iters ? percentile(sorted, 99) : 0,
    max_ns: iters ? sorted[iters - 1] : 0,
    preparse_ms: Math.round(preparseMs * 100) / 100,
    timed_allows: sink,
    node: process.version,
  };
}

function main() {
  const opt = parseArgs(process.argv.slice(2));
  const data = lib.loadDir(opt.dir);
  const unsupported = new Set(data.estate.unsupported);
  for (const r of data.requests) for (const u of r.unsupported) unsupported.add(u);
  if (unsupported.size) {
    process.stderr.write(`run.js: input outside the benchmark subset: ${[...unsupported].join(', ')}\n`);
    process.exit(2);
  }
  if (data.requests.length === 0) usage('requests.jsonl is empty');
  // The trusted-service exception (decision.md trusted()) is not encoded: it
  // needs caller.tenant == the account's tenant. Say so if a request could use it.
  const acctTenant = data.estate.account.tenant;
  const maybeTrusted = data.requests.filter((r) => r.auth.toLowerCase() === 'oauth' &&
    acctTenant !== '' && r.tenant === acctTenant && r.callerResource !== '').length;
  if (maybeTrusted)
    process.stderr.write(`run.js: warning: ${maybeTrusted} OAuth request(s) with a resource id come from the account's tenant; the trusted-service exception is not encoded, so such lines may mismatch\n`);
  if (!data.expected) process.stderr.write('run.js: no expected.jsonl; mismatches not checked\n');
  if (opt.checkReference && data.expected) {
    let bad = 0;
    data.requests.forEach((r, i) => {
      const ref = lib.referenceDecide(data.estate, r);
      if (ref.decision !== data.expected[i].decision || ref.category !== data.expected[i].category) {
        if (bad < 5) process.stderr.write(`reference differs at line ${i + 1}: ${JSON.stringify(ref)} vs ${JSON.stringify(data.expected[i])}\n`);
        bad++;
      }
    });
    process.stderr.write(`run.js: reference vs expected.jsonl: ${bad} differences over ${data.requests.length} lines\n`);
    if (bad) process.exitCode = 1;
  }
  const encs = opt.encoding === 'all' ? lib.ENCODINGS : [opt.encoding];
  for (const enc of encs) {
    const res = benchEncoding(data, enc, opt);
    process.stdout.write(JSON.stringify(res) + '\n');
    if (res.mismatches) process.exitCode = 1;
  }
}

main();
