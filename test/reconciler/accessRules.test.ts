import fc from 'fast-check';
import { ruleKey, sameRule, sameRules } from '../../src/reconciler/accessRules';
import type { AccessRule } from '../../src/reconciler/observed';

/** Rules drawn from few values, in both casings, so equal and near-equal pairs are common. */
const cased = (values: string[]) => fc.option(fc.constantFrom(...values.flatMap((value) => [value, value.toUpperCase()])), { nil: undefined });
const ruleArb: fc.Arbitrary<AccessRule> = fc.record(
  {
    name: cased(['ld-hub-apps', 'partner']),
    description: cased(['lockdown:a', 'by hand']),
    action: cased(['Allow', 'Deny']),
    priority: fc.option(fc.constantFrom(0, 100, 300), { nil: undefined }),
    ipAddress: cased(['198.51.100.10/32', 'Any', 'AzureFrontDoor.Backend']),
    vnetSubnetResourceId: cased(['/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/apps', '/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/apps/']),
    tag: cased(['Default', 'ServiceTag']),
    subnetMask: cased(['255.255.255.0']),
    vnetTrafficTag: fc.option(fc.constantFrom(0, 1), { nil: undefined }),
    headers: fc.option(fc.constantFrom<Record<string, string[]>>({ 'x-azure-fdid': ['b', 'a'] }, { 'X-Azure-FDID': ['a', 'b'] }, { 'x-forwarded-host': ['a'] }), { nil: undefined }),
  },
  { requiredKeys: [] },
);

/** A rule and a near copy: each field kept, upper-cased, dropped or drawn anew. */
const nearPairArb: fc.Arbitrary<[AccessRule, AccessRule]> = fc.tuple(ruleArb, ruleArb, fc.array(fc.constantFrom('keep', 'upper', 'drop', 'other'), { minLength: 10, maxLength: 10 })).map(([a, other, moves]) => {
  const b: Record<string, unknown> = {};
  const fields = ['name', 'description', 'action', 'priority', 'ipAddress', 'vnetSubnetResourceId', 'tag', 'subnetMask', 'vnetTrafficTag', 'headers'] as const;
  fields.forEach((field, index) => {
    const value = a[field];
    const move = moves[index];
    if (move === 'other') b[field] = other[field];
    else if (move === 'upper' && typeof value === 'string') b[field] = value.toUpperCase();
    else if (move !== 'drop' && value !== undefined) b[field] = value;
  });
  return [a, b as AccessRule];
});

describe('rule comparison', () => {
  it('sameRule agrees with ruleKey equality on every pair of rules', () => {
    fc.assert(
      fc.property(fc.oneof(fc.tuple(ruleArb, ruleArb), nearPairArb), ([a, b]) => sameRule(a, b) === (ruleKey(a) === ruleKey(b))),
      { seed: 20261201, numRuns: 5000 },
    );
  });

  it('sameRules compares lists as multisets, in order or not', () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { maxLength: 4 }), fc.array(ruleArb, { maxLength: 4 }), (a, b) => {
        const expected = JSON.stringify(a.map(ruleKey).sort()) === JSON.stringify(b.map(ruleKey).sort());
        return sameRules(a, b) === expected && sameRules(a, [...a].reverse());
      }),
      { seed: 20261201, numRuns: 2000 },
    );
  });
});
