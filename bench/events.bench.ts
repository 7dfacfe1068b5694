/**
 * Reaction-time benchmark on the ARM emulator: from a portal edit of a callee to its repair,
 * and to the alert naming the editor, through the event path (the system topic delivers to
 * the `lockdownEvents` Function) and through the timer path (`lockdownReconcile`), in one run.
 *
 * The timer path's tick is started right after the edit, its best case; on a schedule it also
 * waits for the next tick (half the period on average), which is printed with it. In Azure
 * the timer path's alert also waits for the Activity Log to ingest the write (minutes); the
 * emulator's log has no delay, so that wait is not in these figures.
 * Besides the demo pair, BENCH_EXTRA_PAIRS unrelated pairs (default 100) are locked down too:
 * a targeted reconcile reads only its group, a tick reads the whole estate. The emulator's
 * throttling is off, as in `npm run bench`.
 * Run: npm run bench:events  (BENCH_ROUNDS=5, BENCH_EXTRA_PAIRS=100, LOCKDOWN_EVENT_COALESCE_MS to try other windows)
 */
import { InvocationContext } from '@azure/functions';
import { stableGuid } from '../emulator/src/ids';
import { reconcileTimer } from '../src/functions/reconcileTimer';
import { DEFAULT_COALESCE_MS } from '../src/functions/eventSettings';
import { DEFAULT_SCHEDULE } from '../src/functions/settings';
import { startAlertWorld, type AlertWorld } from '../test/support/alertHarness';
import { startAzurite, TEST_STATE_ENV } from '../test/support/azurite';
import type { Topology } from '../emulator/src/types';
import { demoTopology, ids, OPERATOR, OPERATOR_TOKEN, pairPolicy } from '../test/support/emulatorWorld';
import { EventSubscriber } from '../test/support/eventSubscriber';
import { actionSummary } from '../src/reconciler/render/summary';

const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const EXTRA_PAIRS = Number(process.env.BENCH_EXTRA_PAIRS ?? 100);
const EDITOR = 'mallory@contoso.example';
const SCHEDULE_PERIOD_S = 300; // DEFAULT_SCHEDULE: every 5 minutes
const timer = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } };

interface Latency {
  repairInMs: number;
  alertInMs: number;
  /** ARM reads Lockdown made for this edit. */
  reads: number;
}

