import { loadPolicyText, loadPolicyTexts } from '../../src/reconciler/policy/load';
import { policyGeneration } from '../../src/reconciler/policy/validate';
import {
  ORDERS_WEB,
  PAYMENTS_FUNC,
  errorsOf,
  fixture,
  loadFixture,
  policyYaml,
} from './helpers';

const ARM_SITE_TEMPLATE =
  '/subscriptions/<subscription-id>/resourceGroups/<group>/providers/Microsoft.Web/sites/<app>';

interface InvalidCase {
  fixture: string;
  path: string;
  line: number;
  column: number;
  message: string;
  /** Part of the hint, when the case has one worth checking. */
  hint?: string;
}

/** One fixture per kind of error; each fixture holds exactly that one mistake. */
const invalidCases: InvalidCase[] = [
  // Safe parsing
  { fixture: 'yaml-syntax-error.yaml', path: '', line: 7, column: 3, message: 'YAML syntax: flow sequence in block collection must be sufficiently indented and end with a ]' },
  { fixture: 'duplicate-key.yaml', path: 'spec.mode', line: 12, column: 3, message: "duplicate key 'mode' (first defined at line 6, column 3)", hint: 'keep one of the two' },
  { fixture: 'custom-tag.yaml', path: 'metadata.description', line: 5, column: 16, message: 'the tag !!js/function is not allowed', hint: 'remove the tag' },
  { fixture: 'unknown-tag.yaml', path: 'metadata.description', line: 5, column: 16, message: 'the tag !vault is not allowed', hint: 'remove the tag' },
  { fixture: 'alias-bomb.yaml', path: '', line: 2, column: 1, message: 'the document expands too many aliases (more than 100); this looks like an alias bomb' },
  { fixture: 'not-a-mapping.yaml', path: '', line: 1, column: 1, message: 'a policy document must be a mapping (apiVersion, kind, metadata, spec), got a sequence' },
  // Structure
  { fixture: 'unknown-field.yaml', path: 'spec.calers', line: 7, column: 3, message: "unknown field 'calers' in spec; valid fields: mode, exclusive, suspend, subnet, callers, callerSlots, callees, alsoAllow", hint: "did you mean 'callers'?" },
  { fixture: 'unknown-top-level-field.yaml', path: 'status', line: 11, column: 1, message: "unknown field 'status' at the top level; valid fields: apiVersion, kind, metadata, spec" },
  { fixture: 'missing-required-field.yaml', path: 'spec.subnet', line: 5, column: 1, message: "missing required field 'subnet' in spec", hint: 'virtualNetworks/<vnet>/subnets/<subnet>' },
  { fixture: 'expected-boolean.yaml', path: 'spec.exclusive', line: 6, column: 14, message: "expected true or false, got the string 'yes'", hint: 'write true or false' },
  { fixture: 'expected-mapping.yaml', path: 'spec.suspend', line: 6, column: 3, message: 'expected a mapping, got nothing', hint: 'write `suspend: {}`' },
  { fixture: 'expected-string.yaml', path: 'spec.suspend.reason', line: 7, column: 13, message: 'expected a string, got the number 4711', hint: 'put the value in double quotes' },
  { fixture: 'expected-list.yaml', path: 'spec.callers', line: 7, column: 12, message: `expected a list, got the string '${ORDERS_WEB.slice(0, 16)}…'`, hint: 'write it as a list item' },
  { fixture: 'empty-callees.yaml', path: 'spec.callees', line: 9, column: 12, message: 'the list is empty; at least 1 item required' },
  { fixture: 'invalid-mode.yaml', path: 'spec.mode', line: 6, column: 9, message: "invalid value 'enforced'; expected one of: enforce, audit", hint: "did you mean 'enforce'?" },
  { fixture: 'unsupported-api-version.yaml', path: 'apiVersion', line: 1, column: 13, message: "unsupported apiVersion 'lockdown/v2'; supported: lockdown/v1" },
  { fixture: 'wrong-kind.yaml', path: 'kind', line: 2, column: 7, message: "invalid value 'Policy'; expected one of: LockdownPolicy" },
  { fixture: 'invalid-policy-name.yaml', path: 'metadata.name', line: 4, column: 9, message: "invalid name 'Orders_To_Paymen…'", hint: "lower-case letters, digits and '-'" },
  { fixture: 'invalid-scm.yaml', path: 'spec.callees[0].scm', line: 11, column: 12, message: "invalid value 'open'; expected one of: sameAsMain, denyAll" },
  { fixture: 'ip-address-and-service-tag.yaml', path: 'spec.alsoAllow[0].serviceTag', line: 12, column: 54, message: 'set only one of ipAddress or serviceTag, not both', hint: 'split it into two entries' },
  { fixture: 'neither-ip-address-nor-service-tag.yaml', path: 'spec.alsoAllow[0]', line: 12, column: 7, message: 'set one of ipAddress or serviceTag' },
  { fixture: 'allow-name-too-long.yaml', path: 'spec.alsoAllow[0].name', line: 12, column: 15, message: "'build-agents-in-…' is 27 characters long; at most 24 are allowed", hint: 'Lockdown prefixes yours' },
  // Formats: ARM ids, CIDRs, instants
  { fixture: 'caller-not-a-resource-id.yaml', path: 'spec.callers[0]', line: 8, column: 7, message: "'orders-web' is not an ARM resource id (it must start with /subscriptions/)", hint: ARM_SITE_TEMPLATE },
  { fixture: 'caller-wrong-resource-type.yaml', path: 'spec.callers[0]', line: 8, column: 7, message: 'expected the id of an App Service or Function app (Microsoft.Web/sites), got a Microsoft.Web/serverFarms id', hint: ARM_SITE_TEMPLATE },
  { fixture: 'subnet-is-a-vnet.yaml', path: 'spec.subnet', line: 6, column: 11, message: 'expected the id of a virtual network subnet (Microsoft.Network/virtualNetworks/subnets), got a Microsoft.Network/virtualNetworks id' },
  { fixture: 'subscription-not-a-guid.yaml', path: 'spec.callees[0].id', line: 10, column: 11, message: "the subscription id 'prod' is not a GUID" },
  { fixture: 'deployment-slot.yaml', path: 'spec.callees[0].id', line: 10, column: 11, message: 'a callee is an app, not one of its slots', hint: 'drop /slots/<slot>' },
  { fixture: 'cidr-host-bits-set.yaml', path: 'spec.alsoAllow[0].ipAddress', line: 12, column: 40, message: 'host bits are set in 203.0.113.7/24', hint: 'the range is 203.0.113.0/24; for the single address write 203.0.113.7/32' },
  { fixture: 'cidr-invalid-address.yaml', path: 'spec.alsoAllow[0].ipAddress', line: 12, column: 40, message: "'203.0.300.0' is not an IPv4 or IPv6 address" },
  { fixture: 'cidr-without-prefix.yaml', path: 'spec.alsoAllow[0].ipAddress', line: 12, column: 39, message: "'203.0.113.7' has no prefix length", hint: 'write 203.0.113.7/32' },
  { fixture: 'suspend-until-without-time-zone.yaml', path: 'spec.suspend.until', line: 7, column: 12, message: "'2026-12-01T00:00…' has no time zone", hint: 'append Z for UTC: 2026-12-01T00:00:00Z' },
  // Semantics within one policy
  { fixture: 'caller-is-callee.yaml', path: 'spec.callees[1].id', line: 11, column: 11, message: "'orders-web' is both a caller and a callee of this policy" },
  { fixture: 'duplicate-caller.yaml', path: 'spec.callers[1]', line: 9, column: 7, message: "caller 'orders-web' is listed twice (first at line 8, column 7)", hint: 'case-insensitively' },
  { fixture: 'duplicate-callee.yaml', path: 'spec.callees[1].id', line: 11, column: 11, message: "callee 'payments-func' is listed twice (first at line 10, column 11)" },
  { fixture: 'duplicate-allow-name.yaml', path: 'spec.alsoAllow[1].name', line: 13, column: 15, message: "access rule name 'Build-Agents' is used twice (first at line 12, column 15)" },
];

