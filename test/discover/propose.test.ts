/**
 * Proposals from generated estates (fast-check, seeded: a failure prints the seed and path to
 * replay it with FC_SEED): they always load cleanly, file names stay inside the folder, and
 * enforcing them keeps a way in for every source the callee admitted.
 */
import fc from 'fast-check';
import type { Estate } from '../../src/discover/estate';
import { policyFile } from '../../src/discover/policyFile';
import { propose, type Discovery } from '../../src/discover/propose';
import type { AccessRule, Observation, ObservedSite, ObservedSiteConfig, ObservedVirtualNetwork } from '../../src/reconciler/observed';
import { loadPolicyTexts } from '../../src/reconciler/policy/load';
import { canonicalId } from '../../src/reconciler/resourceId';
import { SUB, siteId, subnetId } from '../support/world';

const FC = { seed: Number(process.env.FC_SEED ?? 20261201), numRuns: 300 };
const SUBNETS = ['apps', 'reports', 'spare', 'data'].map((name) => subnetId('hub', name));
const ADDRESSES = ['20.60.0.1', '20.60.0.2', '20.60.0.3', '20.60.0.4', '2001:db8::7'];
const PLANS = ['p1', 'p2', 'p3'].map((name) => `/subscriptions/${SUB}/resourceGroups/web/providers/Microsoft.Web/serverfarms/${name}`);
const HOSTILE_TEXT = fc.constantFrom('from apps', '../../etc/passwd', 'line\nbreak: {x}', '#comment', 'ld-build-agents', '', 'a'.repeat(60), 'ünïcode ✓', '- item');

const ruleArbitrary: fc.Arbitrary<AccessRule> = fc.oneof(
  fc.record({ name: HOSTILE_TEXT, description: HOSTILE_TEXT, action: fc.constant('Allow'), priority: fc.integer({ min: 1, max: 500 }), vnetSubnetResourceId: fc.constantFrom(...SUBNETS) }),
  fc.record({ name: HOSTILE_TEXT, action: fc.constant('Allow'), priority: fc.integer({ min: 1, max: 500 }), ipAddress: fc.constantFrom(...ADDRESSES.map((a) => `${a}/${a.includes(':') ? 128 : 32}`), '203.0.113.0/24', '203.0.113.7/24') }),
  fc.record({ name: HOSTILE_TEXT, action: fc.constant('Allow'), priority: fc.integer({ min: 1, max: 500 }), ipAddress: fc.constantFrom('AzureFrontDoor.Backend', 'Not a tag!'), tag: fc.constant('ServiceTag') }),
  fc.record({ name: HOSTILE_TEXT, action: fc.constant('Deny'), priority: fc.integer({ min: 1, max: 500 }), ipAddress: fc.constant('198.51.100.0/24') }),
  fc.record({
    name: fc.constantFrom('ld-hub-apps', 'ld-build-agents'),
    description: fc.constantFrom('lockdown:orders-to-payments', 'lockdown:a,b', 'lockdown:'),
    action: fc.constant('Allow'),
    priority: fc.integer({ min: 1, max: 500 }),
    vnetSubnetResourceId: fc.constantFrom(...SUBNETS),
  }),
);

const configArbitrary: fc.Arbitrary<ObservedSiteConfig> = fc.record({
  accessRules: fc.array(ruleArbitrary, { maxLength: 5 }),
  defaultAction: fc.constantFrom('Allow' as const, 'Deny' as const, 'Deny' as const),
  scmAccessRules: fc.array(ruleArbitrary, { maxLength: 2 }),
  scmDefaultAction: fc.constantFrom('Allow' as const, 'Deny' as const),
  scmUseMain: fc.boolean(),
  vnetRouteAllEnabled: fc.boolean(),
});

