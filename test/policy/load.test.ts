import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadPolicies, resourceIdsIn } from '../../src/reconciler/policy/load';
import { EVERY_RESOURCE } from '../../src/reconciler/policy/types';
import { FIXTURES, policyYaml } from './helpers';

const LOAD = path.join(FIXTURES, 'load');

describe('loading policy files', () => {
  it('reads a folder recursively, sorted, and loads the valid files next to an invalid one', async () => {
    const loaded = await loadPolicies([LOAD]);

    expect(loaded.files).toEqual([
      path.join(LOAD, 'broken.yaml'),
      path.join(LOAD, 'good.yaml'),
      path.join(LOAD, 'team', 'nested.yml'),
    ]);
    expect(loaded.invalidFiles).toEqual([path.join(LOAD, 'broken.yaml')]);
    expect(loaded.policies.map((policy) => policy.name)).toEqual(['orders-to-payments', 'stock-to-payments']);
    expect(loaded.problems).toEqual([
      expect.objectContaining({ file: path.join(LOAD, 'broken.yaml'), line: 9, column: 3, path: 'spec.calees' }),
    ]);
  });

  it('skips the schema folder and files that are not YAML', async () => {
    const loaded = await loadPolicies([LOAD]);
    expect(loaded.files.some((file) => file.includes(`${path.sep}schema${path.sep}`) || file.endsWith('.txt'))).toBe(false);
  });

  it('reads a file named explicitly, and each file once', async () => {
    const good = path.join(LOAD, 'good.yaml');
    const loaded = await loadPolicies([good, LOAD, good]);
    expect(loaded.files.filter((file) => file === good)).toHaveLength(1);
    expect(loaded.files).toHaveLength(3);
  });

  it('reports a path that does not exist and still loads the others', async () => {
    const missing = path.join(LOAD, 'missing.yaml');
    const loaded = await loadPolicies([missing, path.join(LOAD, 'good.yaml')]);
    expect(loaded.problems).toEqual([
      expect.objectContaining({ severity: 'error', file: missing, line: 1, column: 1, message: expect.stringMatching(/^no such file or directory; .*nothing is written/) }),
    ]);
    expect(loaded.invalidFiles).toEqual([missing]);
    expect(loaded.policies.map((policy) => policy.name)).toEqual(['orders-to-payments']);
  });

  describe('with files on disk', () => {
    let directory: string;
    beforeEach(() => {
      directory = mkdtempSync(path.join(tmpdir(), 'lockdown-policies-'));
    });
    afterEach(() => rmSync(directory, { recursive: true, force: true }));

    it('refuses a file over the size limit without reading it', async () => {
      writeFileSync(path.join(directory, 'a-huge.yaml'), `${policyYaml('huge')}# ${'x'.repeat(2000)}\n`);
      writeFileSync(path.join(directory, 'b-small.yaml'), policyYaml('small').replace('orders-web', 'small-web'));

      const loaded = await loadPolicies([directory], { maxFileBytes: 1000 });

      expect(loaded.problems).toEqual([
        expect.objectContaining({ file: path.join(directory, 'a-huge.yaml'), message: expect.stringContaining('over the limit of 1000 bytes') }),
      ]);
      expect(loaded.invalidFiles).toEqual([path.join(directory, 'a-huge.yaml')]);
      expect(loaded.policies.map((policy) => policy.name)).toEqual(['small']);
    });

    it('checks policy names across files', async () => {
      writeFileSync(path.join(directory, 'a.yaml'), policyYaml('same'));
      writeFileSync(path.join(directory, 'b.yaml'), policyYaml('same').replace('orders-web', 'other-web'));

      const loaded = await loadPolicies([directory]);

      expect(loaded.problems.map((problem) => `${path.basename(problem.file)}:${problem.line}:${problem.column} ${problem.message}`)).toEqual([
        `a.yaml:4:9 policy name 'same' is also used at ${path.join(directory, 'b.yaml')}:4:9`,
        `b.yaml:4:9 policy name 'same' is also used at ${path.join(directory, 'a.yaml')}:4:9`,
      ]);
      expect(loaded.policies).toEqual([]);
    });
  });
});

