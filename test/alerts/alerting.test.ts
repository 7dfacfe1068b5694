/**
 * Alerts end to end: the ARM emulator (portal changes by named actors, recorded in its
 * Activity Log), Table Storage on Azurite, and a local webhook receiver.
 */
import { createHmac } from 'node:crypto';
import { runAlerting } from '../../src/reconciler/alerts/alerting';
import { LogSink } from '../../src/reconciler/alerts/sinks/log';
import { SinkError, type AlertSink } from '../../src/reconciler/alerts/sinks/sink';
import { WebhookSink } from '../../src/reconciler/alerts/sinks/webhook';
import { HOOK_PATHS, listedChanges, startAlertWorld, WEBHOOK_SECRET, type AlertWorld } from '../support/alertHarness';
import { ids, OPERATOR, pairPolicy, subnetPutBody } from '../support/emulatorWorld';

const find = (map: Record<string, any>, id: string) => Object.entries(map).find(([key]) => key.toLowerCase() === id.toLowerCase())?.[1];

let alerts: AlertWorld;
const portal = (actor: string, path: string, body: unknown, method = 'PATCH') => alerts.world.emulator.admin.outOfBand(actor, { method, path, body });
const state = () => alerts.world.emulator.admin.state();
const opened = () => alerts.webhookAlerts().filter((alert) => alert.kind === 'opened');

afterEach(() => alerts?.stop());

