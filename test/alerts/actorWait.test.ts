/**
 * The Activity Log takes minutes to ingest: an alert whose actor is not in the log yet waits
 * (up to LOCKDOWN_ACTOR_WAIT_MINUTES) and goes out with the actor once it appears.
 */
import { runAlerting } from '../../src/reconciler/alerts/alerting';
import type { AlertSink } from '../../src/reconciler/alerts/sinks/sink';
import { TableAlertStore } from '../../src/reconciler/alerts/store';
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
          summary: 'default action',
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
