/**
 * Targeted reconciles keep the safety of a full tick, checked over generated portal edits
 * and deliveries on an estate where two policies share a callee: no write of Lockdown cuts a
 * declared caller off (over every intermediate state the emulator records), and what the
 * event path leaves behind is what a full tick wants (its next plan is empty).
 */
import fc from 'fast-check';
import { stableGuid } from '../../emulator/src/ids';
import type { EmulatorStateSnapshot, Topology } from '../../emulator/src/types';
import { startAlertWorld, type AlertWorld } from '../support/alertHarness';
import { demoTopology, ids, OPERATOR, OPERATOR_TOKEN, pairPolicy, subnetPutBody } from '../support/emulatorWorld';
import { EventSubscriber } from '../support/eventSubscriber';
import { reaches as reachesCallee } from '../support/reachability';

const REPORTS = ids.orders.replace('orders-web', 'reports-web');
const CALLERS = [ids.orders, REPORTS];

/** The demo estate plus reports-web, on its own plan, to be integrated into the data subnet. */
function sharedCalleeTopology(): Topology {
  const topology = demoTopology();
  topology.serverFarms.push({ resourceGroup: 'web', name: 'reports-plan', location: 'westeurope', sku: { name: 'P1v3', tier: 'PremiumV3' } } as Topology['serverFarms'][number]);
  topology.sites.push({ resourceGroup: 'web', name: 'reports-web', location: 'westeurope', kind: 'app', serverFarm: 'reports-plan' } as Topology['sites'][number]);
  return topology;
}

const byId = <T>(map: Record<string, T>, id: string): T | undefined => Object.entries(map).find(([key]) => key.toLowerCase() === id.toLowerCase())?.[1];

/** One shared reachability check of a recorded state (test/support/reachability.ts), towards the callee. */
const reaches = (state: EmulatorStateSnapshot, callerId: string): boolean => reachesCallee(state, callerId, ids.payments);

type Edit = { name: string; run: (alerts: AlertWorld, actor: string) => Promise<unknown> };
const portal = (alerts: AlertWorld, actor: string, path: string, body: unknown, method = 'PATCH') => alerts.world.emulator.admin.outOfBand(actor, { method, path, body });
const paymentsRules = (alerts: AlertWorld) => byId<any>(alerts.world.emulator.admin.state().siteConfigs, `${ids.payments}/config/web`)!.properties.ipSecurityRestrictions;
const withoutWebEndpoint = (alerts: AlertWorld, subnetId: string) => {
  const subnet = byId<any>(alerts.world.emulator.admin.state().subnets, subnetId)!;
  return subnetPutBody(subnet, { serviceEndpoints: (subnet.properties.serviceEndpoints ?? []).filter((endpoint: any) => endpoint.service !== 'Microsoft.Web').map((endpoint: any) => ({ service: endpoint.service })) });
};
const EDITS: Edit[] = [
  { name: 'callee default Allow', run: (alerts, actor) => portal(alerts, actor, `${ids.payments}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } }) },
  { name: 'callee allow-all rule', run: (alerts, actor) => portal(alerts, actor, `${ids.payments}/config/web`, { properties: { ipSecurityRestrictions: [...paymentsRules(alerts), { name: 'open-up', ipAddress: '0.0.0.0/0', action: 'Allow', priority: 50 }] } }) },
  { name: 'callee rules dropped', run: (alerts, actor) => portal(alerts, actor, `${ids.payments}/config/web`, { properties: { ipSecurityRestrictions: [] } }) },
  { name: 'callee SCM own rules', run: (alerts, actor) => portal(alerts, actor, `${ids.payments}/config/web`, { properties: { scmIpSecurityRestrictionsUseMain: false } }) },
  { name: 'orders route-all off', run: (alerts, actor) => portal(alerts, actor, `${ids.orders}/config/web`, { properties: { vnetRouteAllEnabled: false } }) },
  { name: 'reports route-all off', run: (alerts, actor) => portal(alerts, actor, `${REPORTS}/config/web`, { properties: { vnetRouteAllEnabled: false } }) },
  { name: 'data endpoint removed', run: (alerts, actor) => portal(alerts, actor, ids.data, withoutWebEndpoint(alerts, ids.data), 'PUT') },
  { name: 'apps endpoint removed', run: (alerts, actor) => portal(alerts, actor, ids.apps, withoutWebEndpoint(alerts, ids.apps), 'PUT') },
];

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

it('over generated edits and deliveries, no write of Lockdown cuts a caller off and the next full tick has nothing to do', async () => {
  let lockdownTransitions = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ edit: fc.constantFrom(...EDITS), actor: fc.constantFrom('mallory@contoso.example', 'trent@contoso.example') }), { minLength: 1, maxLength: 3 }),
      fc.record({ duplicates: fc.integer({ min: 0, max: 2 }), reorder: fc.boolean() }),
      async (edits, delivery) => {
        const alerts = await startAlertWorld({ LOCKDOWN_PRINCIPAL_ID: stableGuid(`oid:${OPERATOR}`) });
        const subscriber = await new EventSubscriber().start();
        try {
          alerts.world.emulator.admin.seed(sharedCalleeTopology());
          alerts.world.writePolicies({
            'orders.yaml': pairPolicy(),
            'reports.yaml': pairPolicy({ name: 'reports-to-payments', callers: [REPORTS], subnet: ids.data }),
          });
          Object.assign(process.env, alerts.env, {
            LOCKDOWN_ARM_ENDPOINT: alerts.world.emulator.url,
            LOCKDOWN_ARM_TOKEN: OPERATOR_TOKEN,
            LOCKDOWN_POLICY_PATHS: alerts.world.policyDir,
            LOCKDOWN_LOG_LEVEL: 'silent',
            LOCKDOWN_EVENT_COALESCE_MS: '100',
          });
          const first = await alerts.world.tick();
          expect(first.apply!.outcomes.every((outcome) => outcome.outcome !== 'failed')).toBe(true);
          const lockedAt = alerts.world.emulator.admin.history().length;
          expect(CALLERS.map((caller) => reaches(alerts.world.emulator.admin.state(), caller))).toEqual([true, true]);

          alerts.world.emulator.admin.setEventSubscription({ url: subscriber.url, ...delivery, burstWindowInMs: 50 });
          for (const { edit, actor } of edits) expect(((await edit.run(alerts, actor)) as { status: number }).status).toBeLessThan(300);
          await alerts.world.emulator.admin.eventsSettled();
          expect(subscriber.handled.filter((event) => event.error)).toEqual([]);

          const history = alerts.world.emulator.admin.history().slice(lockedAt - 1);
          for (const [index, state] of history.entries()) {
            if (index === 0 || !state.cause.includes(`by ${OPERATOR}`)) continue;
            lockdownTransitions++;
            for (const caller of CALLERS) {
              if (reaches(history[index - 1], caller)) expect({ cause: state.cause, caller, reaches: reaches(state, caller) }).toEqual({ cause: state.cause, caller, reaches: true });
            }
          }
          expect(CALLERS.map((caller) => reaches(alerts.world.emulator.admin.state(), caller))).toEqual([true, true]);
          expect((await alerts.world.tick({ apply: false })).plan.actions).toEqual([]);
        } finally {
          await subscriber.stop();
          await alerts.stop();
        }
      },
    ),
    { seed: 1313, numRuns: 8 },
  );
  expect(lockdownTransitions).toBeGreaterThan(0);
}, 240_000);