describe('a policy file with one mistake', () => {
  it.each(invalidCases)('reports $fixture at $line:$column', (testCase) => {
    const file = `invalid/${testCase.fixture}`;
    const loaded = loadFixture(file);

    const errors = errorsOf(loaded);
    expect(errors[0]).toMatchObject({
      severity: 'error',
      file,
      path: testCase.path,
      line: testCase.line,
      column: testCase.column,
      message: testCase.message,
    });
    if (testCase.hint) expect(errors[0].hint).toContain(testCase.hint);
    // Syntax errors may cascade; every other fixture shows exactly one mistake.
    if (testCase.fixture !== 'yaml-syntax-error.yaml') expect(errors).toHaveLength(1);
    expect(loaded.policies).toEqual([]);
    expect(loaded.invalidFiles).toEqual([file]);
  });

  it('names the policy in each problem once the name is known', () => {
    const [problem] = errorsOf(loadFixture('invalid/duplicate-caller.yaml'));
    expect(problem.policy).toBe('orders-to-payments');
  });

  it('reports every mistake of a document, not only the first', () => {
    const text = policyYaml('orders-to-payments', '  mode: enforced\n  exclusive: yes\n  colour: blue');
    const paths = errorsOf(loadPolicyText('many.yaml', text)).map((problem) => problem.path);
    expect(paths).toEqual(['spec.mode', 'spec.exclusive', 'spec.colour']);
  });

  it('points at the key of a mapping whose required field is missing', () => {
    const text = policyYaml().replace(/  callers:\n.*\n/, '');
    expect(errorsOf(loadPolicyText('no-callers.yaml', text))).toEqual([
      expect.objectContaining({ path: 'spec.callers', line: 5, column: 1, message: "missing required field 'callers' in spec" }),
    ]);
  });

  it('checks only the version of a document written for another apiVersion', () => {
    const text = policyYaml().replace('lockdown/v1', 'lockdown/v9').replace('spec:', 'spec:\n  futureField: 1');
    expect(errorsOf(loadPolicyText('future.yaml', text)).map((problem) => problem.path)).toEqual(['apiVersion']);
  });

  it('reports a duplicate policy name at both documents', () => {
    const file = 'invalid/duplicate-policy-name.yaml';
    expect(errorsOf(loadFixture(file))).toEqual([
      expect.objectContaining({ file, path: 'metadata.name', line: 4, column: 9, message: `policy name 'orders-to-payments' is also used at ${file}:15:9` }),
      expect.objectContaining({ file, path: 'metadata.name', line: 15, column: 9, message: `policy name 'orders-to-payments' is also used at ${file}:4:9` }),
    ]);
  });

  it('warns, without failing, about a range that admits every address', () => {
    const text = policyYaml('orders-to-payments', '  alsoAllow:\n    - { name: anyone, ipAddress: 0.0.0.0/0 }');
    const loaded = loadPolicyText('open.yaml', text);
    expect(loaded.problems).toEqual([
      expect.objectContaining({ severity: 'warning', path: 'spec.alsoAllow[0].ipAddress', message: '0.0.0.0/0 admits every IPv4 address' }),
    ]);
    expect(loaded.policies).toHaveLength(1);
    expect(loaded.invalidFiles).toEqual([]);
  });
});