describe('alerts on unauthorized changes', () => {
  beforeEach(async () => {
    alerts = await startAlertWorld();
    alerts.world.writePolicies({ 'orders.yaml': pairPolicy() });
    // The first lockdown: every difference is new, the resources have never been seen in sync.
    await alerts.tickAndAlert();
    alerts.receiver.requests.length = 0;
  });

  const kinds: [string, string, string, () => Promise<unknown>][] = [
    ['serviceEndpoint', 'bob@example.test', ids.apps, () => portal('bob@example.test', ids.apps, subnetPutBody(find(state().subnets, ids.apps), { serviceEndpoints: [] }), 'PUT')],
    [
      'delegation',
      'dave@example.test',
      ids.apps,
      // ARM refuses to drop the delegation of a subnet in use: the integration goes first (another actor).
      async () => {
        await portal('pipeline@example.test', `${ids.orders}/networkConfig/virtualNetwork`, undefined, 'DELETE');
        return portal('dave@example.test', ids.apps, subnetPutBody(find(state().subnets, ids.apps), { delegations: [] }), 'PUT');
      },
    ],
    ['vnetIntegration', 'pipeline@example.test', ids.orders, () => portal('pipeline@example.test', `${ids.orders}/networkConfig/virtualNetwork`, undefined, 'DELETE')],
    [
      'accessRule',
      'alice@example.test',
      ids.payments,
      () =>
        portal('alice@example.test', `${ids.payments}/config/web`, {
          properties: { ipSecurityRestrictions: [...find(state().siteConfigs, `${ids.payments}/config/web`).properties.ipSecurityRestrictions, { ipAddress: '0.0.0.0/0', action: 'Allow', priority: 50, name: 'just-a-test' }] },
        }),
    ],
    ['defaultAction', 'erin@example.test', ids.payments, () => portal('erin@example.test', `${ids.payments}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } })],
    ['scm', 'frank@example.test', ids.payments, () => portal('frank@example.test', `${ids.payments}/config/web`, { properties: { scmIpSecurityRestrictionsUseMain: false } })],
    ['publicAccess', 'grace@example.test', ids.payments, () => portal('grace@example.test', `${ids.payments}/config/web`, { properties: { publicNetworkAccess: 'Disabled' } })],
  ];

  it.each(kinds)('%s: alerts once, with the actor from the Activity Log', async (aspect, actor, resourceId, change) => {
    const result = await change();
    expect((result as { status: number }).status).toBeLessThan(300);
    const { report, alerts: after } = await alerts.tickAndAlert();
    expect(after.failed).toEqual([]);

    const events = after.alerting!.events;
    const received = opened();
    expect(events).toBeGreaterThan(0);
    expect(received).toHaveLength(events);
    const forAspect = received.filter((alert) => alert.aspect === aspect);
    expect(forAspect.length).toBeGreaterThan(0);
    for (const alert of forAspect) {
      expect(alert).toMatchObject({ policy: 'orders-to-payments', action: 'repaired', actor: { caller: actor } });
      expect(alert.resourceId.toLowerCase()).toBe(resourceId.toLowerCase());
      expect(alert.actor.correlationId).toEqual(expect.any(String));
    }
    expect(report.plan.actions.length).toBeGreaterThan(0);
    // Teams, Slack and the log got the same alerts; each once.
    expect(alerts.receiver.accepted(HOOK_PATHS.teams)).toHaveLength(events);
    expect(alerts.receiver.accepted(HOOK_PATHS.slack)).toHaveLength(events);
    expect(alerts.logAlerts().filter((line) => line.actorCaller === actor)).toHaveLength(forAspect.length + received.filter((a) => a.aspect !== aspect && a.actor?.caller === actor).length);

    // Repaired in the same tick: that one alert said so; the next ticks are quiet.
    alerts.receiver.requests.length = 0;
    await alerts.tickAndAlert();
    await alerts.tickAndAlert();
    expect(alerts.receiver.requests).toEqual([]);
  });

  it('a removed rule alert carries the rule in full and who added it', async () => {
    await kinds.find(([aspect]) => aspect === 'accessRule')![3]();
    await alerts.tickAndAlert();
    const rule = opened().find((alert) => alert.field === 'ipSecurityRestrictions[just-a-test]');
    expect(rule).toMatchObject({ actual: { ipAddress: '0.0.0.0/0', name: 'just-a-test' }, expected: null, actor: { caller: 'alice@example.test', operation: 'Microsoft.Web/sites/config/write' } });
  });

  it("never names Lockdown's own identity as the actor", async () => {
    await portal('erin@example.test', `${ids.payments}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } });
    await alerts.tickAndAlert();
    expect(alerts.webhookAlerts().map((alert) => alert.actor?.caller)).not.toContain(OPERATOR);
  });

  it('signs the generic webhook body with HMAC-SHA256 and sends the Teams card and Slack blocks', async () => {
    await portal('erin@example.test', `${ids.payments}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } });
    await alerts.tickAndAlert();
    const [webhook] = alerts.receiver.accepted(HOOK_PATHS.webhook);
    const expected = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(webhook.body).digest('hex')}`;
    expect(webhook.headers['x-lockdown-signature']).toBe(expected);
    expect(webhook.headers['x-lockdown-delivery']).toBe(webhook.json.alertId);
    const [teams] = alerts.receiver.accepted(HOOK_PATHS.teams);
    expect(teams.json.attachments[0]).toMatchObject({ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard' } });
    expect(JSON.stringify(teams.json)).toContain('erin@example.test');
    const [slack] = alerts.receiver.accepted(HOOK_PATHS.slack);
    expect(slack.json.text).toContain('Drift: orders-to-payments');
    expect(slack.json.blocks.length).toBeGreaterThan(0);
  });
});

describe('alerts on persisting drift (audit mode)', () => {
  beforeEach(async () => {
    alerts = await startAlertWorld();
    alerts.world.writePolicies({ 'orders.yaml': pairPolicy() });
    await alerts.tickAndAlert();
    alerts.world.writePolicies({ 'orders.yaml': pairPolicy({ mode: 'audit' }) });
    await alerts.tickAndAlert(); // the generation changed; nothing drifted yet
    alerts.receiver.requests.length = 0;
    alerts.logLines.length = 0;
  });

  it('alerts once, stays quiet while it persists, re-notifies after the interval, and sends a resolved notice when it is gone', async () => {
    await portal('erin@example.test', `${ids.payments}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } });
    await alerts.tickAndAlert();
    expect(alerts.webhookAlerts()).toEqual([expect.objectContaining({ kind: 'opened', aspect: 'defaultAction', action: 'reportedOnly', actor: expect.objectContaining({ caller: 'erin@example.test' }) })]);
    expect(alerts.webhookAlerts()[0].reason).toMatch(/^audit/);

    for (let tick = 0; tick < 3; tick++) await alerts.tickAndAlert();
    expect(alerts.webhookAlerts()).toHaveLength(1);

    // Re-notification interval elapsed (set very short here).
    const report = await alerts.world.tick();
    await alerts.alert(report, { renotifyAfterInMs: 1 });
    expect(alerts.webhookAlerts().map((alert) => alert.kind)).toEqual(['opened', 'reminder']);

    await portal('erin@example.test', `${ids.payments}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Deny' } });
    await alerts.tickAndAlert();
    expect(alerts.webhookAlerts().map((alert) => alert.kind)).toEqual(['opened', 'reminder', 'resolved']);
    expect(alerts.webhookAlerts()[2]).toMatchObject({ aspect: 'defaultAction', resolvedAt: expect.any(String) });

    await alerts.tickAndAlert();
    expect(alerts.webhookAlerts()).toHaveLength(3);
  });

  it('status and history show what happened', async () => {
    await portal('erin@example.test', `${ids.payments}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } });
    const { report } = await alerts.tickAndAlert();
    const [status] = (await alerts.store.listStatus()).map((row) => row.value);
    const condition = (type: string) => status.conditions.find((candidate) => candidate.type === type)!;
    expect(status).toMatchObject({ policy: 'orders-to-payments', lastReconcileTime: report.finishedAt, observedGeneration: report.policies.policies[0].generation });
    expect(condition('Ready')).toMatchObject({ status: 'False', reason: 'AuditMode' });
    expect(condition('Drifted')).toMatchObject({ status: 'True', reason: 'AuditMode', lastTransitionTime: report.finishedAt });
    expect(condition('Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });

    // lastTransitionTime changes only when the status flips.
    const { report: second } = await alerts.tickAndAlert();
    const [again] = (await alerts.store.listStatus()).map((row) => row.value);
    expect(again.lastReconcileTime).toBe(second.finishedAt);
    expect(again.conditions.find((c) => c.type === 'Drifted')!.lastTransitionTime).toBe(report.finishedAt);

    await portal('erin@example.test', `${ids.payments}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Deny' } });
    const { report: fixed } = await alerts.tickAndAlert();
    const [ready] = (await alerts.store.listStatus()).map((row) => row.value);
    expect(ready.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'LockedDown', lastTransitionTime: fixed.finishedAt });

    const history = await alerts.store.listHistory({ policy: 'orders-to-payments' });
    const defaultAction = history.filter((entry) => entry.aspect === 'defaultAction');
    // Newest first: erin's change and its resolution, then the first lockdown's (repaired at once).
    expect(defaultAction.map((entry) => entry.kind)).toEqual(['resolved', 'detected', 'resolved', 'detected']);
    expect(defaultAction[1]).toMatchObject({ action: 'reportedOnly', actual: 'Allow', expected: 'Deny', actor: { caller: 'erin@example.test' } });
    expect(defaultAction[3]).toMatchObject({ action: 'repaired', actor: { unknown: true } });
  });

  it('two overlapping runs do not double-alert', async () => {
    await portal('erin@example.test', `${ids.payments}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } });
    await portal('alice@example.test', `${ids.orders}/networkConfig/virtualNetwork`, undefined, 'DELETE');
    // Two ticks that overlap, then their alerting passes at the same time on the same store.
    const [first, second] = await Promise.all([alerts.world.tick(), alerts.world.tick()]);
    await Promise.all([alerts.alert(first), alerts.alert(second), alerts.alert(first)]);
    const received = alerts.webhookAlerts();
    expect(received.map((alert) => alert.aspect).sort()).toEqual(['defaultAction', 'vnetIntegration']);
    expect(alerts.receiver.accepted(HOOK_PATHS.teams)).toHaveLength(2);
    expect(alerts.logAlerts()).toHaveLength(2);
    // And a later pass does not send them again.
    await alerts.tickAndAlert();
    expect(alerts.webhookAlerts()).toHaveLength(2);
  });

  it('two concurrent passes with many alerts deliver each exactly once per sink', async () => {
    const store = alerts.store;
    await portal('erin@example.test', `${ids.payments}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Allow', scmIpSecurityRestrictionsUseMain: false } });
    await portal('alice@example.test', `${ids.orders}/networkConfig/virtualNetwork`, undefined, 'DELETE');
    const report = await alerts.world.tick();
    alerts.ingest();
    const sinks = [new LogSink(alerts.logger), new WebhookSink(`${alerts.receiver.url}${HOOK_PATHS.webhook}`, WEBHOOK_SECRET)];
    const now = () => new Date(alerts.clock.now());
    const pass = (runId: string) =>
      runAlerting(report, { store, port: alerts.world.port, sinks, logger: alerts.logger, renotifyAfterInMs: 0, actorWaitInMs: 0, runId, delivery: { backoffInMs: 1 }, now });
    const results = await Promise.all([pass('run-a'), pass('run-b'), pass('run-c'), pass('run-d')]);
    // Two changes (erin's two differences are one alert), three differences, each listed once.
    const alertIds = alerts.webhookAlerts().map((alert) => alert.alertId);
    expect(alertIds).toHaveLength(2);
    expect(new Set(alertIds).size).toBe(2);
    expect(listedChanges(alerts.webhookAlerts()).map((change) => change.aspect).sort()).toEqual(['defaultAction', 'scm', 'vnetIntegration']);
    expect(results.reduce((sum, result) => sum + result.delivered.length, 0)).toBe(3);
  });
});

describe('reliable delivery', () => {
  beforeEach(async () => {
    alerts = await startAlertWorld();
    alerts.world.writePolicies({ 'orders.yaml': pairPolicy({ mode: 'audit' }) });
  });

  it('retries a sink that fails (500 twice) within the tick and delivers exactly once', async () => {
    await alerts.tickAndAlert();
    alerts.world.writePolicies({ 'orders.yaml': pairPolicy() });
    await alerts.tickAndAlert(); // locked down now
    alerts.world.writePolicies({ 'orders.yaml': pairPolicy({ mode: 'audit' }) });
    alerts.receiver.requests.length = 0;
    await portal('erin@example.test', `${ids.payments}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } });
    alerts.receiver.script.set(HOOK_PATHS.webhook, [500, 500]);
    const { alerts: after } = await alerts.tickAndAlert();
    expect(after.alerting!.events).toBe(1);
    const webhookRequests = alerts.receiver.requests.filter((request) => request.path === HOOK_PATHS.webhook);
    expect(webhookRequests.map((request) => request.status)).toEqual([500, 500, 200]);
    expect(new Set(webhookRequests.map((request) => request.json.alertId)).size).toBe(1);
    expect(alerts.webhookAlerts()).toEqual([expect.objectContaining({ kind: 'opened', actor: expect.objectContaining({ caller: 'erin@example.test' }) })]);
    await alerts.tickAndAlert();
    await alerts.tickAndAlert();
    expect(alerts.webhookAlerts()).toHaveLength(1);
  });

  it('once the tick is aborted, cuts the send in flight, starts no other, and the next pass delivers each alert once', async () => {
    await alerts.tickAndAlert();
    alerts.world.writePolicies({ 'orders.yaml': pairPolicy() });
    await alerts.tickAndAlert(); // locked down now
    alerts.world.writePolicies({ 'orders.yaml': pairPolicy({ mode: 'audit' }) });
    alerts.receiver.requests.length = 0;
    await portal('erin@example.test', `${ids.payments}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Allow', scmIpSecurityRestrictionsUseMain: false } });
    const report = await alerts.world.tick();
    alerts.ingest();
    const controller = new AbortController();
    let sends = 0;
    const cutOff: AlertSink = {
      name: 'webhook',
      send: async () => {
        sends++;
        controller.abort(); // the tick's grace ran out while this send was in flight
        throw new SinkError('webhook: request failed (AbortError)', false);
      },
    };
    const options = { store: alerts.store, port: alerts.world.port, logger: alerts.logger, renotifyAfterInMs: 0, actorWaitInMs: 0, delivery: { backoffInMs: 1 }, now: () => new Date(alerts.clock.now()) };
    const cut = await runAlerting(report, { ...options, sinks: [new LogSink(alerts.logger), cutOff], abortSignal: controller.signal, deadlineInMs: Date.now() + 60_000 });
    expect(cut.events).toHaveLength(2);
    expect(cut).toMatchObject({ delivered: [], pending: 2, leftForNextTick: { deliveries: 2, actorLookups: 0 } });
    expect(sends).toBe(1);
    expect(alerts.receiver.requests).toEqual([]);
    const stored = (await alerts.store.listDrift()).filter(({ value }) => value.alert?.status === 'open');
    expect(stored).toHaveLength(2);

    const next = await runAlerting(report, { ...options, sinks: [new LogSink(alerts.logger), new WebhookSink(`${alerts.receiver.url}${HOOK_PATHS.webhook}`, WEBHOOK_SECRET)] });
    expect(next).toMatchObject({ pending: 0, delivered: [expect.anything(), expect.anything()] });
    expect(next.leftForNextTick).toBeUndefined();
    const sent = alerts.webhookAlerts();
    expect(sent).toHaveLength(1);
    expect(listedChanges(sent).map((change) => change.aspect).sort()).toEqual(['defaultAction', 'scm']);
    expect(sent.every((alert) => alert.actor.caller === 'erin@example.test')).toBe(true);
    expect(new Set(alerts.logAlerts().filter((line) => line.alertId && stored.some(({ value }) => value.alert!.alertId === line.alertId)).map((line) => line.alertId)).size).toBe(1);
  });

  it('keeps an undelivered alert pending and delivers it on the next tick, once, without failing the reconcile', async () => {
    alerts.receiver.script.set(HOOK_PATHS.webhook, Array(100).fill(503));
    const first = await alerts.tickAndAlert();
    expect(first.alerts.failed).toEqual([]);
    expect(first.report.apply!.outcomes.length).toBeGreaterThan(0);
    expect(first.alerts.alerting!.pending).toBe(first.alerts.alerting!.events);
    expect(alerts.webhookAlerts()).toEqual([]);
    alerts.receiver.script.clear();
    // Other sinks were not held back by the failing one, and not sent twice after.
    const teamsAfterFirst = alerts.receiver.accepted(HOOK_PATHS.teams).length;
    expect(teamsAfterFirst).toBe(3); // one per changed resource

    const second = await alerts.tickAndAlert();
    expect(second.alerts.alerting!.pending).toBe(0);
    expect(alerts.webhookAlerts()).toHaveLength(teamsAfterFirst);
    expect(new Set(alerts.webhookAlerts().map((alert) => alert.alertId)).size).toBe(teamsAfterFirst);
    expect(new Set(listedChanges(alerts.webhookAlerts()).map((change) => change.key)).size).toBe(first.alerts.alerting!.events);
    expect(alerts.receiver.accepted(HOOK_PATHS.teams)).toHaveLength(teamsAfterFirst);
  });

  it('a sink that is down never fails the tick', async () => {
    const { alerts: after } = await alerts.tickAndAlert();
    await alerts.receiver.stop();
    const report = await alerts.world.tick();
    const result = await alerts.alert(report, { renotifyAfterInMs: 1, delivery: { maxAttempts: 2, backoffInMs: 1, timeoutInMs: 500 } });
    expect(result.failed).toEqual([]);
    expect(result.alerting!.pending).toBe(after.alerting!.events);
  });
});

describe('an actor not yet in the Activity Log when Lockdown repaired the change', () => {
  beforeEach(async () => {
    alerts = await startAlertWorld();
    alerts.world.writePolicies({ 'orders.yaml': pairPolicy() });
    await alerts.tickAndAlert(); // locked down: the resources are seen in sync from now on
    alerts.receiver.requests.length = 0;
  });

  it('is still found on the next tick, in the window from the last in-sync observation to the detection', async () => {
    // The emulator's Activity Log shows erin's write only once the ingestion delay has passed.
    const windows: { from: string; to: string }[] = [];
    const port = {
      listActivity: (scope: string, from: string, to: string, options?: { abortSignal?: AbortSignal }) => {
        windows.push({ from, to });
        return alerts.world.port.listActivity(scope, from, to, options);
      },
    };
    const sinks = [new LogSink(alerts.logger), new WebhookSink(`${alerts.receiver.url}${HOOK_PATHS.webhook}`, WEBHOOK_SECRET)];
    const pass = (report: Parameters<typeof runAlerting>[0]) =>
      runAlerting(report, { store: alerts.store, port, sinks, logger: alerts.logger, ownCallers: [OPERATOR], renotifyAfterInMs: 0, actorWaitInMs: 10 * 60_000, delivery: { backoffInMs: 1 }, now: () => new Date(alerts.clock.now()) });

    await portal('erin@example.test', `${ids.payments}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } });
    const repaired = await alerts.world.tick();
    expect(repaired.apply!.outcomes.length).toBeGreaterThan(0);
    const first = await pass(repaired);
    expect(first.pending).toBe(1);
    expect(alerts.receiver.requests).toEqual([]);

    expect(windows.length).toBeGreaterThan(0); // it looked, and the log had nothing yet
    alerts.ingest();
    const next = await pass(await alerts.world.tick()); // in sync now: the repair moved lastInSyncAt past the detection
    expect(next.delivered).toHaveLength(1);
    expect(alerts.webhookAlerts()).toEqual([
      expect.objectContaining({ kind: 'opened', aspect: 'defaultAction', action: 'repaired', firstDetectedAt: repaired.observedAt, resolvedAt: repaired.finishedAt, actor: expect.objectContaining({ caller: 'erin@example.test', correlationId: expect.any(String) }) }),
    ]);
    for (const window of windows) {
      expect(Date.parse(window.from)).toBeLessThanOrEqual(Date.parse(window.to));
      expect(window.to).toBe(repaired.observedAt);
    }
    const history = (await alerts.store.listHistory({ policy: 'orders-to-payments' })).filter((entry) => entry.aspect === 'defaultAction' && entry.at >= repaired.observedAt!);
    expect(history.map((entry) => entry.kind)).toEqual(['resolved', 'detected']);
    for (const entry of history) expect(entry.actor).toMatchObject({ caller: 'erin@example.test' });

    await pass(await alerts.world.tick());
    expect(alerts.webhookAlerts()).toHaveLength(1);
  });
});

describe('the Activity Log keeps 90 days', () => {
  it('names the actor of a change made more than 90 days after the last in-sync observation, searching only inside the 90 days', async () => {
    alerts = await startAlertWorld();
    alerts.world.writePolicies({ 'orders.yaml': pairPolicy() });
    await alerts.tickAndAlert(); // locked down
    alerts.world.writePolicies({ 'orders.yaml': pairPolicy({ mode: 'audit' }) });
    await alerts.tickAndAlert(); // in sync: the last in-sync observation
    alerts.clock.advance(91 * 24 * 60 * 60 * 1000);
    alerts.receiver.requests.length = 0;
    alerts.world.emulator.admin.clearRequests();
    await portal('erin@example.test', `${ids.payments}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } });
    await alerts.tickAndAlert();
    // the emulator refuses a start older than 90 days (400), so a found actor proves the window was cut inside them
    expect(opened()).toEqual([expect.objectContaining({ aspect: 'defaultAction', actor: expect.objectContaining({ caller: 'erin@example.test' }) })]);
    const queries = alerts.world.emulator.admin.requests().filter((exchange) => exchange.operationId === 'ActivityLogs_List');
    expect(queries.filter((exchange) => exchange.status !== 200)).toEqual([]);
  });
});
