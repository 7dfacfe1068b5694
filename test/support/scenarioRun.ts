/**
 * Runs one generated scenario against an emulator: seed it, tick under faults (with portal
 * edits between ticks and one racing the writes), stop the faults, tick until converged, and
 * report every property the run broke.
 */
import type { EmulatorAdmin } from '../../emulator/src/types';
import { apply, type ApplyReport } from '../../src/reconciler/apply';
import type { Plan } from '../../src/reconciler/plan';
import type { AzurePort } from '../../src/reconciler/port';
import type { Source } from '../../src/reconciler/reachability';
import { canonicalId } from '../../src/reconciler/resourceId';
import { observeAndPlan } from '../../src/reconciler/tick';
import { OPERATOR, subnetPutBody } from './emulatorWorld';
import { appAddress, appName, policiesOf, STRANGER, subnetName, topologyOf, type PortalEdit, type Scenario } from './randomEstate';
import { safetyViolations } from './safetyProperties';
import { withSlots } from '../../src/reconciler/slots';
import { siteId, subnetId } from './world';

export interface Backend {
  admin: EmulatorAdmin;
  port: AzurePort;
  /** Run `work` before the request `afterRequests` from now; no work: cancel. Absent: no racing edits. */
  beforeNextRequest?(work?: () => Promise<unknown>, afterRequests?: number): void;
  /** A write's outcome is in: the window between its guard's reads and the write is closed. */
  endWindow?(correlationId: string): void;
}

const PORTAL = 'portal@example.test';

async function tick(backend: Backend, policies: ReturnType<typeof policiesOf>, tickStarts: number[]): Promise<{ plan: Plan; report: ApplyReport; enforced: ReturnType<typeof policiesOf> }> {
  tickStarts.push(backend.admin.state().seq);
  const { observed, plan } = await observeAndPlan(backend.port, policies, { concurrency: 4 });
  // the policies as enforced: every slot of a callee is a callee of its own
  const enforced = withSlots(policies, observed);
  const report = await apply(plan, backend.port, {
    retryDelayInMs: 0,
    maxAttempts: 3,
    concurrency: 4,
    onOutcome: (outcome) => outcome.correlationId && backend.endWindow?.(outcome.correlationId),
  });
  return { plan, report, enforced };
}

function editRequest(backend: Backend, edit: PortalEdit): { method: string; path: string; body?: unknown } {
  if (edit.kind === 'wipeEndpoint') {
    const id = subnetId('hub', subnetName(edit.subnet));
    const current = Object.entries(backend.admin.state().subnets).find(([key]) => key.toLowerCase() === id.toLowerCase())?.[1];
    return { method: 'PUT', path: id, body: current ? subnetPutBody(current, { serviceEndpoints: [] }) : { properties: {} } };
  }
  const site = siteId('web', appName(edit.app));
  switch (edit.kind) {
    case 'openCallee':
      return { method: 'PATCH', path: `${site}/config/web`, body: { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } } };
    case 'routeAllOn':
      return { method: 'PATCH', path: `${site}/config/web`, body: { properties: { vnetRouteAllEnabled: true } } };
    case 'dropIntegration':
      return { method: 'DELETE', path: `${site}/networkConfig/virtualNetwork` };
    case 'addForeignRule': {
      const config = Object.entries(backend.admin.state().siteConfigs).find(([key]) => key.toLowerCase() === `${site}/config/web`.toLowerCase())?.[1];
      const rules = (config?.properties?.ipSecurityRestrictions ?? []).filter((rule: { priority?: number }) => rule.priority !== 2147483647);
      return { method: 'PATCH', path: `${site}/config/web`, body: { properties: { ipSecurityRestrictions: [...rules, { name: 'portal-added', ipAddress: '192.0.2.0/24', action: 'Allow', priority: 400 }] } } };
    }
  }
}

/** A portal edit; the states it produced are remembered so the checks can tell them apart. */
async function portalEdit(backend: Backend, edit: PortalEdit, portalStates: Set<number>): Promise<void> {
  const from = backend.admin.state().seq;
  await backend.admin.outOfBand(PORTAL, editRequest(backend, edit));
  const to = backend.admin.state().seq;
  for (let seq = from + 1; seq <= to; seq++) portalStates.add(seq);
}

export async function runScenario(backend: Backend, scenario: Scenario): Promise<string[]> {
  const policies = policiesOf(scenario);
  backend.admin.seed(topologyOf(scenario));
  backend.admin.clearFaults();
  const portalStates = new Set<number>();
  const tickStarts: number[] = [];

  for (const fault of scenario.faults[0]) backend.admin.addFault(fault);
  if (scenario.racingEdit && backend.beforeNextRequest) {
    const { edit, afterRequests } = scenario.racingEdit;
    backend.beforeNextRequest(() => portalEdit(backend, edit, portalStates), afterRequests);
  }
  await tick(backend, policies, tickStarts);
  backend.beforeNextRequest?.();
  backend.admin.clearFaults();
  for (const edit of scenario.edits) await portalEdit(backend, edit, portalStates);
  for (const fault of scenario.faults[1]) backend.admin.addFault(fault);
  await tick(backend, policies, tickStarts);
  backend.admin.clearFaults();

  // Faults stop: converged within two ticks, and the tick after writes nothing.
  await tick(backend, policies, tickStarts);
  await tick(backend, policies, tickStarts);
  backend.admin.clearRequests();
  const last = await tick(backend, policies, tickStarts);
  const violations: string[] = [];
  const writes = backend.admin.requests().filter((exchange) => exchange.caller === OPERATOR && exchange.method !== 'GET' && exchange.operationId !== 'Resources');
  if (writes.length > 0) violations.push(`not converged two ticks after the faults stopped: the next tick wrote ${writes.map((write) => `${write.method} ${write.url.split('?')[0]}`).join(', ')}`);
  const pending = last.plan.actions.filter((action) => action.enforcement.apply);
  if (pending.length > 0) violations.push(`not converged: the next tick still plans ${pending.map((action) => action.id).join(', ')}`);

  const sources: Source[] = [
    ...scenario.subnets.map((_, index): Source => ({ kind: 'subnet', subnetId: canonicalId(subnetId('hub', subnetName(index))) })),
    ...scenario.apps.map((_, index): Source => ({ kind: 'addresses', addresses: [appAddress(index)] })),
    { kind: 'addresses', addresses: [STRANGER] },
  ];
  violations.push(...safetyViolations({ history: backend.admin.history(), policies: last.enforced, portalStates, sources, tickStarts }));
  return violations;
}