describe('policies that contradict each other', () => {
  const loadPair = (directory: string, files: string[]) =>
    loadPolicyTexts(files.map((file) => ({ file: `${directory}/${file}`, text: fixture(`contradictions/${directory}/${file}`) })));

  it.each([
    {
      directory: 'caller-in-two-subnets',
      files: ['apps.yaml', 'batch.yaml'],
      path: 'spec.callers[0]',
      line: 8,
      column: 7,
      message:
        "caller 'orders-web' is placed in subnet 'hub/apps' here but in 'hub/batch' by policy 'orders-to-stock' (caller-in-two-subnets/batch.yaml:8:7)",
    },
    {
      directory: 'callee-exclusive-disagrees',
      files: ['exclusive.yaml', 'not-exclusive.yaml'],
      path: 'spec.callees[0].id',
      line: 10,
      column: 11,
      message:
        "callee 'payments-func' is exclusive here but not exclusive in policy 'reports-to-payments' (callee-exclusive-disagrees/not-exclusive.yaml:11:11)",
    },
    {
      directory: 'callee-scm-disagrees',
      files: ['same-as-main.yaml', 'deny-all.yaml'],
      path: 'spec.callees[0].id',
      line: 10,
      column: 11,
      message:
        "callee 'payments-func' has `scm: sameAsMain` here but `scm: denyAll` in policy 'reports-to-payments' (callee-scm-disagrees/deny-all.yaml:10:11)",
    },
  ])('excludes both policies when $directory', ({ directory, files, path, line, column, message }) => {
    const loaded = loadPair(directory, files);

    const errors = errorsOf(loaded);
    expect(errors).toHaveLength(2);
    expect(errors.map((problem) => problem.file).sort()).toEqual(files.map((file) => `${directory}/${file}`).sort());
    expect(errors.find((problem) => problem.file === `${directory}/${files[0]}`)).toMatchObject({
      severity: 'error',
      path,
      line,
      column,
      message,
      policy: 'orders-to-payments',
    });
    expect(loaded.policies).toEqual([]);
    expect(loaded.invalidFiles.sort()).toEqual(files.map((file) => `${directory}/${file}`).sort());
  });

  it('accepts a caller of one policy that is a callee locked by another', () => {
    const directory = 'caller-is-callee-elsewhere';
    const loaded = loadPair(directory, ['orders-to-payments.yaml', 'reports-to-orders.yaml']);
    expect(loaded.problems).toEqual([]);
    expect(loaded.policies.map((policy) => policy.name)).toEqual(['orders-to-payments', 'reports-to-orders']);
  });

  it('accepts two policies sharing a callee and a subnet when they agree', () => {
    const second = policyYaml('stock-to-payments').replace(ORDERS_WEB, ORDERS_WEB.replace('orders-web', 'stock-web'));
    const loaded = loadPolicyTexts([
      { file: 'a.yaml', text: policyYaml() },
      { file: 'b.yaml', text: second },
    ]);
    expect(loaded.problems).toEqual([]);
    expect(loaded.policies).toHaveLength(2);
  });

  it('still checks a policy whose file is invalid for another reason', () => {
    // Fixing the other mistake must not silently start a contradiction.
    const broken = `${policyYaml('orders-to-payments', '  exclusive: false')}---\nnot: [closed\n`;
    const loaded = loadPolicyTexts([
      { file: 'broken.yaml', text: broken },
      { file: 'good.yaml', text: policyYaml('reports-to-payments').replace(ORDERS_WEB, ORDERS_WEB.replace('orders-web', 'reports-web')) },
    ]);
    expect(loaded.invalidFiles).toEqual(['broken.yaml', 'good.yaml']);
    expect(loaded.policies).toEqual([]);
  });
});

