'use strict';
// Shared code for the Cedar peer benchmark:
//   - reading DIR/estate.json, DIR/requests.jsonl, DIR/expected.jsonl
//   - a plain-JS reference implementation of the benchmark subset of
//     shared/spec/decision.md section 4 (storage account, data plane, HTTPS,
//     NSP association in Learning mode, no private endpoints, no trusted
//     services, no caller.perimeters, no subscription rules)
//   - the Cedar encodings (policy text + per-request call objects)

const fs = require('fs');
const path = require('path');

// ---------------------------------------------------------------- IPv4

function parseV4(s) {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255 || (m[i].length > 1 && m[i][0] === '0')) return null;
    v = v * 256 + o;
  }
  return v >>> 0;
}

function fmtV4(v) {
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

function maskOf(len) {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

// "a.b.c.d" (= /32) or "a.b.c.d/nn" -> {net, len, text} with host bits cleared
// (decision.md section 7: host bits under the prefix are ignored).
function parseCidrV4(s) {
  const t = String(s).trim();
  const slash = t.indexOf('/');
  const addr = parseV4(slash < 0 ? t : t.slice(0, slash));
  if (addr === null) throw new Error(`not an IPv4 address or range: ${s}`);
  let len = 32;
  if (slash >= 0) {
    const l = t.slice(slash + 1);
    if (!/^\d{1,2}$/.test(l) || Number(l) > 32) throw new Error(`bad prefix length: ${s}`);
    len = Number(l);
  }
  const net = (addr & maskOf(len)) >>> 0;
  return { net, len, text: `${fmtV4(net)}/${len}` };
}

function inCidr(ipv, c) {
  return ((ipv & maskOf(c.len)) >>> 0) === c.net;
}

// ---------------------------------------------------------------- input

const lc = (s) => (s == null ? '' : String(s).toLowerCase());
const normRegion = (s) => (s == null ? '' : String(s).replace(/\s+/g, '').toLowerCase());
// property names are case-insensitive in the contract: look one up.
function prop(o, name) {
  if (o == null || typeof o !== 'object') return undefined;
  if (name in o) return o[name];
  const want = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === want) return o[k];
  return undefined;
}
const props = (r) => prop(r, 'properties') || r;

function readJsonl(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

function flattenResources(j) {
  if (Array.isArray(j)) return j;
  if (j && Array.isArray(j.value)) return j.value;
  if (j && Array.isArray(j.data)) return j.data;
  return [j];
}

// Reads the estate into the model the benchmark subset needs.
function loadEstate(file) {
  const res = flattenResources(JSON.parse(fs.readFileSync(file, 'utf8')));
  const byType = (t) => res.filter((r) => lc(prop(r, 'type')) === t.toLowerCase());
  const accounts = byType('Microsoft.Storage/storageAccounts');
  if (accounts.length !== 1) throw new Error(`estate: expected exactly one storage account, found ${accounts.length}`);
  const acct = accounts[0];
  const p = props(acct);
  const acl = prop(p, 'networkAcls') || prop(p, 'networkRuleSet');
  const unsupported = [];
  const pna = lc(prop(p, 'publicNetworkAccess') || 'Enabled');
  if (pna !== 'enabled') unsupported.push(`publicNetworkAccess=${pna}`);
  const pecs = prop(p, 'privateEndpointConnections');
  if (Array.isArray(pecs) && pecs.length) unsupported.push('privateEndpointConnections');
  const defaultAction = lc(acl ? prop(acl, 'defaultAction') || 'Allow' : 'Allow');
  // the account's tenant is its subscription's (decision.md section 1)
  const subId = lc(prop(acct, 'id')).split('/')[2] || '';
  const subs = res.filter((r) => lc(prop(r, 'type')) === 'microsoft.resources/subscriptions' &&
    (lc(prop(r, 'subscriptionId')) === subId || lc(prop(r, 'id')) === `/subscriptions/${subId}`));
  const account = {
    id: lc(prop(acct, 'id')),
    tenant: subs.length ? lc(prop(subs[0], 'tenantId')) : '',
    location: normRegion(prop(acct, 'location')),
    defaultAllow: defaultAction === 'allow',
    ipRules: [],
    vnetRules: [],
    resourceAccessRules: [],
  };
  if (acl) {
    for (const r of prop(acl, 'ipRules') || []) {
      const a = prop(r, 'action');
      if (a != null && lc(a) !== 'allow') continue;
      account.ipRules.push(parseCidrV4(prop(r, 'value') ?? prop(r, 'ipAddressOrRange')));
    }
    if ((prop(acl, 'ipv6Rules') || []).length) unsupported.push('ipv6Rules');
    for (const r of prop(acl, 'virtualNetworkRules') || []) {
      const st = prop(r, 'state');
      if (st != null && lc(st) !== 'succeeded') continue; // only Succeeded or absent counts
      account.vnetRules.push(lc(prop(r, 'id') ?? prop(r, 'virtualNetworkResourceId')));
    }
    for (const r of prop(acl, 'resourceAccessRules') || []) {
      const rid = lc(prop(r, 'resourceId'));
      if (rid.includes('*')) unsupported.push('resourceAccessRules wildcard');
      account.resourceAccessRules.push({ tenant: lc(prop(r, 'tenantId')), resource: rid });
    }
  }

  // Network security perimeter association of the account.
  let mode = 'none';
  const prefixes = [];
  const assocs = byType('Microsoft.Network/networkSecurityPerimeters/resourceAssociations').filter(
    (a) => lc(prop(prop(props(a), 'privateLinkResource'), 'id')) === account.id
  );
  if (assocs.length > 1) throw new Error('estate: two perimeter associations for one resource');
  if (assocs.length === 1) {
    const ap = props(assocs[0]);
    mode = lc(prop(ap, 'accessMode') || 'Learning');
    if (mode === 'transition') mode = 'learning';
    const profileId = lc(prop(prop(ap, 'profile'), 'id'));
    for (const rule of byType('Microsoft.Network/networkSecurityPerimeters/profiles/accessRules')) {
      const rid = lc(prop(rule, 'id'));
      if (!rid.startsWith(profileId + '/accessrules/')) continue;
      const rp = props(rule);
      if (lc(prop(rp, 'direction') || 'Inbound') !== 'inbound') continue;
      for (const pfx of prop(rp, 'addressPrefixes') || []) prefixes.push(parseCidrV4(pfx));
      const subs = prop(rp, 'subscriptions');
      if (Array.isArray(subs) && subs.length) unsupported.push('perimeter subscriptions rules');
      const tags = prop(rp, 'serviceTags');
      if (Array.isArray(tags) && tags.length) unsupported.push('perimeter serviceTags');
    }
  }
  if (mode === 'audit') unsupported.push('accessMode=Audit');
  return { account, perimeter: { mode, prefixes }, unsupported };
}

// Normalises one request line into the fields the subset reads.
function normRequest(q, account) {
  const src = q.source || {};
  const caller = q.caller || {};
  const unsupported = [];
  if (q.plane && lc(q.plane) !== 'data') unsupported.push('plane');
  if (q.protocol && lc(q.protocol) !== 'https') unsupported.push('protocol');
  if (src.private_endpoint) unsupported.push('private_endpoint');
  if (caller.perimeters && caller.perimeters.length) unsupported.push('caller.perimeters');
  if (caller.service) unsupported.push('caller.service');
  if (lc(q.resource) !== account.id) unsupported.push('resource is not the estate account');
  const ipv = parseV4(String(src.ip || ''));
  return {
    ip: String(src.ip || ''),
    ipv, // null for IPv6 / absent: matches no IPv4 rule
    subnet: src.subnet ? lc(src.subnet) : '',
    sameRegion: src.region != null && normRegion(src.region) === account.location,
    auth: caller.auth == null ? 'OAuth' : String(caller.auth),
    tenant: lc(caller.tenant),
    callerResource: lc(caller.resource_id),
    unsupported,
  };
}

function loadDir(dir) {
  const estate = loadEstate(path.join(dir, 'estate.json'));
  const raw = readJsonl(path.join(dir, 'requests.jsonl'));
  const requests = raw.map((q) => normRequest(q, estate.account));
  const expFile = path.join(dir, 'expected.jsonl');
  const expected = fs.existsSync(expFile) ? readJsonl(expFile) : null;
  if (expected && expected.length !== requests.length)
    throw new Error(`expected.jsonl has ${expected.length} lines, requests.jsonl ${requests.length}`);
  return { estate, requests, expected };
}

// ---------------------------------------------------------------- reference

// decision.md section 4, restricted to the subset. Returns {decision, category}.
function referenceDecide(estate, r) {
  const { account: a, perimeter: P } = estate;
  const publicPath = r.subnet === '';
  const isOAuth = r.auth.toLowerCase() === 'oauth';
  const resourceRules = () => {
    if (a.defaultAllow) return 'ResDefaultActionAllow';
    if (!publicPath && a.vnetRules.includes(r.subnet)) return 'ResVirtualNetworkRule';
    if (publicPath && !r.sameRegion && r.ipv !== null && a.ipRules.some((c) => inCidr(r.ipv, c))) return 'ResIpRule';
    if (isOAuth && r.tenant !== '' &&
        a.resourceAccessRules.some((x) => x.tenant === r.tenant && x.resource === r.callerResource))
      return 'ResResourceInstanceRule';
    return null;
  };
  if (P.mode === 'learning' || P.mode === 'enforced') {
    if (publicPath && !r.sameRegion && r.ipv !== null && P.prefixes.some((c) => inCidr(r.ipv, c)))
      return { decision: 'allow', category: 'NspPublicInboundPerimeterRulesAllowed' };
    if (P.mode === 'enforced') return { decision: 'deny', category: 'NspPublicInboundPerimeterRulesDenied' };
    return resourceRules()
      ? { decision: 'allow', category: 'NspPublicInboundResourceRulesAllowed' }
      : { decision: 'deny', category: 'NspPublicInboundResourceRulesDenied' };
  }
  const c = resourceRules();
  return c ? { decision: 'allow', category: c } : { decision: 'deny', category: 'ResDefaultActionDeny' };
}

// ---------------------------------------------------------------- Cedar

const cedarStr = (s) => {
  if (/[\u0000-\u001f"\\]/.test(s)) throw new Error(`unexpected character in ${JSON.stringify(s)}`);
  return `"${s}"`;
};
const ipLit = (c) => `ip("${c.text}")`;

// Joins terms with `op` as a balanced binary tree: `((a || b) || (c || d))`.
// Cedar's parser/evaluator recurse once per nesting level; a flat chain of
// 400 `||` is 400 levels deep and overflows the wasm stack, a balanced tree
// is ceil(log2(400)) = 9 levels deep and evaluates the same leaves.
function balanced(terms, op) {
  if (terms.length === 0) return 'false';
  if (terms.length === 1) return terms[0];
  const mid = terms.length >> 1;
  return `(${balanced(terms.slice(0, mid), op)} ${op} ${balanced(terms.slice(mid), op)})`;
}

function chunks(arr, n) {
  const out = [];
  for (let i = 0; i < arr.length; i += n) out.push(arr.slice(i, i + n));
  return out;
}

// Encodings. Every one yields the same decisions; they differ in how the
// rule lists are laid out over Cedar policies.
//  grouped    : one `permit` per rule list (perimeter prefixes, virtual network
//               rules, IP rules, resource access rules) with the cheap context
//               guards first; IP lists as a balanced `||` tree of
//               isInRange, ids and (tenant, resource) pairs as a balanced
//               `||` tree of `==`. What a Cedar user would write, tuned.
//  grouped-set: like grouped, but ids and pairs as set-literal
//               `[...].contains(...)` (slower: the literal is rebuilt per call)
//  per-rule   : one `permit` per rule (400 + 400 + 200 + 200 policies)
//  indexed    : grouped, with each list compiled into a search tree inside the
//               policy: IP lists as a binary prefix trie of
//               `if context.ip.isInRange(ip(half)) then .. else ..`, ids as a
//               radix trie of `if context.subnet like "prefix*" then .. else ..`,
//               small leaves as `||` of the rules' own tests. Best case for
//               Cedar, but it is moat's indexing hand-compiled into Cedar.
const ENCODINGS = ['indexed', 'grouped', 'grouped-set', 'per-rule'];
const LEAF = 4; // rules per trie leaf in 'indexed'

// Binary prefix trie over IPv4 rules. Inner tests only route; every leaf
// tests the rules' own ranges, so a path that skips a one-sided node needs no
// test of its own and stays exact.
function ipTrie(rules, term, nodeNet = 0, nodeLen = 0) {
  if (rules.length === 0) return 'false';
  const covering = rules.filter((r) => r.len <= nodeLen);
  if (covering.length) return term(covering.reduce((x, y) => (y.len < x.len ? y : x)));
  if (rules.length <= LEAF) return balanced(rules.map(term), '||');
  const childLen = nodeLen + 1;
  const m = maskOf(childLen);
  const left = rules.filter((r) => ((r.net & m) >>> 0) === nodeNet);
  const right = rules.filter((r) => ((r.net & m) >>> 0) !== nodeNet);
  const rightNet = (nodeNet | (1 << (31 - nodeLen))) >>> 0;
  if (right.length === 0) return ipTrie(left, term, nodeNet, childLen);
  if (left.length === 0) return ipTrie(right, term, rightNet, childLen);
  return `(if context.ip.isInRange(ip("${fmtV4(nodeNet)}/${childLen}")) then ${ipTrie(left, term, nodeNet, childLen)} else ${ipTrie(right, term, rightNet, childLen)})`;
}

// Radix trie over string keys: items [{key, term}], all keys start with prefix.
function strTrie(items, field) {
  if (items.length <= LEAF) return balanced(items.map((i) => i.term), '||');
  let lcp = items[0].key;
  for (const it of items) {
    let k = 0;
    while (k < lcp.length && k < it.key.length && lcp[k] === it.key[k]) k++;
    lcp = lcp.slice(0, k);
  }
  const exact = items.filter((i) => i.key === lcp);
  const groups = new Map();
  for (const it of items) if (it.key !== lcp) {
    const c = it.key[lcp.length];
    if (!groups.has(c)) groups.set(c, []);
    groups.get(c).push(it);
  }
  if (groups.size === 0) return balanced(exact.map((i) => i.term), '||'); // all keys equal
  const arms = [];
  if (exact.length) arms.push([`${field} == ${cedarStr(lcp)}`, balanced(exact.map((i) => i.term), '||')]);
  for (const [c, g] of [...groups].sort((x, y) => y[1].length - x[1].length)) {
    const pat = lcp + c;
    if (pat.includes('*')) throw new Error('indexed encoding: "*" in an id');
    arms.push([`${field} like ${cedarStr(pat + '*')}`, strTrie(g, field)]);
  }
  let out = 'false';
  for (let i = arms.length - 1; i >= 0; i--) out = `(if ${arms[i][0]} then ${arms[i][1]} else ${out})`;
  return out;
}

function buildPolicies(estate, encoding) {
  const { account: a, perimeter: P } = estate;
  const head = `permit (principal, action == Action::"read", resource == Account::${cedarStr(a.id)})`;
  const pub = `context.subnet == "" && !context.sameRegion`;
  const pols = []; // [id, text]
  const usePerimeter = P.mode === 'learning' || P.mode === 'enforced';
  const useResource = P.mode !== 'enforced';
  const ipTerm = (c) => `context.ip.isInRange(${ipLit(c)})`;
  const vnetTerm = (s) => `context.subnet == ${cedarStr(s)}`;
  const rarTerm = (x) => `(context.tenant == ${cedarStr(x.tenant)} && context.callerResource == ${cedarStr(x.resource)})`;
  const oauth = `context.auth == "OAuth"`;

  if (encoding === 'per-rule') {
    if (usePerimeter) P.prefixes.forEach((c, i) => pols.push([`nsp-${i}`, `${head} when { ${pub} && ${ipTerm(c)} };`]));
    if (useResource) {
      if (a.defaultAllow) pols.push(['res-default-allow', `${head};`]);
      a.vnetRules.forEach((s, i) => pols.push([`vnet-${i}`, `${head} when { ${vnetTerm(s)} };`]));
      a.ipRules.forEach((c, i) => pols.push([`ip-${i}`, `${head} when { ${pub} && ${ipTerm(c)} };`]));
      a.resourceAccessRules.forEach((x, i) =>
        pols.push([`rar-${i}`, `${head} when { ${oauth} && ${rarTerm(x)} };`]));
    }
  } else if (encoding === 'grouped' || encoding === 'grouped-set' || encoding === 'indexed') {
    let ipList, vnetList, rarList;
    if (encoding === 'grouped') {
      ipList = (cs) => balanced(cs.map(ipTerm), '||');
      vnetList = (ss) => balanced(ss.map(vnetTerm), '||');
      rarList = (xs) => balanced(xs.map(rarTerm), '||');
    } else if (encoding === 'grouped-set') {
      ipList = (cs) => balanced(cs.map(ipTerm), '||');
      vnetList = (ss) => `[${ss.map(cedarStr).join(', ')}].contains(context.subnet)`;
      rarList = (xs) =>
        `[${xs.map((x) => `{t: ${cedarStr(x.tenant)}, r: ${cedarStr(x.resource)}}`).join(', ')}]` +
        '.contains({t: context.tenant, r: context.callerResource})';
    } else {
      ipList = (cs) => ipTrie(cs, ipTerm);
      vnetList = (ss) => strTrie([...new Set(ss)].sort().map((k) => ({ key: k, term: vnetTerm(k) })), 'context.subnet');
      rarList = (xs) => strTrie([...xs].sort((x, y) => (x.resource < y.resource ? -1 : x.resource > y.resource ? 1 : 0))
        .map((x) => ({ key: x.resource, term: rarTerm(x) })), 'context.callerResource');
    }
    if (usePerimeter && P.prefixes.length)
      pols.push(['nsp', `${head} when { ${pub} && ${ipList(P.prefixes)} };`]);
    if (useResource) {
      if (a.defaultAllow) pols.push(['res-default-allow', `${head};`]);
      if (a.vnetRules.length)
        pols.push(['vnet', `${head} when { context.subnet != "" && ${vnetList(a.vnetRules)} };`]);
      if (a.ipRules.length)
        pols.push(['ip', `${head} when { ${pub} && ${ipList(a.ipRules)} };`]);
      if (a.resourceAccessRules.length)
        pols.push(['rar', `${head} when { ${oauth} && context.tenant != "" && ${rarList(a.resourceAccessRules)} };`]);
    }
  } else {
    throw new Error(`unknown encoding ${encoding}; one of ${ENCODINGS.join(', ')}`);
  }
  return pols;
}

// The Cedar category from the ids of the policies that allowed.
function cedarCategory(estate, decision, reasons) {
  const P = estate.perimeter;
  if (P.mode === 'learning' || P.mode === 'enforced') {
    if (decision === 'allow')
      return reasons.some((id) => id.startsWith('nsp'))
        ? 'NspPublicInboundPerimeterRulesAllowed'
        : 'NspPublicInboundResourceRulesAllowed';
    return P.mode === 'enforced' ? 'NspPublicInboundPerimeterRulesDenied' : 'NspPublicInboundResourceRulesDenied';
  }
  if (decision === 'deny') return 'ResDefaultActionDeny';
  const order = [['res-default-allow', 'ResDefaultActionAllow'], ['vnet', 'ResVirtualNetworkRule'],
    ['ip', 'ResIpRule'], ['rar', 'ResResourceInstanceRule']];
  for (const [p, c] of order) if (reasons.some((id) => id.startsWith(p))) return c;
  return 'unknown';
}

// The per-request statefulIsAuthorized call (built before timing starts).
function buildCall(estate, r, psetId) {
  return {
    principal: { type: 'Caller', id: 'caller' },
    action: { type: 'Action', id: 'read' },
    resource: { type: 'Account', id: estate.account.id },
    context: {
      // a non-IPv4 source matches no IPv4 rule; Cedar gets a v6 address then
      ip: { __extn: { fn: 'ip', arg: r.ipv !== null ? r.ip : '::' } },
      subnet: r.subnet, // "" = public path
      sameRegion: r.sameRegion,
      auth: r.auth.toLowerCase() === 'oauth' ? 'OAuth' : r.auth,
      tenant: r.tenant,
      callerResource: r.callerResource,
    },
    entities: [],
    preparsedPolicySetId: psetId,
  };
}

module.exports = {
  parseV4, fmtV4, parseCidrV4, inCidr, maskOf, lc, normRegion,
  loadEstate, normRequest, loadDir, readJsonl,
  referenceDecide, buildPolicies, buildCall, cedarCategory, balanced, ENCODINGS,
};
