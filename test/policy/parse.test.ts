import { parsePolicyYaml } from '../../src/reconciler/policy/parse';
import { loadPolicyText } from '../../src/reconciler/policy/load';
import { errorsOf, fixture, policyYaml } from './helpers';

describe('parsing untrusted policy YAML', () => {
  it('stops an alias bomb before expanding it', () => {
    // no wall-clock bound here (a busy machine would fail it): expanding the bomb would not end within jest's timeout
    const loaded = loadPolicyText('bomb.yaml', fixture('invalid/alias-bomb.yaml'));
    expect(errorsOf(loaded)).toEqual([
      expect.objectContaining({ line: 2, column: 1, message: expect.stringContaining('alias bomb') }),
    ]);
  });

  it('applies the alias limit it is given', () => {
    const text = fixture('valid/aliases-within-limit.yaml');
    expect(loadPolicyText('a.yaml', text).problems).toEqual([]);
    expect(errorsOf(loadPolicyText('a.yaml', text, { maxAliasCount: 0 }))[0].message).toContain('more than 0');
  });

  it('refuses a file over the size limit without parsing it', () => {
    const huge = `${policyYaml()}# ${'x'.repeat(1024 * 1024)}\nunclosed: [\n`;
    const loaded = loadPolicyText('huge.yaml', huge);
    expect(loaded.problems).toEqual([
      expect.objectContaining({
        severity: 'error',
        file: 'huge.yaml',
        line: 1,
        column: 1,
        message: `the file is ${Buffer.byteLength(huge)} bytes, over the limit of 1048576 bytes (1 MiB); it was not parsed`,
      }),
    ]);
    expect(loaded.policies).toEqual([]);
  });

  it('takes a smaller size limit when asked', () => {
    const text = policyYaml();
    expect(loadPolicyText('a.yaml', text, { maxFileBytes: 100 }).problems[0].message).toContain('over the limit of 100 bytes');
  });

  it.each([
    ['!!js/function', 'x: !!js/function "function () {}"'],
    ['!!binary', 'x: !!binary aGVsbG8='],
    ['!!timestamp', 'x: !!timestamp 2026-12-01'],
    ['!!set', 'x: !!set { a }'],
    ['!secret', 'x: !secret value'],
    ['!<tag:example.com,2000:app>', 'x: !<tag:example.com,2000:app> value'],
  ])('rejects the tag %s', (tag, line) => {
    const problems = parsePolicyYaml('t.yaml', `${line}\n`).documents[0].problems;
    expect(problems).toEqual([
      expect.objectContaining({ severity: 'error', line: 1, column: 4, path: 'x', message: `the tag ${tag} is not allowed` }),
    ]);
  });

  it('accepts the core tags', () => {
    const parsed = parsePolicyYaml('t.yaml', 'a: !!str 0123\nb: !!int "7"\nc: !!map { d: !!seq [] }\n');
    expect(parsed.documents[0].problems).toEqual([]);
    expect(parsed.documents[0].root?.entries[0].value).toMatchObject({ kind: 'scalar', value: '0123' });
  });

  it('reports a duplicate key with both positions', () => {
    const parsed = parsePolicyYaml('d.yaml', 'spec:\n  callers: []\n  mode: audit\n  callers: []\n');
    expect(parsed.documents[0].problems).toEqual([
      expect.objectContaining({
        line: 4,
        column: 3,
        path: 'spec.callers',
        message: "duplicate key 'callers' (first defined at line 2, column 3)",
      }),
    ]);
  });

  it('keeps YAML 1.2 core semantics even under a %YAML 1.1 directive', () => {
    const parsed = parsePolicyYaml('v.yaml', '%YAML 1.1\n---\nwhen: 2026-12-01T00:00:00Z\nflag: yes\n<<: { a: 1 }\n');
    const [document] = parsed.documents;
    const values = Object.fromEntries(document.root!.entries.map((entry) => [entry.key, entry.value]));
    expect(values.when).toMatchObject({ value: '2026-12-01T00:00:00Z' });
    expect(values.flag).toMatchObject({ value: 'yes' });
    expect(values['<<']).toMatchObject({ kind: 'mapping' });
  });

  it('rejects merge keys with a hint', () => {
    const text = policyYaml('orders-to-payments', '  <<: { mode: audit }');
    expect(errorsOf(loadPolicyText('m.yaml', text))).toEqual([
      expect.objectContaining({ path: 'spec.<<', hint: 'merge keys (<<) are not supported: write the fields out' }),
    ]);
  });

  it('skips empty documents and comment-only files', () => {
    expect(parsePolicyYaml('e.yaml', '---\n# nothing\n---\n---\n').documents).toEqual([]);
    expect(parsePolicyYaml('e.yaml', '# only a comment\n').documents).toEqual([]);
    expect(parsePolicyYaml('e.yaml', '').documents).toEqual([]);
    expect(loadPolicyText('e.yaml', '---\n---\n')).toMatchObject({ policies: [], problems: [], invalidFiles: [] });
  });

  it.each([
    ['a scalar', 'just text\n', 'got a scalar'],
    ['a list', '- a\n- b\n', 'got a sequence'],
  ])('rejects a document that is %s', (_, text, got) => {
    expect(errorsOf(loadPolicyText('s.yaml', text))).toEqual([
      expect.objectContaining({ line: 1, column: 1, message: expect.stringContaining(got) }),
    ]);
  });

  it('rejects keys that are not plain names', () => {
    const problems = parsePolicyYaml('k.yaml', '? [a, b]\n: c\n').documents[0].problems;
    expect(problems).toEqual([expect.objectContaining({ line: 1, column: 3, message: 'keys must be plain names' })]);
  });

  it('rejects absurd nesting', () => {
    const text = `a: ${'['.repeat(100)}${']'.repeat(100)}\n`;
    expect(parsePolicyYaml('n.yaml', text).problems).toEqual([expect.objectContaining({ line: 1, column: 66, message: 'the document is nested more than 64 levels deep' })]);
  });

  it('reports YAML syntax errors with their position', () => {
    const problems = parsePolicyYaml('s.yaml', 'a: 1\nb: "unterminated\n').documents[0].problems;
    expect(problems[0]).toMatchObject({ severity: 'error', line: 3, column: 1, message: expect.stringMatching(/^YAML syntax: missing closing "quote/) });
  });

  it('remembers the position of every key and value', () => {
    const [document] = parsePolicyYaml('p.yaml', 'spec:\n  callers:\n    - one\n    -   two\n').documents;
    const callers = document.root!.entries[0].value;
    expect(callers).toMatchObject({
      kind: 'mapping',
      entries: [
        {
          key: 'callers',
          keyPosition: { line: 2, column: 3 },
          value: {
            kind: 'sequence',
            items: [
              { value: 'one', position: { line: 3, column: 7 } },
              { value: 'two', position: { line: 4, column: 9 } },
            ],
          },
        },
      ],
    });
  });
});
