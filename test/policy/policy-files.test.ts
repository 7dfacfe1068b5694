import Ajv2020 from 'ajv/dist/2020';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadPolicies, loadPolicyText } from '../../src/reconciler/policy/load';
import { formatProblem } from '../../src/reconciler/policy/format';
import { policyJsonSchema, policySchema } from '../../src/reconciler/policy/schema';
import type { Field } from '../../src/reconciler/policy/schema';
import { REPO_ROOT } from './helpers';

describe('the policies shipped in the repository', () => {
  it('are all valid', async () => {
    const loaded = await loadPolicies([path.join(REPO_ROOT, 'policies')]);
    expect(loaded.problems.map(formatProblem)).toEqual([]);
    expect(loaded.files.length).toBeGreaterThan(0);
    expect(loaded.policies.map((policy) => policy.name)).toContain('orders-to-payments');
  });

  it('are accepted by the JSON Schema too', async () => {
    const validate = new Ajv2020().compile(policyJsonSchema());
    const loaded = await loadPolicies([path.join(REPO_ROOT, 'policies')]);
    for (const file of loaded.files) {
      for (const document of parseAllDocuments(readFileSync(file, 'utf8'), { schema: 'core' })) {
        expect(validate(document.toJS()) ? [] : validate.errors).toEqual([]);
      }
    }
  });
});

describe('the policy reference', () => {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Policy reference');
  const markdown = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const blocks = [...markdown.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((match) => match[1]);

  it('has YAML examples', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  it.each(blocks.map((block, index) => [index + 1, block]))('has a valid YAML block #%d', (index, block) => {
    const loaded = loadPolicyText(`README.md (policy reference) yaml block ${index}`, block as string);
    expect(loaded.problems.map(formatProblem)).toEqual([]);
    expect(loaded.policies.length).toBeGreaterThan(0);
  });

  it('documents every field of the format', () => {
    const paths: string[] = [];
    const visit = (field: Field, where: string) => {
      if (where) paths.push(where);
      const child = (name: string) => (where ? `${where}.${name}` : name);
      if (field.type === 'object') for (const [name, sub] of Object.entries(field.fields)) visit(sub, child(name));
      if (field.type === 'array') visit(field.items, `${where}[]`);
      if (field.type === 'union') for (const alternative of [field.object, field.array]) if (alternative) visit(alternative, where);
    };
    visit(policySchema, '');
    // The SCM site's rules are documented once, as alsoAllow's.
    const documented = paths.filter((fieldPath) => !fieldPath.startsWith('spec.callees[].scm.allow[]'));
    const missing = documented.filter((fieldPath) => !fieldPath.endsWith('[]') && !markdown.includes(`| \`${fieldPath}\` |`));
    expect(missing).toEqual([]);
  });
});
