/**
 * Writes the policy JSON Schema that editors use (policies/schema/) from the format's one
 * description in src/reconciler/policy/schema.ts. Run `npm run schema` after changing it;
 * a test fails while the committed file is out of date.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { POLICY_JSON_SCHEMA_PATH, policyJsonSchemaText } from '../src/reconciler/policy/schema';

const target = path.join(__dirname, '..', POLICY_JSON_SCHEMA_PATH);
mkdirSync(path.dirname(target), { recursive: true });
writeFileSync(target, policyJsonSchemaText());
console.log(`wrote ${POLICY_JSON_SCHEMA_PATH}`);
