/**
 * End-to-end fixture: the ARM emulator seeded with the demo topology, the real ARM port
 * (real SDK clients) pointed at it, and policy files in a temporary folder.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulator } from '../../emulator/src/index';
import type { EmulatorOptions, RunningEmulator, Topology } from '../../emulator/src/types';
import { runCli } from '../../src/cli/main';
import { connectionFromSettings } from '../../src/reconciler/azure/connection';
import { portFromSettings } from '../../src/reconciler/azure/observationSource';
import type { AzurePort } from '../../src/reconciler/port';
import { createLogger } from '../../src/reconciler/logger';
import { runTick, type TickOptions, type TickReport } from '../../src/reconciler/tick';
import { recordTraffic } from './trafficRecorder';

export const OPERATOR_TOKEN = 'lockdown-operator-token';
export const OPERATOR = 'lockdown-operator@example.test';
export const ROOT = path.resolve(__dirname, '../..');

export function demoTopology(): Topology {
  return JSON.parse(readFileSync(path.join(ROOT, 'emulator/topologies/demo.json'), 'utf8')) as Topology;
}

export const SUB = '11111111-1111-1111-1111-111111111111';
export const ids = {
  apps: `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/apps`,
  data: `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/data`,
  orders: `/subscriptions/${SUB}/resourceGroups/web/providers/Microsoft.Web/sites/orders-web`,
  payments: `/subscriptions/${SUB}/resourceGroups/fn/providers/Microsoft.Web/sites/payments-func`,
  legacy: `/subscriptions/${SUB}/resourceGroups/fn/providers/Microsoft.Web/sites/legacy-func`,
};

export function pairPolicy(options: { name?: string; mode?: string; exclusive?: boolean; callers?: string[]; callees?: string[]; subnet?: string; extra?: string } = {}): string {
  const callers = options.callers ?? [ids.orders];
  const callees = options.callees ?? [ids.payments];
  return [
    'apiVersion: lockdown/v1',
    'kind: LockdownPolicy',
    'metadata:',
    `  name: ${options.name ?? 'orders-to-payments'}`,
    'spec:',
    `  mode: ${options.mode ?? 'enforce'}`,
    ...(options.exclusive === false ? ['  exclusive: false'] : []),
    `  subnet: ${options.subnet ?? ids.apps}`,
    '  callers:',
    ...callers.map((caller) => `    - ${caller}`),
    '  callees:',
    ...callees.map((callee) => `    - id: ${callee}`),
    ...(options.extra ? [options.extra] : []),
    '',
  ].join('\n');
}

export type ObservationSourceName = 'arm' | 'resourcegraph';
let defaultSource: ObservationSourceName = 'arm';

/**
 * Every world this test file starts observes through `source` (a file that runs another file's
 * end-to-end tests with Resource Graph calls this before it loads them).
 */
export function observeThrough(source: ObservationSourceName): void {
  defaultSource = source;
}

export interface WorldOptions {
  observationSource?: ObservationSourceName;
}

export interface EmulatorWorld {
  emulator: RunningEmulator;
  port: AzurePort;
  observationSource: ObservationSourceName;
  policyDir: string;
  writePolicies(files: Record<string, string>): void;
  tick(options?: Partial<TickOptions>): Promise<TickReport>;
  /** Requests Lockdown sent (not admin/out-of-band ones) that change something (a Resource Graph query is a POST that reads). */
  writes(): { method: string; url: string; status: number }[];
  stop(): Promise<void>;
}

export async function startEmulatorWorld(options: EmulatorOptions = {}, worldOptions: WorldOptions = {}): Promise<EmulatorWorld> {
  const observationSource = worldOptions.observationSource ?? defaultSource;
  const emulator = await startEmulator({
    topology: demoTopology(),
    retryAfterSeconds: 0,
    identities: { [OPERATOR_TOKEN]: { caller: OPERATOR, principalType: 'ServicePrincipal' } },
    ...options,
  });
  recordTraffic(emulator); // with LOCKDOWN_TRAFFIC_DIR set, its traffic is validated against the specs after the run
  const settings = { LOCKDOWN_ARM_ENDPOINT: emulator.url, LOCKDOWN_ARM_TOKEN: OPERATOR_TOKEN, LOCKDOWN_OBSERVATION_SOURCE: observationSource };
  const port = portFromSettings(connectionFromSettings(settings), settings, { pollIntervalInMs: 0, retryOptions: { retryDelayInMs: 5, maxRetryDelayInMs: 20 } });
  const policyDir = mkdtempSync(path.join(tmpdir(), 'lockdown-policies-'));
  const logger = createLogger({ level: 'silent' });
  return {
    emulator,
    port,
    observationSource,
    policyDir,
    writePolicies(files) {
      for (const [name, text] of Object.entries(files)) writeFileSync(path.join(policyDir, name), text);
    },
    tick(tickOptions = {}) {
      // with an injected emulator clock, Lockdown reads the same time (detection times, Activity Log windows)
      const now = options.clock ? { now: () => new Date(options.clock!.now()) } : {};
      return runTick({ policyPaths: [policyDir], port, logger, apply: true, applyOptions: { retryDelayInMs: 1 }, ...now, ...tickOptions });
    },
    writes() {
      return emulator.admin
        .requests()
        .filter((exchange) => !exchange.outOfBand && exchange.method !== 'GET' && exchange.operationId !== 'Resources')
        .map((exchange) => ({ method: exchange.method, url: exchange.url.split('?')[0], status: exchange.status }));
    },
    async stop() {
      await emulator.stop();
      rmSync(policyDir, { recursive: true, force: true });
    },
  };
}

/** Runs the `lockdown` CLI in-process against the world's emulator; its output as text. */
export async function cliOn(world: EmulatorWorld, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const env = { LOCKDOWN_ARM_ENDPOINT: world.emulator.url, LOCKDOWN_ARM_TOKEN: OPERATOR_TOKEN, LOCKDOWN_POLL_INTERVAL_MS: '0' };
  const code = await runCli(args, { stdout: (text) => out.push(text), stderr: (text) => err.push(text), env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/**
 * A subnet PUT body as a person would send it (portal, CLI, template): the writable fields of
 * a subnet the emulator returned, none of its read-only ones, with some fields replaced.
 */
export function subnetPutBody(subnet: { properties: Record<string, any> }, replace: Record<string, unknown> = {}): { properties: Record<string, unknown> } {
  const p = subnet.properties;
  const properties: Record<string, unknown> = {
    addressPrefix: p.addressPrefix,
    ...(p.networkSecurityGroup ? { networkSecurityGroup: { id: p.networkSecurityGroup.id } } : {}),
    ...(p.routeTable ? { routeTable: { id: p.routeTable.id } } : {}),
    ...(p.natGateway ? { natGateway: { id: p.natGateway.id } } : {}),
    serviceEndpoints: (p.serviceEndpoints ?? []).map((endpoint: any) => ({ service: endpoint.service, ...(endpoint.locations ? { locations: endpoint.locations } : {}) })),
    delegations: (p.delegations ?? []).map((delegation: any) => ({ name: delegation.name, properties: { serviceName: delegation.properties.serviceName } })),
    ...replace,
  };
  return { properties };
}
