/**
 * The Activity Log takes minutes to ingest: an alert whose actor is not in the log yet waits
 * (up to LOCKDOWN_ACTOR_WAIT_MINUTES) and goes out with the actor once it appears.
 */
import { runAlerting } from '../../src/reconciler/alerts/alerting';
import { SinkError, type AlertSink } from '../../src/reconciler/alerts/sinks/sink';
import { TableAlertStore } from '../../src/reconciler/state/store';
import type { AlertMessage } from '../../src/reconciler/alerts/types';
import { createLogger } from '../../src/reconciler/logger';
import type { ActivityRecord } from '../../src/reconciler/port';
import type { TickReport } from '../../src/reconciler/tick';
import { testStateConnection, testTables } from '../support/azurite';
import { policy, PAYMENTS } from '../support/world';

const at = (minute: number) => new Date(Date.UTC(2026, 10, 28, 12, minute)).toISOString();

function auditReport(minute: number): TickReport {
  const audit = policy({ mode: 'audit' });
  return {
    tickId: `tick-${minute}`,
    startedAt: at(minute),
    observedAt: at(minute),
    finishedAt: at(minute),
    policies: { policies: [audit], problems: [], files: [], invalidFiles: [] } as unknown as TickReport['policies'],
    plan: {
      actions: [
        {
          id: `callee.restrictAccess:${PAYMENTS.toLowerCase()}`,
          kind: 'callee.restrictAccess',
          verb: 'update',
          resourceId: PAYMENTS,
          policies: [audit.name],
          changes: [{ aspect: 'defaultAction', field: 'ipSecurityRestrictionsDefaultAction', symbol: '~', before: 'Allow', after: 'Deny' }],
          dependsOn: [],
          write: { operation: 'updateSiteConfig', siteId: PAYMENTS, patch: { defaultAction: 'Deny' } },
          enforcement: { apply: false, reason: 'audit', detail: 'audit mode' },
        },
      ],
      conditions: [],
      policies: [],
      unchanged: [],
    },
    apply: { outcomes: [], pending: [] },
  };
}

class CollectingSink implements AlertSink {
  readonly name = 'collect';
  readonly messages: AlertMessage[] = [];
  async send(message: AlertMessage) {
    this.messages.push(message);
  }
}

it('holds an alert until its actor is ingested, then sends it once with the actor', async () => {
  const activity: ActivityRecord[] = [];
  const sink = new CollectingSink();
  const store = new TableAlertStore({ connectionString: testStateConnection() }, { tables: testTables('wait') });
  const pass = (minute: number) =>
    runAlerting(auditReport(minute), {
      store,
      port: { listActivity: async () => activity },
      sinks: [sink],
      logger: createLogger({ level: 'silent' }),
      renotifyAfterInMs: 0,
      actorWaitInMs: 10 * 60_000,
      now: () => new Date(at(minute)),
    });

  expect((await pass(0)).pending).toBe(1);
  expect(sink.messages).toEqual([]);

  activity.push({ eventTimestamp: at(-2), caller: 'erin@example.test', operationName: 'Microsoft.Web/sites/config/write', resourceId: `${PAYMENTS}/config/web`, correlationId: 'c-1', status: 'Succeeded' });
  await pass(5);
  expect(sink.messages).toEqual([expect.objectContaining({ kind: 'opened', actor: expect.objectContaining({ caller: 'erin@example.test', correlationId: 'c-1' }) })]);
  await pass(6);
  expect(sink.messages).toHaveLength(1);
});

it('sends the alert without an actor once the wait is over, saying why', async () => {
  const sink = new CollectingSink();
  const store = new TableAlertStore({ connectionString: testStateConnection() }, { tables: testTables('nowait') });
  const pass = (minute: number) =>
    runAlerting(auditReport(minute), { store, port: { listActivity: async () => [] }, sinks: [sink], logger: createLogger({ level: 'silent' }), renotifyAfterInMs: 0, actorWaitInMs: 10 * 60_000, now: () => new Date(at(minute)) });
  await pass(0);
  await pass(5);
  expect(sink.messages).toEqual([]);
  await pass(11);
  expect(sink.messages).toEqual([expect.objectContaining({ actor: expect.objectContaining({ unknown: true, why: 'outsideLogWindow' }) })]);
});

/** A tick that found the resource matching the policy: the drift is gone. */
function inSyncReport(minute: number): TickReport {
  const report = auditReport(minute);
  return { ...report, plan: { ...report.plan, actions: [], unchanged: [PAYMENTS] } };
}

