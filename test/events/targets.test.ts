/** Which pairs a resource write touches: whole connected groups, so shared resources keep every policy's desired state. */
import fc from 'fast-check';
import { TargetIndex } from '../../src/reconciler/events/targets';
import type { LockdownPolicy } from '../../src/reconciler/policy/types';
import { canonicalId } from '../../src/reconciler/resourceId';
import { APPS, ORDERS, PAYMENTS, policy, siteId, subnetId } from '../support/world';

const DATA = subnetId('hub', 'data');
const OTHER = subnetId('spoke', 'jobs');
const REPORTS = siteId('web', 'reports-web');
const LEGACY = siteId('fn', 'legacy-func');
const BATCH = siteId('jobs', 'batch');
const ARCHIVE = siteId('jobs', 'archive');
const hubId = canonicalId(APPS.split('/subnets/')[0]);

const estate = [
  policy({ name: 'orders-to-payments', subnet: APPS, callers: [ORDERS], callees: [PAYMENTS] }),
  policy({ name: 'reports-to-payments', subnet: DATA, callers: [REPORTS], callees: [PAYMENTS] }),
  policy({ name: 'legacy', subnet: DATA, callers: [siteId('web', 'legacy-web')], callees: [LEGACY] }),
  policy({ name: 'batch-to-archive', subnet: OTHER, callers: [BATCH], callees: [ARCHIVE] }),
];
const names = (policies: LockdownPolicy[]) => policies.map((p) => p.name).sort();

it('an edit to a shared callee selects every policy connected to it through callers, callees and subnets', () => {
  const selection = new TargetIndex(estate).select([{ kind: 'site', id: canonicalId(PAYMENTS) }]);
  expect(names(selection.policies)).toEqual(['legacy', 'orders-to-payments', 'reports-to-payments']);
  expect(selection.groups).toHaveLength(1);
  expect(selection.groups[0].pairs).toBe(3);
});

it('an edit to an unrelated pair selects only its own group', () => {
  expect(names(new TargetIndex(estate).select([{ kind: 'site', id: canonicalId(ARCHIVE) }]).policies)).toEqual(['batch-to-archive']);
});

it('a write to a virtual network selects every group with a subnet in it', () => {
  expect(names(new TargetIndex(estate).select([{ kind: 'virtualNetwork', id: hubId }]).policies)).toEqual(['legacy', 'orders-to-payments', 'reports-to-payments']);
});

it('a resource no policy names selects nothing', () => {
  expect(new TargetIndex(estate).select([{ kind: 'site', id: canonicalId(siteId('web', 'unknown')) }])).toEqual({ groups: [], policies: [] });
});

it('the group key is stable: its smallest resource id', () => {
  const [group] = new TargetIndex([...estate].reverse()).select([{ kind: 'subnet', id: canonicalId(DATA) }]).groups;
  expect(group.key).toBe(new TargetIndex(estate).select([{ kind: 'site', id: canonicalId(ORDERS) }]).groups[0].key);
});

it('over generated estates, a selection is closed: no policy outside it shares a resource with one inside', () => {
  const sites = Array.from({ length: 8 }, (_, index) => siteId('rg', `app-${index}`));
  const subnets = Array.from({ length: 3 }, (_, index) => subnetId(index < 2 ? 'hub' : 'spoke', `s${index}`));
  const generatedPolicy = fc.record({
    subnet: fc.constantFrom(...subnets),
    callers: fc.uniqueArray(fc.constantFrom(...sites), { minLength: 1, maxLength: 2 }),
    callees: fc.uniqueArray(fc.constantFrom(...sites), { minLength: 1, maxLength: 2 }),
  });
  fc.assert(
    fc.property(fc.array(generatedPolicy, { minLength: 1, maxLength: 6 }), fc.constantFrom(...sites, ...subnets), (shapes, touched) => {
      const policies = shapes.map((shape, index) => policy({ name: `p${index}`, ...shape }));
      const resources = (p: LockdownPolicy) => new Set([p.subnetId, ...p.callers.map((c) => c.id), ...p.callees.map((c) => c.id)]);
      const kind = touched.includes('/subnets/') ? 'subnet' : 'site';
      const selected = new TargetIndex(policies).select([{ kind, id: canonicalId(touched) }]).policies;
      const inside = new Set(selected.map((p) => p.name));
      // Every policy naming the resource is in, and nothing outside touches anything inside.
      for (const p of policies) if (resources(p).has(canonicalId(touched))) expect(inside.has(p.name)).toBe(true);
      const insideResources = new Set(selected.flatMap((p) => [...resources(p)]));
      for (const p of policies) if (!inside.has(p.name)) for (const id of resources(p)) expect(insideResources.has(id)).toBe(false);
    }),
    { seed: 1301, numRuns: 300 },
  );
});
