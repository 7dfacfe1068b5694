/**
 * The event path end to end: a portal edit on the emulator, the system topic's event
 * delivered (at least once, reordered) to the `lockdownEvents` Function, a targeted
 * reconcile that repairs it and alerts, naming the editor, with no timer tick.
 */
import { InvocationContext } from '@azure/functions';
import { stableGuid } from '../../emulator/src/ids';
import { lockdownEvents } from '../../src/functions/lockdownEvents';
import { TableLeaseStore } from '../../src/reconciler/events/lease';
import { TargetIndex } from '../../src/reconciler/events/targets';
import { loadPolicies } from '../../src/reconciler/policy/load';
import { startAlertWorld, type AlertWorld } from '../support/alertHarness';
import { EventSubscriber } from '../support/eventSubscriber';
import { ids, OPERATOR, OPERATOR_TOKEN, pairPolicy } from '../support/emulatorWorld';

const EDITOR = 'mallory@contoso.example';
const saved = { ...process.env };
let alerts: AlertWorld;
let subscriber: EventSubscriber;

const portal = (actor: string, path: string, body: unknown, method = 'PATCH') => alerts.world.emulator.admin.outOfBand(actor, { method, path, body });
const settled = () => alerts.world.emulator.admin.eventsSettled();
const configWrites = () => alerts.world.writes().filter((write) => write.url.toLowerCase() === `${ids.payments}/config/web`.toLowerCase());

beforeEach(async () => {
  alerts = await startAlertWorld({ LOCKDOWN_PRINCIPAL_ID: stableGuid(`oid:${OPERATOR}`) });
  alerts.world.writePolicies({ 'orders.yaml': pairPolicy() });
  subscriber = await new EventSubscriber().start();
  Object.assign(process.env, alerts.env, {
    LOCKDOWN_ARM_ENDPOINT: alerts.world.emulator.url,
    LOCKDOWN_ARM_TOKEN: OPERATOR_TOKEN,
    LOCKDOWN_POLICY_PATHS: alerts.world.policyDir,
    LOCKDOWN_LOG_LEVEL: 'info',
    LOCKDOWN_EVENT_COALESCE_MS: '300',
  });
});
afterEach(async () => {
  process.env = { ...saved };
  await subscriber.stop();
  await alerts.stop();
});