/** An Activity Log that answers only for the window asked, and remembers the windows. */
function activityLog() {
  const records: ActivityRecord[] = [];
  const windows: { from: string; to: string }[] = [];
  const port = {
    listActivity: async (_scope: string, from: string, to: string) => {
      windows.push({ from, to });
      return records.filter((record) => record.eventTimestamp >= from && record.eventTimestamp <= to);
    },
  };
  return { records, windows, port };
}

const erinsWrite = (minute: number): ActivityRecord => ({ eventTimestamp: at(minute), caller: 'erin@example.test', operationName: 'Microsoft.Web/sites/config/write', resourceId: `${PAYMENTS}/config/web`, correlationId: 'c-1', status: 'Succeeded' });

it('an opened alert still held for its actor when the drift is gone goes out once, with the actor, saying it is resolved', async () => {
  const log = activityLog();
  const sink = new CollectingSink();
  const store = new TableAlertStore({ connectionString: testStateConnection() }, { tables: testTables('heldgone') });
  const pass = (report: TickReport, minute: number) =>
    runAlerting(report, { store, port: log.port, sinks: [sink], logger: createLogger({ level: 'silent' }), renotifyAfterInMs: 0, actorWaitInMs: 10 * 60_000, now: () => new Date(at(minute)) });

  await pass(auditReport(0), 0); // erin's change found; her write is not in the log yet
  await pass(inSyncReport(5), 5); // put back by hand: resolved, while the alert still waits for its actor
  expect(sink.messages).toEqual([]);

  log.records.push(erinsWrite(-2));
  await pass(inSyncReport(6), 6);
  expect(sink.messages).toEqual([
    expect.objectContaining({
      kind: 'opened',
      firstDetectedAt: at(0),
      resolvedAt: at(5),
      expected: 'Deny',
      actual: 'Allow',
      actor: expect.objectContaining({ caller: 'erin@example.test', correlationId: 'c-1' }),
      summary: expect.stringContaining('since resolved'),
    }),
  ]);
  await pass(inSyncReport(7), 7);
  await pass(inSyncReport(20), 20);
  expect(sink.messages).toHaveLength(1);
  for (const window of log.windows) expect(window.from <= window.to).toBe(true);

  const history = await store.listHistory({ policy: 'orders-to-payments' });
  expect(history.map((entry) => [entry.kind, entry.at])).toEqual([
    ['resolved', at(5)],
    ['detected', at(0)],
  ]);
  for (const entry of history) expect(entry.actor).toMatchObject({ caller: 'erin@example.test' });
});

it('when the drift is gone before a sink got its opened alert, that sink gets it (saying resolved) and the others get "resolved", each once', async () => {
  const good = new CollectingSink();
  let down = true;
  const flaky: AlertSink & { messages: AlertMessage[] } = {
    name: 'flaky',
    messages: [],
    async send(message) {
      if (down) throw new SinkError('flaky: 503', true, 503);
      this.messages.push(message);
    },
  };
  const store = new TableAlertStore({ connectionString: testStateConnection() }, { tables: testTables('partial') });
  const pass = (report: TickReport, minute: number) =>
    runAlerting(report, {
      store,
      port: { listActivity: async () => [erinsWrite(-2)] },
      sinks: [good, flaky],
      logger: createLogger({ level: 'silent' }),
      renotifyAfterInMs: 0,
      actorWaitInMs: 10 * 60_000,
      delivery: { maxAttempts: 1, backoffInMs: 1 },
      now: () => new Date(at(minute)),
    });

  expect((await pass(auditReport(0), 0)).pending).toBe(1);
  expect(good.messages.map((message) => message.kind)).toEqual(['opened']);
  expect(flaky.messages).toEqual([]);

  down = false;
  await pass(inSyncReport(5), 5);
  expect(good.messages.map((message) => message.kind)).toEqual(['opened', 'resolved']);
  expect(flaky.messages).toEqual([expect.objectContaining({ kind: 'opened', resolvedAt: at(5), actor: expect.objectContaining({ caller: 'erin@example.test' }) })]);
  expect(flaky.messages[0].alertId).toBe(good.messages[1].alertId);
  expect(flaky.messages[0].alertId).not.toBe(good.messages[0].alertId);

  await pass(inSyncReport(6), 6);
  expect(good.messages).toHaveLength(2);
  expect(flaky.messages).toHaveLength(1);
});