/** The demo estate plus `extra` unrelated pairs: ten callers per plan and subnet (ARM allows one plan per integration subnet), one subnet per network. */
function estate(extra: number): { topology: Topology; policies: Record<string, string> } {
  const topology = demoTopology();
  const groups = Math.ceil(extra / 10);
  topology.serverFarms.push({ resourceGroup: 'bench', name: 'callees', location: 'westeurope', sku: { name: 'P1v3', tier: 'PremiumV3' } } as Topology['serverFarms'][number]);
  for (let group = 0; group < groups; group++) {
    topology.serverFarms.push({ resourceGroup: 'bench', name: `plan-${group}`, location: 'westeurope', sku: { name: 'P1v3', tier: 'PremiumV3' } } as Topology['serverFarms'][number]);
    // A network per group: the setup's first lockdown then writes its subnets in parallel.
    const prefix = `10.${20 + Math.floor(group / 250)}.${group % 250}`;
    topology.virtualNetworks.push({ resourceGroup: 'net', name: `bench-${group}`, location: 'westeurope', addressPrefixes: [`${prefix}.0/24`], subnets: [{ name: 'apps', addressPrefix: `${prefix}.0/24` }] } as Topology['virtualNetworks'][number]);
  }
  const policies: Record<string, string> = {};
  for (let pair = 0; pair < extra; pair++) {
    const group = Math.floor(pair / 10);
    topology.sites.push(
      { resourceGroup: 'bench', name: `caller-${pair}`, location: 'westeurope', kind: 'app', serverFarm: `plan-${group}` } as Topology['sites'][number],
      { resourceGroup: 'bench', name: `callee-${pair}`, location: 'westeurope', kind: 'app', serverFarm: 'callees' } as Topology['sites'][number],
    );
    const site = (name: string) => `/subscriptions/${topology.subscriptionId}/resourceGroups/bench/providers/Microsoft.Web/sites/${name}`;
    policies[`pair-${pair}.yaml`] = pairPolicy({ name: `pair-${pair}`, callers: [site(`caller-${pair}`)], callees: [site(`callee-${pair}`)], subnet: `/subscriptions/${topology.subscriptionId}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/bench-${group}/subnets/apps` });
  }
  return { topology, policies };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function defaultAction(alerts: AlertWorld): string {
  const [, web] = Object.entries(alerts.world.emulator.admin.state().siteConfigs).find(([id]) => id.toLowerCase() === `${ids.payments}/config/web`.toLowerCase())!;
  return web.properties.ipSecurityRestrictionsDefaultAction;
}

/** Edits the callee as the editor, then waits (polling every 5 ms) for the repair and for the alert naming the editor. */
async function editAndWait(alerts: AlertWorld, trigger: () => Promise<unknown>): Promise<Latency> {
  const alertsBefore = alerts.webhookAlerts().length;
  alerts.world.emulator.admin.clearRequests();
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
  await alerts.world.emulator.admin.eventsSettled();
  if (repairInMs === undefined || alertInMs === undefined) throw new Error(`no ${repairInMs === undefined ? 'repair' : 'alert'} within 120 s`);
  const reads = alerts.world.emulator.admin.requests().filter((exchange) => !exchange.outOfBand && exchange.method === 'GET' && !/\/operations\/|eventtypes/i.test(exchange.url)).length;
  return { repairInMs, alertInMs, reads };
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
    const { topology, policies } = estate(EXTRA_PAIRS);
    alerts.world.emulator.admin.seed(topology);
    // ARM's read budget would spread the ticks of this estate over minutes: measured here is Lockdown, not the budget.
    alerts.world.emulator.admin.setThrottle(false);
    alerts.world.writePolicies({ 'orders.yaml': pairPolicy(), ...policies });
    Object.assign(process.env, alerts.env, {
      LOCKDOWN_ARM_ENDPOINT: alerts.world.emulator.url,
      LOCKDOWN_ARM_TOKEN: OPERATOR_TOKEN,
      LOCKDOWN_POLICY_PATHS: alerts.world.policyDir,
      LOCKDOWN_LOG_LEVEL: 'silent',
    });
    const context = () => new InvocationContext({ functionName: 'lockdownReconcile', invocationId: `bench-${Date.now()}`, logHandler: () => undefined });
    // The first lockdown; a subnet write refused while another on its network runs is done by the next tick.
    for (let tick = 1; (await alerts.world.tick()).plan.actions.length > 0; tick++) {
      if (tick === 3) throw new Error(`the estate is not locked down after 3 ticks: ${(await alerts.world.tick({ apply: false })).plan.actions.slice(0, 3).map(actionSummary).join('; ')}`);
    }

    const eventPath: Latency[] = [];
    const timerPath: Latency[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      alerts.world.emulator.admin.setEventSubscription({ url: subscriber.url });
      eventPath.push(await editAndWait(alerts, () => Promise.resolve()));
      alerts.world.emulator.admin.setEventSubscription(undefined);
      timerPath.push(await editAndWait(alerts, () => reconcileTimer(timer, context())));
    }

    const windowInMs = Number(process.env.LOCKDOWN_EVENT_COALESCE_MS || DEFAULT_COALESCE_MS);
    const wait = (SCHEDULE_PERIOD_S * 1000) / 2;
    const line = (name: string, latencies: Latency[], extraInMs = 0) =>
      `${name.padEnd(12)} edit → repair ${seconds(median(latencies.map((l) => l.repairInMs)) + extraInMs).padStart(9)}   edit → alert ${seconds(median(latencies.map((l) => l.alertInMs)) + extraInMs).padStart(9)}   ARM reads ${String(median(latencies.map((l) => l.reads))).padStart(5)}`;
    console.log(`Reaction time on the emulator, median of ${ROUNDS} portal edits of a callee; ${1 + EXTRA_PAIRS} pairs locked down`);
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
