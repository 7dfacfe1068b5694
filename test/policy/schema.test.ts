import Ajv2020 from 'ajv/dist/2020';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  POLICY_JSON_SCHEMA_PATH,
  policyJsonSchema,
  policyJsonSchemaText,
  policySchema,
} from '../../src/reconciler/policy/schema';
import type { Field } from '../../src/reconciler/policy/schema';
import { REPO_ROOT, fixture, policyYaml } from './helpers';

function documentsOf(text: string): unknown[] {
  return parseAllDocuments(text, { schema: 'core' })
    .map((document) => document.toJS())
    .filter((value) => value !== null);
}

describe('the policy JSON Schema', () => {
  const validate = new Ajv2020({ allErrors: true }).compile(policyJsonSchema());

  it('is shipped up to date (run `npm run schema` after changing schema.ts)', () => {
    const committed = readFileSync(path.join(REPO_ROOT, POLICY_JSON_SCHEMA_PATH), 'utf8');
    expect(committed).toBe(policyJsonSchemaText());
  });

  it('is draft 2020-12 and closed at every level', () => {
    const schema = policyJsonSchema() as Record<string, unknown>;
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const objects: Record<string, unknown>[] = [];
    const visit = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(visit);
      else if (node && typeof node === 'object') {
        const record = node as Record<string, unknown>;
        if (record.type === 'object') objects.push(record);
        Object.values(record).forEach(visit);
      }
    };
    visit(schema);
    expect(objects.length).toBeGreaterThan(5);
    for (const object of objects) expect(object.additionalProperties).toBe(false);
  });

  it('describes every field, for editors', () => {
    const undescribed: string[] = [];
    const visit = (field: Field, where: string) => {
      if (!field.description) undescribed.push(where);
      if (field.type === 'object') for (const [name, child] of Object.entries(field.fields)) visit(child, `${where}.${name}`);
      if (field.type === 'array') visit(field.items, `${where}[]`);
      if (field.type === 'union') {
        visit(field.string, where);
        for (const alternative of [field.object, field.array]) if (alternative) visit(alternative, where);
      }
    };
    visit(policySchema, '(root)');
    expect(undescribed).toEqual([]);
  });

  const validFiles = readdirSync(path.join(__dirname, 'fixtures', 'valid')).map((name) => `valid/${name}`);
  it.each(validFiles)('accepts every document of %s', (file) => {
    const documents = documentsOf(fixture(file));
    expect(documents.length).toBeGreaterThan(0);
    for (const document of documents) {
      expect(validate(document) ? [] : validate.errors).toEqual([]);
    }
  });

  it.each([
    ['an unknown key', 'invalid/unknown-field.yaml', 'additionalProperties'],
    ['an unknown top-level key', 'invalid/unknown-top-level-field.yaml', 'additionalProperties'],
    ['a missing required field', 'invalid/missing-required-field.yaml', 'required'],
    ['an invalid mode', 'invalid/invalid-mode.yaml', 'enum'],
    ['both ipAddress and serviceTag', 'invalid/ip-address-and-service-tag.yaml', 'oneOf'],
    ['a caller that is not a site id', 'invalid/caller-wrong-resource-type.yaml', 'pattern'],
    ['a subnet that is a VNet', 'invalid/subnet-is-a-vnet.yaml', 'pattern'],
    ['an instant without time zone', 'invalid/suspend-until-without-time-zone.yaml', 'pattern'],
    ['a rule name over 24 characters', 'invalid/allow-name-too-long.yaml', 'maxLength'],
  ])('rejects %s', (_, file, keyword) => {
    const [document] = documentsOf(fixture(file));
    expect(validate(document)).toBe(false);
    expect(validate.errors?.map((error) => error.keyword)).toContain(keyword);
  });

  it('matches resource ids case-insensitively, like ARM', () => {
    const [document] = documentsOf(policyYaml().replace(/Microsoft\.Web/g, 'MICROSOFT.WEB').replace(/resourceGroups/g, 'resourcegroups'));
    expect(validate(document) ? [] : validate.errors).toEqual([]);
  });
});