describe('what an invalid file protects', () => {
  it('lists every app and subnet id written in an invalid file, and none from valid files', async () => {
    const loaded = await loadPolicies([LOAD]);
    const broken = path.join(LOAD, 'broken.yaml');
    expect(loaded.frozenResources.length).toBeGreaterThan(0);
    expect(loaded.frozenResources.every((resource) => resource.file === broken)).toBe(true);
    expect(loaded.frozenResources.map((resource) => resource.id)).toEqual(resourceIdsIn(readFileSync(broken, 'utf8')));
  });

  it('finds ids in text that is not even YAML, lower-cased, once each', () => {
    const text = '{{ nonsense: /subscriptions/S/resourceGroups/fn/providers/Microsoft.Web/sites/Payments-Func, "x" ]\n' +
      '  - /subscriptions/S/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/apps # comment\n' +
      '  - /subscriptions/s/resourcegroups/fn/providers/microsoft.web/sites/payments-func\n';
    expect(resourceIdsIn(text)).toEqual([
      '/subscriptions/s/resourcegroups/fn/providers/microsoft.web/sites/payments-func',
      '/subscriptions/s/resourcegroups/net/providers/microsoft.network/virtualnetworks/hub/subnets/apps',
    ]);
  });

  it('protects everything when a named file cannot be read', async () => {
    const loaded = await loadPolicies([path.join(LOAD, 'does-not-exist.yaml')]);
    expect(loaded.frozenResources).toEqual([{ id: EVERY_RESOURCE, file: path.join(LOAD, 'does-not-exist.yaml') }]);
  });
});

describe('policy folders behind symbolic links', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'lockdown-links-'));
    mkdirSync(path.join(root, 'real'));
    writeFileSync(path.join(root, 'real', 'team.yaml'), policyYaml('team-policy'));
    mkdirSync(path.join(root, 'policies'));
    mkdirSync(path.join(root, 'policies', 'shared'));
    writeFileSync(path.join(root, 'policies', 'shared', 'own.yaml'), policyYaml('own-policy').replace('orders-web', 'own-web'));
    symlinkSync(path.join(root, 'real'), path.join(root, 'policies', 'team'));
    symlinkSync(path.join(root, 'policies', 'shared'), path.join(root, 'policies', 'again'));
    symlinkSync(path.join(root, 'policies'), path.join(root, 'policies', 'loop'));
    symlinkSync(path.join(root, 'gone.yaml'), path.join(root, 'policies', 'gone.yaml'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('follows linked folders inside the policy folder once each, and reports a dangling linked file', async () => {
    const loaded = await loadPolicies([path.join(root, 'policies')], { followExternalLinks: true });
    expect(loaded.policies.map((policy) => policy.name).sort()).toEqual(['own-policy', 'team-policy']);
    expect(loaded.invalidFiles).toEqual([path.join(root, 'policies', 'gone.yaml')]);
    expect(loaded.frozenResources).toEqual([{ id: EVERY_RESOURCE, file: path.join(root, 'policies', 'gone.yaml') }]);
  });

  it('does not follow a link that leaves the policy folder unless told to, and freezes every write', async () => {
    const loaded = await loadPolicies([path.join(root, 'policies')]);
    const link = path.join(root, 'policies', 'team');
    expect(loaded.policies.map((policy) => policy.name)).toEqual(['own-policy']);
    expect(loaded.problems).toContainEqual(expect.objectContaining({ file: link, line: 1, message: expect.stringContaining('a link that leaves the policy folder is not followed') }));
    expect(loaded.frozenResources).toContainEqual({ id: EVERY_RESOURCE, file: link });
  });
});

describe('what an invalid file protects, when ids are folded across lines', () => {
  it('finds an id written as a double-quoted YAML string continued on the next line', () => {
    const text = [
      'apiVersion: lockdown/v1',
      'kind: LockdownPolicy',
      'metadata: { name: folded }',
      'spec:',
      '  calers: []',
      '  callees:',
      '    - id: "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/fn/providers/Microsoft.Web/sites/\\',
      '        payments-func"',
      '',
    ].join('\n');
    expect(resourceIdsIn(text)).toContain('/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/fn/providers/microsoft.web/sites/payments-func');
  });
});