const estateArbitrary: fc.Arbitrary<Estate> = fc
  .uniqueArray(fc.constantFrom('orders-web', 'payments-func', 'Reports-Web', 'stock', `x${'y'.repeat(58)}`, 'a-b', 'audit'), { minLength: 1, maxLength: 7 })
  .chain((names) =>
    fc.record({
      sites: fc.tuple(
        ...names.map((name) =>
          fc.record({
            id: fc.constant(siteId(name.length % 2 ? 'web' : 'fn', name)),
            location: fc.constantFrom('westeurope', 'West Europe'),
            serverFarmId: fc.constantFrom(...PLANS),
            integrationSubnetId: fc.option(fc.constantFrom(...SUBNETS.map(canonicalId)), { nil: undefined }),
            publicNetworkAccess: fc.constantFrom('Enabled', 'Enabled', 'Disabled', ''),
            outboundIpAddresses: fc.uniqueArray(fc.constantFrom(...ADDRESSES), { maxLength: 2 }),
          }),
        ),
      ),
      configs: fc.tuple(...names.map(() => configArbitrary)),
      delegated: fc.array(fc.boolean(), { minLength: SUBNETS.length, maxLength: SUBNETS.length }),
    }),
  )
  .map(({ sites, configs, delegated }) => {
    const vnet: ObservedVirtualNetwork = {
      id: `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub`,
      location: 'westeurope',
      subnets: SUBNETS.map((id, index) => ({ id, serviceEndpoints: [], delegations: delegated[index] ? [{ name: 'd', serviceName: 'Microsoft.Web/serverFarms' }] : [], body: {} })),
    };
    return {
      sites: sites as ObservedSite[],
      siteConfigs: new Map(sites.map((site, index) => [canonicalId(site.id), { status: 'found' as const, value: configs[index] }])),
      virtualNetworks: [vnet],
      unreadable: [],
    };
  });

const filesOf = (discovery: Discovery) => discovery.proposals.map((proposal) => policyFile(proposal, { discoveredAt: '2026-12-01T00:00:00.000Z', scope: `/subscriptions/${SUB}\n# injected` }));

