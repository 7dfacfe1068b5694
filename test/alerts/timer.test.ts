/** The timer Function runs alerting and status after the tick; their failures never fail it. */
import { InvocationContext } from '@azure/functions';
import { reconcileTimer } from '../../src/functions/reconcileTimer';
import { HOOK_PATHS, startAlertWorld, type AlertWorld } from '../support/alertHarness';
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
  expect(summary.outcomes).toMatchObject({ updated: 3, created: 1 });
  expect(summary.alerts).toMatchObject({ failed: [], statusesWritten: 1 });
  expect(summary.alerts!.alerting!.delivered.length).toBe(summary.alerts!.alerting!.events);
  expect(alerts.receiver.accepted(HOOK_PATHS.webhook)).toHaveLength(summary.alerts!.alerting!.events);
  expect(lines.some((line) => line.includes('"event":"lockdown.alert"'))).toBe(true);
  expect(lines.join('\n')).not.toContain(HOOK_PATHS.webhook);
  expect((await alerts.store.listStatus()).length).toBe(1);
});

it('still succeeds when the state storage is unreachable', async () => {
  process.env.LOCKDOWN_STATE_CONNECTION = 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=ZGV2;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;';
  const lines: string[] = [];
  const summary = await reconcileTimer(timer, context(lines));
  expect(summary.outcomes).toMatchObject({ updated: 3, created: 1 });
  expect(summary.alerts!.failed).toEqual(['alerting', 'status']);
  expect(lines.some((line) => line.includes('"event":"lockdown.alertingFailed"'))).toBe(true);
  expect(lines.join('\n')).not.toContain('AccountKey=ZGV2');
}, 60_000);
