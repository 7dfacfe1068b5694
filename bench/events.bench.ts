/**
 * Reaction-time benchmark on the ARM emulator: from a portal edit of a callee to its repair,
 * and to the alert naming the editor, through the event path (the system topic delivers to
 * the `lockdownEvents` Function) and through the timer path (`lockdownReconcile`), in one run.
 *
 * The timer path's tick is started right after the edit, its best case; on a schedule it also
 * waits for the next tick (half the period on average), which is printed with it. In Azure
 * the timer path's alert also waits for the Activity Log to ingest the write (minutes); the
 * emulator's log has no delay, so that wait is not in these figures.
 * Run: npm run bench:events  (BENCH_ROUNDS=5, LOCKDOWN_EVENT_COALESCE_MS to try other windows)
 */
import { InvocationContext } from '@azure/functions';
import { stableGuid } from '../emulator/src/ids';
import { reconcileTimer } from '../src/functions/reconcileTimer';
import { DEFAULT_COALESCE_MS } from '../src/functions/eventSettings';
import { DEFAULT_SCHEDULE } from '../src/functions/settings';
import { startAlertWorld, type AlertWorld } from '../test/support/alertHarness';
import { startAzurite, TEST_STATE_ENV } from '../test/support/azurite';
import { ids, OPERATOR, OPERATOR_TOKEN, pairPolicy } from '../test/support/emulatorWorld';
import { EventSubscriber } from '../test/support/eventSubscriber';

const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const EDITOR = 'mallory@contoso.example';
const SCHEDULE_PERIOD_S = 300; // DEFAULT_SCHEDULE: every 5 minutes
const timer = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } };

interface Latency {
  repairInMs: number;
  alertInMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function defaultAction(alerts: AlertWorld): string {
  const [, web] = Object.entries(alerts.world.emulator.admin.state().siteConfigs).find(([id]) => id.toLowerCase() === `${ids.payments}/config/web`.toLowerCase())!;
  return web.properties.ipSecurityRestrictionsDefaultAction;
}

/** Edits the callee as the editor, then waits (polling every 5 ms) for the repair and for the alert naming the editor. */
async function editAndWait(alerts: AlertWorld, trigger: () => Promise<unknown>): Promise<Latency> {
  const alertsBefore = alerts.webhookAlerts().length;
  const started = performance.now();
  await alerts.world.emulator.admin.outOfBand(EDITOR, { method: 'PATCH', path: `${ids.payments}/config/web`, body: { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } } });
  const triggered = trigger();
  let repairInMs: number | undefined;
  let alertInMs: number | undefined;
  for (const deadline = started + 120_000; performance.now() < deadline && alertInMs === undefined; await sleep(5)) {
    if (repairInMs === undefined && defaultAction(alerts) === 'Deny') repairInMs = performance.now() - started;
    if (alerts.webhookAlerts().slice(alertsBefore).some((alert) => alert.actor?.caller === EDITOR)) alertInMs = performance.now() - started;
  }
  await triggered;
  if (repairInMs === undefined || alertInMs === undefined) throw new Error('no repair or no alert within 120 s');
  return { repairInMs, alertInMs };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const azurite = await startAzurite();
  process.env[TEST_STATE_ENV] = azurite.connectionString;
  const alerts = await startAlertWorld({ LOCKDOWN_PRINCIPAL_ID: stableGuid(`oid:${OPERATOR}`) });
  const subscriber = await new EventSubscriber().start();
  const saved = { ...process.env };
  try {
    alerts.world.writePolicies({ 'orders.yaml': pairPolicy() });
    Object.assign(process.env, alerts.env, {
      LOCKDOWN_ARM_ENDPOINT: alerts.world.emulator.url,
      LOCKDOWN_ARM_TOKEN: OPERATOR_TOKEN,
      LOCKDOWN_POLICY_PATHS: alerts.world.policyDir,
      LOCKDOWN_LOG_LEVEL: 'silent',
    });
    const context = () => new InvocationContext({ functionName: 'lockdownReconcile', invocationId: `bench-${Date.now()}`, logHandler: () => undefined });
    await reconcileTimer(timer, context()); // the first lockdown

    const eventPath: Latency[] = [];
    const timerPath: Latency[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      alerts.world.emulator.admin.setEventSubscription({ url: subscriber.url });
      eventPath.push(await editAndWait(alerts, () => Promise.resolve()));
      await alerts.world.emulator.admin.eventsSettled();
      alerts.world.emulator.admin.setEventSubscription(undefined);
      timerPath.push(await editAndWait(alerts, () => reconcileTimer(timer, context())));
    }

    const windowInMs = Number(process.env.LOCKDOWN_EVENT_COALESCE_MS || DEFAULT_COALESCE_MS);
    const wait = (SCHEDULE_PERIOD_S * 1000) / 2;
    const line = (name: string, latencies: Latency[], extraInMs = 0) =>
      `${name.padEnd(12)} edit → repair ${seconds(median(latencies.map((l) => l.repairInMs)) + extraInMs).padStart(9)}   edit → alert ${seconds(median(latencies.map((l) => l.alertInMs)) + extraInMs).padStart(9)}`;
    console.log(`Reaction time on the emulator, median of ${ROUNDS} portal edits of a callee (one pair, demo topology)`);
    console.log(line('event path', eventPath) + `   (coalescing window ${windowInMs} ms included)`);
    console.log(line('timer path', timerPath) + '   (tick started right after the edit: its best case)');
    console.log(line('timer path', timerPath, wait) + `   (+ ${seconds(wait)}: the mean wait for the next tick of "${DEFAULT_SCHEDULE}")`);
    console.log(`event-path reconciles: ${subscriber.outcomes().filter((outcome) => outcome === 'reconciled').length}, own-write events ignored: ${subscriber.outcomes().filter((outcome) => outcome === 'ownWrite').length}`);
  } finally {
    process.env = saved;
    await subscriber.stop();
    await alerts.stop();
    await azurite.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
