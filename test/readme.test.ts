/**
 * Every YAML block in the README parses; every block that is a Lockdown policy validates.
 * Every policy in policies/ is checked by test/policy/policy-files.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadPolicyText } from '../src/reconciler/policy/load';
import { formatProblems } from '../src/reconciler/policy/format';

const readme = readFileSync(path.resolve(__dirname, '../README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map((match, index) => ({
  name: `block ${index + 1} (line ${readme.slice(0, match.index).split('\n').length})`,
  text: match[1],
}));

describe('README', () => {
  it('has YAML examples', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  it.each(blocks)('$name is valid YAML', ({ text }) => {
    const documents = parseAllDocuments(text);
    for (const document of documents) expect(document.errors).toEqual([]);
  });

  const policyBlocks = blocks.filter(({ text }) => /^kind: LockdownPolicy$/m.test(text));
  it('has policy examples', () => {
    expect(policyBlocks.length).toBeGreaterThan(0);
  });

  it.each(policyBlocks)('$name is a valid Lockdown policy', ({ name, text }) => {
    const loaded = loadPolicyText(`README.md ${name}`, text);
    expect(formatProblems(loaded.problems.filter((problem) => problem.severity === 'error'))).toBe('');
    expect(loaded.policies.length).toBeGreaterThan(0);
  });
});
