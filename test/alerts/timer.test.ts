/** The timer Function runs alerting and status after the tick; their failures never fail it. */
import { InvocationContext } from '@azure/functions';
import { reconcileTimer } from '../../src/functions/reconcileTimer';
import { HOOK_PATHS, listedChanges, startAlertWorld, type AlertWorld } from '../support/alertHarness';
import { OPERATOR_TOKEN, pairPolicy } from '../support/emulatorWorld';

const timer = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } };
const saved = { ...process.env };
let alerts: AlertWorld;
beforeEach(async () => {
  alerts = await startAlertWorld();
  alerts.world.writePolicies({ 'orders.yaml': pairPolicy() });
  Object.assign(process.env, alerts.env, { LOCKDOWN_ARM_ENDPOINT: alerts.world.emulator.url, LOCKDOWN_ARM_TOKEN: OPERATOR_TOKEN, LOCKDOWN_POLICY_PATHS: alerts.world.policyDir, LOCKDOWN_LOG_LEVEL: 'info' });
});
afterEach(async () => {
  process.env = { ...saved };
  await alerts.stop();
});

function context(lines: string[]) {
  return new InvocationContext({ functionName: 'lockdownReconcile', invocationId: 'alerts', logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')) });
}

it('alerts and records status after the tick', async () => {
  const lines: string[] = [];
  const summary = await reconcileTimer(timer, context(lines));
  expect(summary.outcomes).toMatchObject({ updated: 2, created: 1 });
  expect(summary.alerts).toMatchObject({ failed: [], statusesWritten: 1 });
  expect(summary.alerts!.alerting!.delivered.length).toBe(summary.alerts!.alerting!.events);
  // One alert per changed resource (subnet, caller, callee), listing each of its differences once.
  expect(alerts.receiver.accepted(HOOK_PATHS.webhook)).toHaveLength(3);
  const listed = listedChanges(alerts.webhookAlerts()).map((change) => change.key);
  expect(new Set(listed).size).toBe(summary.alerts!.alerting!.events);
  expect(listed).toHaveLength(summary.alerts!.alerting!.events);
  expect(lines.some((line) => line.includes('"event":"lockdown.alert"'))).toBe(true);
  expect(lines.join('\n')).not.toContain(HOOK_PATHS.webhook);
  expect((await alerts.store.listStatus()).length).toBe(1);
});

it('carries the enforced policy revision into status, history, alerts and lockdown.tickDone', async () => {
  process.env.LOCKDOWN_POLICY_REVISION = '0123456789abcdef0123456789abcdef01234567';
  const lines: string[] = [];
  await reconcileTimer(timer, context(lines));
  const revision = process.env.LOCKDOWN_POLICY_REVISION;
  const tickDone = lines.map((line) => JSON.parse(line)).find((line) => line.event === 'lockdown.tickDone');
  expect(tickDone.policyRevision).toBe(revision);
  const logged = lines.map((line) => JSON.parse(line)).filter((line) => line.event === 'lockdown.alert');
  expect(logged.length).toBeGreaterThan(0);
  for (const line of logged) expect(line.policyRevision).toBe(revision);
  for (const alert of alerts.webhookAlerts()) expect(alert.policyRevision).toBe(revision);
  for (const card of alerts.receiver.accepted(HOOK_PATHS.teams)) expect(JSON.stringify(card.json)).toContain(`"value":"${revision}"`);
  for (const message of alerts.receiver.accepted(HOOK_PATHS.slack)) expect(JSON.stringify(message.json.blocks)).toContain(`policies at ${revision}`);
  expect(alerts.receiver.accepted(HOOK_PATHS.slack).length).toBeGreaterThan(0);
  expect(alerts.receiver.accepted(HOOK_PATHS.teams).length).toBeGreaterThan(0);
  expect((await alerts.store.listStatus()).map((status) => status.value.policyRevision)).toEqual([revision]);
  const history = await alerts.store.listHistory();
  expect(history.length).toBeGreaterThan(0);
  for (const entry of history) expect(entry.policyRevision).toBe(revision);
});

it('still succeeds when the state storage is unreachable', async () => {
  process.env.LOCKDOWN_STATE_CONNECTION = 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=ZGV2;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;';
  const lines: string[] = [];
  const summary = await reconcileTimer(timer, context(lines));
  expect(summary.outcomes).toMatchObject({ updated: 2, created: 1 });
  expect(summary.alerts!.failed).toEqual(['alerting', 'status']);
  expect(lines.some((line) => line.includes('"event":"lockdown.alertingFailed"'))).toBe(true);
  expect(lines.join('\n')).not.toContain('AccountKey=ZGV2');
}, 60_000);

it('past the deadline leaves every alert pending, and the next tick delivers them', async () => {
  process.env.LOCKDOWN_TIME_BUDGET_SECONDS = '0.001';
  const first: string[] = [];
  const late = await reconcileTimer(timer, context(first));
  expect(late.pending).toBe(3);
  const events = late.alerts!.alerting!.events;
  expect(events).toBeGreaterThan(0);
  expect(late.alerts).toMatchObject({ failed: [], alerting: { delivered: [], pending: events, leftForNextTick: { deliveries: events, actorLookups: events } } });
  expect(alerts.receiver.requests).toEqual([]);
  expect(first.some((line) => line.includes('"event":"lockdown.alert"'))).toBe(false);
  expect(first.some((line) => line.includes('"event":"lockdown.alertingDeferred"'))).toBe(true);
  // Persisted as pending: open, every sink pending with no attempt spent.
  const stored = await alerts.store.listDrift();
  expect(stored).toHaveLength(events);
  for (const { value } of stored) {
    expect(value.alert).toMatchObject({ kind: 'opened', status: 'open' });
    expect(Object.values(value.alert!.sinks)).toEqual(Object.keys(value.alert!.sinks).map(() => ({ state: 'pending', attempts: 0 })));
    expect(value.actor).toMatchObject({ unknown: true, why: 'notYetIngested' });
  }

  delete process.env.LOCKDOWN_TIME_BUDGET_SECONDS;
  process.env.LOCKDOWN_DRY_RUN = 'on'; // the drift persists: the pending "opened" alerts are what gets sent
  const next = await reconcileTimer(timer, context([]));
  expect(next.alerts!.alerting).toMatchObject({ events, pending: 0 });
  expect(next.alerts!.alerting!.leftForNextTick).toBeUndefined();
  expect(next.alerts!.alerting!.delivered).toHaveLength(events);
  const sent = alerts.webhookAlerts();
  expect(sent).toHaveLength(3);
  expect(new Set(listedChanges(sent).map((change) => change.key))).toEqual(new Set(stored.map(({ value }) => value.key)));
  expect(alerts.world.writes()).toEqual([]);
  for (const { value } of await alerts.store.listDrift()) {
    expect(value.alert!.status).toBe('sent');
    expect(value.actor).not.toMatchObject({ detail: expect.stringContaining('ran out of time') });
  }
}, 60_000);

it('refuses to tick on a boolean setting it cannot read', async () => {
  process.env.LOCKDOWN_DRY_RUN = 'enabled';
  const lines: string[] = [];
  await expect(reconcileTimer(timer, context(lines))).rejects.toThrow(/LOCKDOWN_DRY_RUN must be one of/);
  expect(lines.some((line) => line.includes('"event":"lockdown.settingsInvalid"'))).toBe(true);
  expect(alerts.world.writes()).toEqual([]);
  expect(alerts.receiver.requests).toEqual([]);
});