describe('discovery proposals', () => {
  it('always load cleanly as policy files, in audit mode', () => {
    fc.assert(
      fc.property(estateArbitrary, (estate) => {
        const files = filesOf(propose(estate));
        const loaded = loadPolicyTexts(files.map((file) => ({ file: file.fileName, text: file.text })));
        expect(loaded.problems.filter((problem) => problem.severity === 'error')).toEqual([]);
        expect(loaded.policies.map((policy) => policy.mode)).toEqual(files.map(() => 'audit'));
      }),
      FC,
    );
  });

  it('are named so that every file stays inside the output folder, one file per policy', () => {
    fc.assert(
      fc.property(estateArbitrary, (estate) => {
        const names = filesOf(propose(estate)).map((file) => file.fileName);
        for (const name of names) expect(name).toMatch(/^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?\.yaml$/);
        expect(new Set(names).size).toBe(names.length);
      }),
      FC,
    );
  });

  it('keep a way in for every source a proposed callee admitted, and admit no source it did not', () => {
    fc.assert(
      fc.property(estateArbitrary, (estate) => {
        const discovery = propose(estate);
        const sites = new Map(estate.sites.map((site) => [canonicalId(site.id), site]));
        for (const proposal of discovery.proposals) {
          const callers = new Set(proposal.callers.map((caller) => canonicalId(caller.id)));
          for (const callee of proposal.callees) {
            const config = estate.siteConfigs.get(canonicalId(callee.id))!;
            if (config.status !== 'found') throw new Error('unreachable');
            const policies = discovery.proposals.filter((other) => other.callees.some((c) => canonicalId(c.id) === canonicalId(callee.id)));
            const subnets = new Set(policies.map((other) => canonicalId(other.subnetId)));
            const extras = new Set(policies.flatMap((other) => other.alsoAllow.map((entry) => entry.allow.ipAddress ?? entry.allow.serviceTag)));
            const callersOfCallee = new Set(policies.flatMap((other) => other.callers.map((caller) => canonicalId(caller.id))));
            for (const rule of config.value.accessRules) {
              if (!proposal.exclusive) break; // non-exclusive: enforcing keeps every rule as it is
              if (rule.vnetSubnetResourceId) {
                expect(subnets.has(canonicalId(rule.vnetSubnetResourceId))).toBe(true);
                continue;
              }
              const address = rule.ipAddress!.split('/')[0];
              const owners = [...sites.values()].filter((site) => site.outboundIpAddresses?.includes(address) && canonicalId(site.id) !== canonicalId(callee.id));
              const attributed = owners.length === 1 && callersOfCallee.has(canonicalId(owners[0].id));
              expect({ rule, kept: attributed || extras.has(rule.ipAddress!) || extras.has(`${address}/${address.includes(':') ? 128 : 32}`) }).toMatchObject({ kept: true });
            }
            // Admits no source it did not: every extra was an allow rule of this callee.
            const observed = new Set(config.value.accessRules.map((rule) => rule.ipAddress));
            for (const entry of proposal.alsoAllow) expect(observed.has(entry.allow.ipAddress ?? entry.allow.serviceTag)).toBe(true);
          }
          expect(callers.size).toBeGreaterThan(0);
        }
      }),
      FC,
    );
  });

  it('puts nothing read from Azure into the YAML structure: a rule name with a line break stays inside the comment', () => {
    const estate: Estate = {
      sites: [
        { id: siteId('web', 'orders-web'), location: 'westeurope', serverFarmId: PLANS[0], integrationSubnetId: canonicalId(SUBNETS[0]) },
        { id: siteId('fn', 'payments-func'), location: 'westeurope', serverFarmId: PLANS[1], publicNetworkAccess: 'Enabled' },
      ],
      siteConfigs: new Map([
        [canonicalId(siteId('web', 'orders-web')), { status: 'found', value: { accessRules: [], defaultAction: 'Allow', scmAccessRules: [], scmDefaultAction: 'Allow', scmUseMain: false, vnetRouteAllEnabled: true } }],
        [
          canonicalId(siteId('fn', 'payments-func')),
          {
            status: 'found',
            value: {
              accessRules: [{ name: 'apps\nspec:\n  mode: enforce', action: 'Allow', priority: 100, vnetSubnetResourceId: SUBNETS[0] }],
              defaultAction: 'Deny',
              scmAccessRules: [],
              scmDefaultAction: 'Deny',
              scmUseMain: true,
              vnetRouteAllEnabled: false,
            },
          },
        ],
      ]),
      virtualNetworks: [],
      unreadable: [],
    };
    const [file] = filesOf(propose(estate));
    const header = file.text.split('\napiVersion:')[0].split('\n').filter((line) => line.length > 0);
    expect(header.every((line) => line.startsWith('#'))).toBe(true);
    expect(file.text.match(/^ {2}mode: /gm)).toEqual(['  mode: ']);
    expect(loadPolicyTexts([{ file: file.fileName, text: file.text }]).policies[0].mode).toBe('audit');
  });

  it('leaves an address shared by two apps unattributed, kept in alsoAllow', () => {
    const shared = '20.60.0.1';
    const estate: Estate = {
      sites: [
        { id: siteId('web', 'a'), location: 'westeurope', serverFarmId: PLANS[0], integrationSubnetId: canonicalId(SUBNETS[0]), outboundIpAddresses: [shared] },
        { id: siteId('web', 'b'), location: 'westeurope', serverFarmId: PLANS[0], integrationSubnetId: canonicalId(SUBNETS[0]), outboundIpAddresses: [shared] },
        { id: siteId('fn', 'callee'), location: 'westeurope', serverFarmId: PLANS[1] },
      ],
      siteConfigs: new Map([
        [
          canonicalId(siteId('fn', 'callee')),
          {
            status: 'found',
            value: {
              accessRules: [
                { name: 'apps', action: 'Allow', priority: 100, vnetSubnetResourceId: SUBNETS[0] },
                { name: 'shared', action: 'Allow', priority: 110, ipAddress: `${shared}/32` },
              ],
              defaultAction: 'Deny',
              scmAccessRules: [],
              scmDefaultAction: 'Allow',
              scmUseMain: true,
              vnetRouteAllEnabled: false,
            },
          },
        ],
      ]),
      virtualNetworks: [],
      unreadable: [],
    };
    const discovery = propose(estate);
    expect(discovery.proposals[0].alsoAllow.map((entry) => entry.allow)).toEqual([{ name: 'shared', ipAddress: `${shared}/32` }]);
    expect(discovery.unattributed[0].reason).toMatch(/shared by 2 apps/);
  });
});

