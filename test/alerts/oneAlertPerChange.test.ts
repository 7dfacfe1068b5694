/** One alert per change, not per field: the differences one actor made to one resource, found in one pass. */
import { HOOK_PATHS, listedChanges, startAlertWorld, type AlertWorld } from '../support/alertHarness';
import { ids, pairPolicy } from '../support/emulatorWorld';

let alerts: AlertWorld;
const portal = (actor: string, body: unknown) => alerts.world.emulator.admin.outOfBand(actor, { method: 'PATCH', path: `${ids.payments}/config/web`, body });
const webConfig = () => Object.entries(alerts.world.emulator.admin.state().siteConfigs).find(([id]) => id.toLowerCase() === `${ids.payments}/config/web`.toLowerCase())![1];

beforeEach(async () => {
  alerts = await startAlertWorld();
  alerts.world.writePolicies({ 'orders.yaml': pairPolicy() });
  await alerts.tickAndAlert(); // locked down
  alerts.world.writePolicies({ 'orders.yaml': pairPolicy({ mode: 'audit' }) }); // so the drift stays until put back by hand
  alerts.receiver.requests.length = 0;
});
afterEach(() => alerts.stop());

it('one portal edit that adds a rule and flips the default action sends one alert listing both, and one resolved notice', async () => {
  const before = webConfig().properties;
  await portal('erin@example.test', {
    properties: { ipSecurityRestrictionsDefaultAction: 'Allow', ipSecurityRestrictions: [...before.ipSecurityRestrictions, { ipAddress: '0.0.0.0/0', action: 'Allow', priority: 50, name: 'open-up' }] },
  });
  const { alerts: opened } = await alerts.tickAndAlert();
  expect(opened.alerting!.events).toBe(2);
  const [alert, ...others] = alerts.webhookAlerts();
  expect(others).toEqual([]);
  expect(alert).toMatchObject({ kind: 'opened', actor: { caller: 'erin@example.test' }, action: 'reportedOnly' });
  expect(listedChanges([alert]).map((change) => change.field).sort()).toEqual(['ipSecurityRestrictionsDefaultAction', 'ipSecurityRestrictions[open-up]']);
  expect(alert.summary).toContain('ipSecurityRestrictions[open-up] is');
  expect(alert.summary).toContain('ipSecurityRestrictionsDefaultAction is Allow, policy wants Deny');
  expect(alerts.receiver.accepted(HOOK_PATHS.teams)).toHaveLength(1);
  expect(alerts.receiver.accepted(HOOK_PATHS.slack)).toHaveLength(1);
  expect(alerts.logAlerts().filter((line) => line.actorCaller === 'erin@example.test')).toHaveLength(1);

  alerts.receiver.requests.length = 0;
  await portal('frank@example.test', { properties: { ipSecurityRestrictionsDefaultAction: 'Deny', ipSecurityRestrictions: before.ipSecurityRestrictions } });
  await alerts.tickAndAlert();
  const resolved = alerts.webhookAlerts();
  expect(resolved).toHaveLength(1);
  expect(resolved[0]).toMatchObject({ kind: 'resolved' });
  expect(listedChanges(resolved).map((change) => change.field).sort()).toEqual(['ipSecurityRestrictionsDefaultAction', 'ipSecurityRestrictions[open-up]']);
});

it('changes by two actors to one resource are two alerts', async () => {
  await portal('erin@example.test', { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } });
  await alerts.tickAndAlert();
  await portal('grace@example.test', { properties: { scmIpSecurityRestrictionsUseMain: false } });
  await alerts.tickAndAlert();
  const sent = alerts.webhookAlerts().filter((alert) => alert.kind === 'opened');
  expect(sent.map((alert) => [alert.actor.caller, listedChanges([alert]).map((change) => change.aspect)])).toEqual([
    ['erin@example.test', ['defaultAction']],
    ['grace@example.test', ['scm']],
  ]);
});