describe('a valid policy', () => {
  it('loads every document of a multi-document file and skips empty ones', () => {
    const loaded = loadFixture('valid/multi-document.yaml');
    expect(loaded.problems).toEqual([]);
    expect(loaded.policies.map((policy) => policy.name)).toEqual(['orders-to-payments', 'reports-to-stock']);
    expect(loaded.policies[1].source).toEqual({ file: 'valid/multi-document.yaml', line: 15, column: 1 });
    expect(loaded.policies[1].callees[0].scm).toEqual({ kind: 'denyAll' });
  });

  it('fills in the defaults', () => {
    const [policy] = loadPolicyText('defaults.yaml', policyYaml()).policies;
    expect(policy).toMatchObject({
      mode: 'enforce',
      exclusive: true,
      alsoAllow: [],
      callees: [expect.objectContaining({ scm: { kind: 'sameAsMain' } })],
    });
    expect(policy.suspend).toBeUndefined();
  });

  it('keeps every field and canonicalizes ids, ranges and instants', () => {
    const loaded = loadFixture('valid/every-field.yaml');
    expect(loaded.problems).toEqual([]);
    const [policy] = loaded.policies;
    expect(policy).toMatchObject({
      name: 'orders-to-payments',
      mode: 'audit',
      exclusive: false,
      suspend: { until: '2026-12-01T00:00:00Z', reason: 'incident 4711' },
      subnetId:
        '/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/net/providers/microsoft.network/virtualnetworks/hub/subnets/apps',
      subnetDisplayId: expect.stringContaining('/VIRTUALNETWORKS/hub/'),
      callers: [{ id: ORDERS_WEB.toLowerCase(), displayId: ORDERS_WEB, source: { file: 'valid/every-field.yaml', line: 15, column: 7 } }],
      callees: [
        {
          id: PAYMENTS_FUNC.toLowerCase(),
          displayId: PAYMENTS_FUNC,
          source: { file: 'valid/every-field.yaml', line: 17, column: 11 },
          scm: {
            kind: 'rules',
            allow: [
              { name: 'build-agents', ipAddress: '203.0.113.0/24' },
              { name: 'ops-v6', ipAddress: '2001:db8::/32' },
            ],
          },
        },
      ],
      alsoAllow: [{ name: 'front-door', serviceTag: 'AzureFrontDoor.Backend' }],
    });
    expect(policy.generation).toMatch(/^[0-9a-f]{12}$/);
  });

  it('accepts anchors and aliases in moderation', () => {
    const loaded = loadFixture('valid/aliases-within-limit.yaml');
    expect(loaded.problems).toEqual([]);
    const [policy] = loaded.policies;
    expect(policy.callees[1].scm).toEqual(policy.callees[0].scm);
    expect(policy.callees[1].scm).toEqual({ kind: 'rules', allow: [{ name: 'build-agents', ipAddress: '203.0.113.0/24' }] });
  });
});