describe('deployment slots of a callee', () => {
  const callee = siteId('fn', 'payments-func');
  const caller = siteId('web', 'orders-web');
  const hidden = siteId('fn', 'private-func');
  const slotOf = (app: string, name: string) => `${app}/slots/${name}`;
  const config = (overrides: Partial<ObservedSiteConfig> = {}): ObservedSiteConfig => ({
    accessRules: [{ name: 'from-apps', action: 'Allow', priority: 100, vnetSubnetResourceId: SUBNETS[0] }],
    defaultAction: 'Deny',
    scmAccessRules: [],
    scmDefaultAction: 'Allow',
    scmUseMain: true,
    vnetRouteAllEnabled: false,
    ...overrides,
  });
  const slots: Record<string, ObservedSiteConfig | 'unreadable'> = {
    open: config({ accessRules: [], defaultAction: 'Allow' }),
    anyrule: config({ accessRules: [{ name: 'everyone', action: 'Allow', priority: 100, ipAddress: '0.0.0.0/0' }] }),
    scmopen: config({ scmUseMain: false, scmDefaultAction: 'Allow' }),
    extra: config({ accessRules: [...config().accessRules, { name: 'partner', action: 'Allow', priority: 110, ipAddress: '192.0.2.0/24' }] }),
    scmextra: config({ scmUseMain: false, scmDefaultAction: 'Deny', scmAccessRules: [{ name: 'agents', action: 'Allow', priority: 100, ipAddress: '203.0.113.0/24' }] }),
    // The same source under another name and priority admits no more.
    same: config({ accessRules: [{ name: 'ld-hub-apps', description: 'lockdown:x', action: 'Allow', priority: 300, vnetSubnetResourceId: SUBNETS[0].toLowerCase() }] }),
    // A Deny rule admits nothing.
    denies: config({ accessRules: [...config().accessRules, { name: 'block', action: 'Deny', priority: 50, ipAddress: '198.51.100.0/24' }] }),
    unread: 'unreadable',
  };
  const armError = { name: 'ArmError', message: 'busy', code: 'AnotherOperationInProgress', statusCode: 409 } as never;

  function estate(): Estate {
    const slotIds = Object.keys(slots).map((name) => slotOf(callee, name));
    const siteConfigs = new Map<string, Observation<ObservedSiteConfig>>([
      [canonicalId(callee), { status: 'found', value: config() }],
      [canonicalId(caller), { status: 'found', value: config({ accessRules: [], defaultAction: 'Allow' }) }],
      [canonicalId(hidden), { status: 'found', value: config({ accessRules: [], defaultAction: 'Allow' }) }],
      [canonicalId(slotOf(hidden, 'beta')), { status: 'found', value: config({ accessRules: [{ name: 'office', action: 'Allow', priority: 100, ipAddress: '198.51.100.7' }] }) }],
    ]);
    for (const [name, value] of Object.entries(slots)) siteConfigs.set(canonicalId(slotOf(callee, name)), value === 'unreadable' ? { status: 'unreadable', error: armError } : { status: 'found', value });
    return {
      sites: [
        { id: caller, location: 'westeurope', serverFarmId: PLANS[0], integrationSubnetId: canonicalId(SUBNETS[0]) },
        { id: callee, location: 'westeurope', serverFarmId: PLANS[1] },
        // No public access: its rules admit nothing, so any rule of its slot admits more.
        { id: hidden, location: 'westeurope', serverFarmId: PLANS[1], publicNetworkAccess: 'Disabled' },
        { id: siteId('fn', 'unlisted-func'), location: 'westeurope', serverFarmId: PLANS[1] },
      ],
      siteConfigs: new Map([...siteConfigs, [canonicalId(siteId('fn', 'unlisted-func')), { status: 'found', value: config({ accessRules: [] }) }]]),
      virtualNetworks: [],
      unreadable: [],
      slots: new Map<string, Observation<string[]>>([
        [canonicalId(callee), { status: 'found', value: slotIds.map(canonicalId) }],
        [canonicalId(hidden), { status: 'found', value: [canonicalId(slotOf(hidden, 'beta'))] }],
        [canonicalId(siteId('fn', 'unlisted-func')), { status: 'unreadable', error: armError }],
      ]),
      slotSites: new Map([
        ...slotIds.map((id): [string, ObservedSite] => [canonicalId(id), { id, location: 'westeurope', serverFarmId: PLANS[1] }]),
        [canonicalId(slotOf(hidden, 'beta')), { id: slotOf(hidden, 'beta'), location: 'westeurope', serverFarmId: PLANS[1] }],
      ]),
    };
  }

  it('compares each slot with its app: open, admitting more, locked, or not read; never guessed', () => {
    const discovery = propose(estate());
    const [policy] = discovery.proposals;
    expect(policy.callees.map((entry) => entry.id)).toEqual([callee]);
    const state = (app: string) => Object.fromEntries(discovery.slots.filter((finding) => finding.app === app).map((finding) => [finding.slot?.slice(finding.slot.lastIndexOf('/') + 1) ?? '(list)', [finding.state, finding.reason]]));
    expect(state(callee)).toEqual({
      open: ['open', 'its default action is Allow: it admits the internet'],
      anyrule: ['open', 'rule everyone Allow 0.0.0.0/0 p100 admits the internet'],
      scmopen: ['open', 'its SCM (deployment) site admits the internet'],
      extra: ['wider', 'partner (192.0.2.0/24), which payments-func does not admit'],
      scmextra: ['wider', 'on its SCM site agents (203.0.113.0/24), which payments-func does not admit'],
      same: ['locked', 'it admits no source payments-func does not'],
      denies: ['locked', 'it admits no source payments-func does not'],
      unread: ['unreadable', 'its access rules could not be read (409 AnotherOperationInProgress): whether it is open is not known'],
    });
    expect(state(hidden)).toEqual({ beta: ['wider', 'office (198.51.100.7), which private-func does not admit'] });
    expect(state(siteId('fn', 'unlisted-func'))).toEqual({ '(list)': ['unreadable', 'its deployment slots could not be listed (409 AnotherOperationInProgress): whether one is open is not known'] });
    expect(discovery.slots.filter((finding) => finding.app === callee).every((finding) => finding.lockedBy.join() === policy.name)).toBe(true);
    expect(discovery.slots.filter((finding) => finding.app !== callee).every((finding) => finding.lockedBy.length === 0)).toBe(true);

    // Only the open slots are unprotected; the proposal's evidence names every slot of its callee.
    expect(discovery.unprotected.filter((finding) => finding.id.includes('/slots/')).map((finding) => shortSlot(finding.id))).toEqual(['open', 'anyrule', 'scmopen']);
    expect(policy.callees[0].evidence).toEqual(
      expect.arrayContaining([
        'deployment slot open: open to the internet (its default action is Allow: it admits the internet); enforcing locks it like the callee',
        'deployment slot extra: admits more than its app (partner (192.0.2.0/24), which payments-func does not admit); enforcing locks it like the callee',
        'deployment slot same: locked (it admits no source payments-func does not); enforcing keeps it locked like the callee',
        'deployment slot unread: its access rules could not be read (409 AnotherOperationInProgress): whether it is open is not known',
      ]),
    );
    const [file] = filesOf(discovery);
    expect(file.text).toContain('#     deployment slot scmextra: admits more than its app');
  });

  it('reports nothing about slots the estate did not read', () => {
    const { slots: _slots, slotSites: _sites, ...withoutSlots } = estate();
    const discovery = propose(withoutSlots);
    expect(discovery.slots).toEqual([]);
    expect(discovery.proposals[0].callees[0].evidence.join('\n')).not.toMatch(/slot/);
  });
});

const shortSlot = (id: string) => id.slice(id.lastIndexOf('/') + 1);
