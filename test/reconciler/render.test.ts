import { diff } from '../../src/reconciler/diff';
import { applyModes } from '../../src/reconciler/modes';
import { renderPlanJson } from '../../src/reconciler/render/json';
import { renderPlanMarkdown } from '../../src/reconciler/render/markdown';
import { renderApplyText, renderPlanText } from '../../src/reconciler/render/text';
import { foreignRule, NOW, policy, World, PAYMENTS, subnetRule } from '../support/world';

const openPlan = () => diff({ policies: [policy()], observed: World.open().observed(), now: NOW });

describe('plan rendering', () => {
  it('prints + ~ - lines with the fields that change', () => {
    const text = renderPlanText(openPlan());
    expect(text.split('\n')).toEqual([
      '~ subnet hub/apps: add Microsoft.Web, add Microsoft.Web/serverFarms; every other field kept  [orders-to-payments]',
      '    + serviceEndpoints[Microsoft.Web]: Microsoft.Web',
      '    + delegations[Microsoft.Web/serverFarms]: Microsoft.Web/serverFarms',
      '+ caller orders-web: join subnet hub/apps (regional VNet integration)  [orders-to-payments]',
      '    + virtualNetworkSubnetId: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/apps',
      '~ callee payments-func: add 1 rule(s), ipSecurityRestrictionsDefaultAction Allow → Deny, scmIpSecurityRestrictionsUseMain false → true  [orders-to-payments]',
      '    + ipSecurityRestrictions[ld-hub-apps]: ld-hub-apps Allow /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/apps p100',
      '    ~ ipSecurityRestrictionsDefaultAction: Allow → Deny',
      '    ~ scmIpSecurityRestrictionsUseMain: false → true',
      '',
      'Plan: 3 change(s), 3 to apply.',
    ]);
  });

  it('says so when there is nothing to do', () => {
    expect(renderPlanText(diff({ policies: [policy()], observed: World.lockedDown().observed(), now: NOW }))).toBe(
      'No changes. Every declared pair matches its policy.',
    );
  });

  it('never says every pair matches when a condition is an error', () => {
    const plan = diff({ policies: [policy()], observed: World.lockedDown().without('/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/apps').observed(), now: NOW });
    expect(plan.actions.filter((action) => action.enforcement.apply)).toEqual([]);
    expect(renderPlanText({ ...plan, actions: [] })).toContain('No changes planned, but 1 error condition(s)');
  });

  it('marks actions that modes keep from being applied, and lists conditions', () => {
    const policies = [policy({ mode: 'audit' })];
    const world = World.open().withPlan('/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.Web/serverfarms/web-plan', 'Dynamic');
    const plan = applyModes(diff({ policies, observed: world.observed(), now: NOW }), policies, { now: NOW });
    const text = renderPlanText(plan);
    expect(text).toContain('(not applied: audit: audit mode (orders-to-payments): reported, not repaired)');
    expect(text).toContain('(not applied: blocked: caller orders-web cannot reach the subnet yet');
    expect(text).toContain('Conditions:\n  error   PlanCannotIntegrate [orders-to-payments]: caller orders-web runs on plan web-plan (tier Dynamic)');
    expect(text).toContain('Plan: 2 change(s), 0 to apply, not applied: 1 audit, 1 blocked.');
  });

  it('renders Markdown for a pull-request comment', () => {
    const md = renderPlanMarkdown(openPlan());
    expect(md).toContain('### Lockdown plan');
    expect(md).toContain('| `~` | subnet hub/apps: add Microsoft.Web, add Microsoft.Web/serverFarms; every other field kept | orders-to-payments |');
    expect(md).toContain('```diff\n! /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/apps');
  });

  it('escapes table cells in Markdown', () => {
    const plan = openPlan();
    plan.conditions.push({ severity: 'warning', reason: 'X', message: 'a | b', policy: 'p', resourceId: 'r' });
    expect(renderPlanMarkdown(plan)).toContain('| warning | X | p | a \\| b |');
  });

  it('renders JSON with a format version and the removed rules in full', () => {
    const world = World.lockedDown().withSite(PAYMENTS, {}, { accessRules: [subnetRule(), foreignRule()], defaultAction: 'Deny', scmUseMain: true });
    const json = JSON.parse(renderPlanJson(diff({ policies: [policy()], observed: world.observed(), now: NOW })));
    expect(json.formatVersion).toBe(1);
    expect(json.actions[0].removedRules).toEqual([foreignRule()]);
  });

  it('summarizes an apply report', () => {
    const text = renderApplyText({
      outcomes: [
        { actionId: 'a', kind: 'subnet.enableAppServiceAccess', resourceId: 'subnet', policies: ['p'], outcome: 'updated', attempts: 1 },
        { actionId: 'b', kind: 'callee.restrictAccess', resourceId: 'callee', policies: ['p'], outcome: 'skipped', reason: 'time budget exhausted: left for the next tick', attempts: 0 },
      ],
      pending: ['b'],
    });
    expect(text.split('\n')).toEqual([
      'updated   subnet.enableAppServiceAccess subnet',
      'skipped   callee.restrictAccess callee: time budget exhausted: left for the next tick',
      'Apply: 1 updated, 1 skipped; 1 pending for the next run.',
    ]);
  });
});
