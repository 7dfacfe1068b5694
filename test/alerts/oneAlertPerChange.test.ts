/** One alert per change, not per field: the differences one actor made to one resource, found in one pass. */
import { runAlerting } from '../../src/reconciler/alerts/alerting';
import { driftEvents } from '../../src/reconciler/alerts/driftEvents';
import { SinkError, type AlertSink } from '../../src/reconciler/alerts/sinks/sink';
import type { AlertMessage } from '../../src/reconciler/alerts/types';
import type { AlertStore, DriftRecord } from '../../src/reconciler/state/store';
import type { TickReport } from '../../src/reconciler/tick';
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

/**
 * Overlapping passes and one change: each pass's store lets the writes of the two differences
 * through in an order chosen here (each holds its write of one difference until the other pass
 * wrote it), the interleaving that made two runs each open, or each claim, one half of erin's
 * change and send it as an alert of its own. A pass that writes a change whole holds both
 * differences at once: both passes then wait for each other until `HOLD_AT_MOST_MS`, and race.
 */
describe('overlapping passes: one change is still one alert', () => {
  const HOLD_AT_MOST_MS = 1500;
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  /** One flag per (run, aspect): set once a write of that run touching that aspect settled. */
  const settledWrites = () => {
    const flags = new Map<string, { promise: Promise<void>; resolve: () => void }>();
    return (run: string, aspect: string) => {
      const id = `${run}|${aspect}`;
      if (!flags.has(id)) {
        let resolve!: () => void;
        const promise = new Promise<void>((done) => (resolve = done));
        flags.set(id, { promise, resolve });
      }
      return flags.get(id)!;
    };
  };

  /** The store of run `run`: a write touching `hold.aspect` first waits for a write of run `hold.until` touching it. */
  function interleaved(store: AlertStore, settled: ReturnType<typeof settledWrites>, run: string, hold: { aspect: string; until: string }): AlertStore {
    const gate = async <T>(records: DriftRecord[], write: () => Promise<T>): Promise<T> => {
      if (records.some((record) => record.aspect === hold.aspect)) await Promise.race([settled(hold.until, hold.aspect).promise, sleep(HOLD_AT_MOST_MS)]);
      try {
        return await write();
      } finally {
        for (const record of records) settled(run, record.aspect).resolve();
      }
    };
    const writes: Partial<AlertStore> = {
      createDrift: (record) => gate([record], () => store.createDrift(record)),
      replaceDrift: (record, etag) => gate([record], () => store.replaceDrift(record, etag)),
      writeDrifts: (all) => gate(all.map((write) => write.record), () => store.writeDrifts(all)),
    };
    return new Proxy(store, {
      get(target, property) {
        if (property in writes) return writes[property as keyof AlertStore];
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  const recordingSink = (sent: AlertMessage[]): AlertSink => ({ name: 'webhook', send: async (message) => void sent.push(message) });
  const failingSink: AlertSink = { name: 'webhook', send: async () => Promise.reject(new SinkError('webhook: HTTP 503', false, 503)) };

  async function erinsChange(): Promise<TickReport> {
    await portal('erin@example.test', { properties: { ipSecurityRestrictionsDefaultAction: 'Allow', scmIpSecurityRestrictionsUseMain: false } });
    const report = await alerts.world.tick();
    alerts.ingest();
    expect(driftEvents(report).map((event) => event.aspect).sort()).toEqual(['defaultAction', 'scm']);
    return report;
  }

  const pass = (report: TickReport, store: AlertStore, sinks: AlertSink[], runId: string) =>
    runAlerting(report, { store, port: alerts.world.port, sinks, logger: alerts.logger, renotifyAfterInMs: 0, actorWaitInMs: 0, runId, delivery: { backoffInMs: 1, maxAttempts: 1 }, now: () => new Date(alerts.clock.now()) });

  it('two passes that each open one of its differences first', async () => {
    const report = await erinsChange();
    const settled = settledWrites();
    const sent: AlertMessage[] = [];
    const results = await Promise.all([
      pass(report, interleaved(alerts.store, settled, 'run-a', { aspect: 'scm', until: 'run-b' }), [recordingSink(sent)], 'run-a'),
      pass(report, interleaved(alerts.store, settled, 'run-b', { aspect: 'defaultAction', until: 'run-a' }), [recordingSink(sent)], 'run-b'),
    ]);
    expect(sent.map((message) => message.changes.map((change) => change.aspect).sort())).toEqual([['defaultAction', 'scm']]);
    expect(sent[0].actor).toMatchObject({ caller: 'erin@example.test' });
    expect(results.reduce((sum, result) => sum + result.delivered.length, 0)).toBe(2);
  });

  it('two passes that each claim one of its differences first', async () => {
    const report = await erinsChange();
    // A first pass opens the change; its sink is down, so the alert stays open for the next passes.
    const down = await pass(report, alerts.store, [failingSink], 'run-first');
    expect(down.pending).toBe(2);
    const settled = settledWrites();
    const sent: AlertMessage[] = [];
    const results = await Promise.all([
      pass(report, interleaved(alerts.store, settled, 'run-c', { aspect: 'scm', until: 'run-d' }), [recordingSink(sent)], 'run-c'),
      pass(report, interleaved(alerts.store, settled, 'run-d', { aspect: 'defaultAction', until: 'run-c' }), [recordingSink(sent)], 'run-d'),
    ]);
    expect(sent.map((message) => message.changes.map((change) => change.aspect).sort())).toEqual([['defaultAction', 'scm']]);
    expect(results.reduce((sum, result) => sum + result.delivered.length, 0)).toBe(2);
    // Recorded once, for both differences: a later pass sends nothing.
    const later: AlertMessage[] = [];
    await pass(report, alerts.store, [recordingSink(later)], 'run-later');
    expect(later).toEqual([]);
  });
});