describe('the generation of a policy', () => {
  const generationOf = (text: string) => loadPolicyText('g.yaml', text).policies[0].generation;
  const base = generationOf(policyYaml());

  it('ignores spelling and order that do not change the meaning', () => {
    expect(generationOf(policyYaml().replace(PAYMENTS_FUNC, PAYMENTS_FUNC.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/')))).toBe(base);
    expect(generationOf(policyYaml('another-name'))).toBe(base);
    expect(generationOf(policyYaml('orders-to-payments', '  mode: enforce\n  exclusive: true'))).toBe(base);
  });

  it('changes when the meaning changes', () => {
    expect(generationOf(policyYaml('orders-to-payments', '  mode: audit'))).not.toBe(base);
    expect(generationOf(policyYaml('orders-to-payments', '  suspend: {}'))).not.toBe(base);
    expect(generationOf(policyYaml().replace('orders-web', 'other-web'))).not.toBe(base);
  });

  it('is computed from the canonical spec alone', () => {
    const [policy] = loadPolicyText('g.yaml', policyYaml()).policies;
    const { generation, ...rest } = policy;
    expect(policyGeneration({ ...rest, callers: [...rest.callers].reverse(), source: { file: 'x', line: 9, column: 9 } })).toBe(generation);
  });
});

describe('keys that every JavaScript object has', () => {
  it('are unknown fields, never a silently dropped policy', () => {
    const loaded = loadFixture('invalid/prototype-keys.yaml');
    expect(loaded.policies).toEqual([]);
    expect(loaded.invalidFiles).toHaveLength(1);
    expect(errorsOf(loaded).map((problem) => [problem.path, problem.line, problem.column])).toEqual([
      ['metadata.constructor', 5, 3],
      ['spec.__proto__', 7, 3],
      ['spec.toString', 8, 3],
      ['spec.callees[0].hasOwnProperty', 14, 7],
    ]);
  });
});

describe('extra allows that open the callee far wider than intended', () => {
  it.each([
    ['ipAddress: 16.0.0.0/4', '16.0.0.0/4 admits a very large range of addresses; is that intended?'],
    ['ipAddress: "::ffff:0:0/96"', '::ffff:0:0/96 admits a very large range of addresses; is that intended?'],
    ['serviceTag: Internet', 'service tag Internet admits the whole internet'],
    ['serviceTag: AzureCloud.WestEurope', "service tag AzureCloud.WestEurope admits every Azure customer's addresses, not only yours"],
  ])('warns about %s, and still loads the policy', (allow, message) => {
    const loaded = loadPolicyText('policies/wide.yaml', policyYaml('wide', `  alsoAllow:\n    - { name: wide, ${allow} }`));
    expect(loaded.policies).toHaveLength(1);
    expect(loaded.problems).toEqual([expect.objectContaining({ severity: 'warning', path: 'spec.alsoAllow[0]' + (allow.startsWith('ip') ? '.ipAddress' : '.serviceTag'), message })]);
  });

  it('does not warn about an ordinary service tag', () => {
    const loaded = loadPolicyText('policies/ok.yaml', policyYaml('ok', '  alsoAllow:\n    - { name: fd, serviceTag: AzureFrontDoor.Backend }'));
    expect(loaded.problems).toEqual([]);
  });
});

describe('deployment slots in a policy', () => {
  const withCallee = (calleeExtra: string, specExtra = '', callers = [ORDERS_WEB]) =>
    [
      'apiVersion: lockdown/v1',
      'kind: LockdownPolicy',
      'metadata:',
      '  name: orders-to-payments',
      'spec:',
      ...(specExtra ? [specExtra] : []),
      `  subnet: ${policyYaml().split('subnet: ')[1].split('\n')[0]}`,
      '  callers:',
      ...callers.map((caller) => `    - ${caller}`),
      '  callees:',
      `    - id: ${PAYMENTS_FUNC}`,
      ...(calleeExtra ? [`      ${calleeExtra}`] : []),
      '',
    ].join('\n');

  it('locks every slot of a callee by default', () => {
    const [policy] = loadPolicyText('slots.yaml', withCallee('')).policies;
    expect(policy.callees[0].slots).toEqual({ kind: 'all' });
    expect(policy.callerSlots).toBe('listed');
  });

  it('narrows the slots to a list of names', () => {
    const loaded = loadPolicyText('slots.yaml', withCallee('slots: [staging, Canary]'));
    expect(loaded.problems).toEqual([]);
    expect(loaded.policies[0].callees[0].slots).toEqual({ kind: 'named', names: ['staging', 'canary'] });
  });

  it('reports `slots: none` as a warning naming the callee, and still loads the policy', () => {
    const loaded = loadPolicyText('slots.yaml', withCallee('slots: none'));
    expect(loaded.policies).toHaveLength(1);
    expect(loaded.problems).toEqual([
      expect.objectContaining({ severity: 'warning', path: 'spec.callees[0].slots', line: 11, column: 14, message: expect.stringContaining("callee 'payments-func' are not locked") }),
    ]);
  });

  it('refuses a slot name that App Service would refuse', () => {
    const loaded = loadPolicyText('slots.yaml', withCallee('slots: [-staging]'));
    expect(errorsOf(loaded)).toEqual([expect.objectContaining({ path: 'spec.callees[0].slots[0]', line: 11, column: 15 })]);
  });

  it('accepts a caller that is a deployment slot, and callerSlots: all', () => {
    const loaded = loadPolicyText('slots.yaml', withCallee('', '  callerSlots: all', [`${ORDERS_WEB}/slots/staging`]));
    expect(loaded.problems).toEqual([]);
    expect(loaded.policies[0].callers[0].id).toBe(`${ORDERS_WEB}/slots/staging`.toLowerCase());
    expect(loaded.policies[0].callerSlots).toBe('all');
  });

  it('keeps the generation of a policy written before slots, and changes it when slots narrow', () => {
    const before = loadPolicyText('slots.yaml', withCallee('')).policies[0].generation;
    expect(loadPolicyText('slots.yaml', withCallee('slots: all')).policies[0].generation).toBe(before);
    expect(loadPolicyText('slots.yaml', withCallee('slots: none')).policies[0].generation).not.toBe(before);
    expect(loadPolicyText('slots.yaml', withCallee('', '  callerSlots: all')).policies[0].generation).not.toBe(before);
  });
});

describe('service tag names', () => {
  it('refuses an unknown tag at its file, line and column, with a "did you mean" hint', () => {
    const text = policyYaml('typo', '  alsoAllow:\n    - { name: fd, serviceTag: AzureFrontDor.Backend }');
    const loaded = loadPolicyText('policies/typo.yaml', text);
    expect(loaded.policies).toEqual([]);
    const lines = text.split('\n');
    const line = lines.findIndex((candidate) => candidate.includes('AzureFrontDor')) + 1;
    expect(loaded.problems).toEqual([
      expect.objectContaining({
        severity: 'error',
        file: 'policies/typo.yaml',
        line,
        column: lines[line - 1].indexOf('AzureFrontDor') + 1,
        path: 'spec.alsoAllow[0].serviceTag',
        message: "unknown service tag 'AzureFrontDor.Backend'",
        hint: 'did you mean AzureFrontDoor.Backend?',
      }),
    ]);
  });

  it.each(['AppService.WestEurope', 'appservice', 'Storage.westeurope', 'AzureFrontDoor.FirstParty', 'AzureCloud.centralfrance'])('accepts %s', (tag) => {
    const loaded = loadPolicyText('policies/ok.yaml', policyYaml('ok', `  alsoAllow:\n    - { name: t, serviceTag: ${tag} }`));
    expect(loaded.problems.filter((problem) => problem.severity === 'error')).toEqual([]);
  });

  it('refuses a region on a tag that cannot be regional, and names the list when nothing is close', () => {
    const regional = loadPolicyText('policies/r.yaml', policyYaml('r', '  alsoAllow:\n    - { name: t, serviceTag: AzureMonitor.WestEurope }'));
    expect(regional.problems).toEqual([expect.objectContaining({ message: "unknown service tag 'AzureMonitor.WestEurope'" })]);
    const far = loadPolicyText('policies/f.yaml', policyYaml('f', '  alsoAllow:\n    - { name: t, serviceTag: CompletelyMadeUp }'));
    expect(far.problems).toEqual([expect.objectContaining({ message: "unknown service tag 'CompletelyMadeUp'", hint: expect.stringContaining('Azure service tags list') })]);
  });
});
