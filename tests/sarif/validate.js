#!/usr/bin/env node
// validate.js FILE...: each FILE must be a SARIF 2.1.0 log that validates
// against the SARIF 2.1.0 schema (draft-04, as @microsoft/jest-sarif ships
// it), and whose results point at rules the log defines. Exit 1 otherwise.
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv = require('ajv');

const schemaPath = path.join(__dirname, 'node_modules', '@microsoft', 'jest-sarif',
                             'lib', 'schemas', 'sarif-2.1.0-rtm.5.json');
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
const ajv = new Ajv({ schemaId: 'id', allErrors: true, format: 'full', logger: false });
ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-04.json'));
const validate = ajv.compile(schema);

let failed = 0;
for (const file of process.argv.slice(2)) {
  const log = JSON.parse(fs.readFileSync(file, 'utf8'));
  const problems = [];
  if (!validate(log))
    for (const e of validate.errors) problems.push(`${e.dataPath} ${e.message}`);
  if (log.version !== '2.1.0') problems.push('version is not 2.1.0');
  for (const run of log.runs || []) {
    const rules = run.tool.driver.rules || [];
    for (const r of run.results || []) {
      if (rules[r.ruleIndex] === undefined || rules[r.ruleIndex].id !== r.ruleId)
        problems.push(`result ${r.ruleId}: ruleIndex ${r.ruleIndex} does not name it`);
      for (const loc of r.locations || []) {
        const pl = loc.physicalLocation;
        if (pl && !(pl.region && pl.region.startLine >= 1))
          problems.push(`result ${r.ruleId}: no start line`);
      }
    }
  }
  if (problems.length) {
    failed++;
    console.log(`FAIL ${file}`);
    for (const p of problems.slice(0, 20)) console.log(`  ${p}`);
  } else {
    const n = (log.runs || []).reduce((k, r) => k + (r.results || []).length, 0);
    console.log(`ok ${file}: valid SARIF 2.1.0, ${n} results`);
  }
}
process.exit(failed ? 1 : 0);