describe('resource-write events', () => {
  it("Lockdown's own writes trigger no reconcile", async () => {
    alerts.world.emulator.admin.setEventSubscription({ url: subscriber.url, duplicates: 1, reorder: true });
    const { report } = await alerts.tickAndAlert(); // the first lockdown: three writes by Lockdown (route-all is left as it is)
    expect(report.apply!.outcomes.length).toBe(3);
    await settled();
    expect(subscriber.handled.length).toBeGreaterThanOrEqual(6);
    expect(new Set(subscriber.outcomes())).toEqual(new Set(['ownWrite']));
    expect(alerts.world.writes()).toHaveLength(3);
  });

  describe('after the first lockdown', () => {
    beforeEach(async () => {
      await alerts.tickAndAlert();
      alerts.receiver.requests.length = 0;
      alerts.world.emulator.admin.clearRequests();
    });

    it('repairs a portal edit of a callee and alerts naming the editor, before any timer tick', async () => {
      alerts.world.emulator.admin.setEventSubscription({ url: subscriber.url });
      const edit = await portal(EDITOR, `${ids.payments}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } });
      expect(edit.status).toBe(200);
      await settled();

      const config = alerts.world.emulator.admin.state().siteConfigs;
      const web = Object.entries(config).find(([id]) => id.toLowerCase() === `${ids.payments}/config/web`.toLowerCase())![1];
      expect(web.properties.ipSecurityRestrictionsDefaultAction).toBe('Deny');
      expect(configWrites()).toHaveLength(1);
      const sent = alerts.webhookAlerts();
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ kind: 'opened', action: 'repaired', actor: { caller: EDITOR, operation: 'Microsoft.Web/sites/config/write' } });
      expect(subscriber.outcomes().sort()).toEqual(['ownWrite', 'reconciled']);
    });

    it('duplicate and reordered events give one repair and one alert', async () => {
      alerts.world.emulator.admin.setEventSubscription({ url: subscriber.url, duplicates: 2, reorder: true, burstWindowInMs: 200 });
      await portal(EDITOR, `${ids.payments}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } });
      await portal(EDITOR, `${ids.payments}/config/web`, { properties: { scmIpSecurityRestrictionsUseMain: false } });
      await settled();

      expect(configWrites()).toHaveLength(1);
      const sent = alerts.webhookAlerts();
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ kind: 'opened', actor: { caller: EDITOR } });
      const reconciled = subscriber.handled.filter((event) => event.summary?.outcome === 'reconciled');
      expect(reconciled).toHaveLength(6);
      // The six deliveries shared one reconcile: the window coalesced them.
      expect(reconciled.every((event) => event.summary!.coalesced === 6)).toBe(true);
      expect(subscriber.handled.filter((event) => event.summary?.outcome === 'ownWrite').length).toBeGreaterThanOrEqual(3);
    });

    it('while another instance holds the lease the Function fails, and the redelivered event repairs once it is free', async () => {
      process.env.LOCKDOWN_EVENT_LEASE_WAIT_SECONDS = '0.1';
      const { policies } = await loadPolicies([alerts.world.policyDir]);
      const [group] = new TargetIndex(policies).groups;
      const leases = new TableLeaseStore(alerts.settings.state!, alerts.settings.tables.lease);
      const held = await leases.tryAcquire(group.key, 'another-instance', 60_000);
      expect(held).toBeDefined();
      alerts.world.emulator.admin.setEventSubscription({ url: subscriber.url });
      await portal(EDITOR, `${ids.payments}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } });
      while (!subscriber.handled.some((event) => event.error)) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(configWrites()).toEqual([]);
      await leases.release(held!);
      await settled();
      expect(subscriber.outcomes()[0]).toMatch(/^error: another instance is reconciling/);
      expect(subscriber.outcomes()).toContain('reconciled');
      expect(configWrites()).toHaveLength(1);
      expect(alerts.webhookAlerts()).toHaveLength(1);
    });

    it('a repair that fails fails the Function, and the redelivered event repairs', async () => {
      alerts.world.emulator.admin.setRbac(['*/read']); // the write is refused (403, not retried)
      alerts.world.emulator.admin.setEventSubscription({ url: subscriber.url });
      await portal(EDITOR, `${ids.payments}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } });
      while (!subscriber.handled.some((event) => event.error)) await new Promise((resolve) => setTimeout(resolve, 20));
      alerts.world.emulator.admin.setRbac(null);
      await settled();
      expect(subscriber.outcomes()[0]).toMatch(/^error: 1 action\(s\) failed and 0 not started/);
      expect(subscriber.outcomes()).toContain('reconciled');
      expect(configWrites().map((write) => write.status)).toEqual([403, 200]);
      // The first alert said the repair failed; the one after it, that it was repaired.
      expect(alerts.webhookAlerts().map((alert) => [alert.kind, alert.action])).toEqual([
        ['opened', 'failed'],
        ['resolved', 'repaired'],
      ]);
    });

    it('the handler ignores an event that is not a resource write, and fails on settings it cannot read', async () => {
      const context = new InvocationContext({ functionName: 'lockdownEvents', invocationId: 'direct', logHandler: () => undefined });
      const other = { id: 'x', topic: '/subscriptions/s', subject: '/subscriptions/s', eventType: 'Microsoft.Resources.ResourceActionSuccess', eventTime: new Date().toISOString(), data: {}, dataVersion: '2', metadataVersion: '1' };
      await expect(lockdownEvents(other, context)).resolves.toMatchObject({ outcome: 'ignored' });
      process.env.LOCKDOWN_EVENT_COALESCE_MS = 'soon';
      await expect(lockdownEvents(other, context)).rejects.toThrow(/LOCKDOWN_EVENT_COALESCE_MS must be a number/);
      expect(alerts.world.emulator.admin.requests()).toEqual([]);
    });

    it('an edit to a resource no policy names reconciles nothing', async () => {
      alerts.world.emulator.admin.setEventSubscription({ url: subscriber.url });
      await portal(EDITOR, `${ids.legacy}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } });
      await settled();
      expect(subscriber.outcomes()).toEqual(['notNamed']);
      expect(alerts.world.writes()).toEqual([]);
      expect(alerts.receiver.requests).toEqual([]);
    });
  });
});
