/** Shared fixture for the emulator's functional tests: the real SDK clients against a fresh emulator. */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import { WebSiteManagementClient } from '@azure/arm-appservice';
import { MonitorClient } from '@azure/arm-monitor';
import { NetworkManagementClient } from '@azure/arm-network';
import { startEmulator } from '../../emulator/src/index';
import { recordTraffic } from '../support/trafficRecorder';
import type { EmulatorOptions, RunningEmulator, Topology } from '../../emulator/src/index';

export const SUB = '11111111-1111-1111-1111-111111111111';
export const TOKEN = 'test-token';
export const ids = {
  hub: `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub`,
  apps: `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/apps`,
  data: `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/data`,
  nsg: `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/networkSecurityGroups/apps-nsg`,
  rt: `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/routeTables/apps-rt`,
  orders: `/subscriptions/${SUB}/resourceGroups/web/providers/Microsoft.Web/sites/orders-web`,
  payments: `/subscriptions/${SUB}/resourceGroups/fn/providers/Microsoft.Web/sites/payments-func`,
  legacy: `/subscriptions/${SUB}/resourceGroups/fn/providers/Microsoft.Web/sites/legacy-func`,
  webPlan: `/subscriptions/${SUB}/resourceGroups/web/providers/Microsoft.Web/serverfarms/web-plan`,
};

export const WEB_API = 'api-version=2025-05-01';
export const NET_API = 'api-version=2025-05-01';

export function demoTopology(): Topology {
  return JSON.parse(readFileSync(path.resolve(__dirname, '../../emulator/topologies/demo.json'), 'utf8')) as Topology;
}

/** demo topology with subnet `apps` ready for App Service (delegated, Microsoft.Web endpoint) */
export function readyTopology(): Topology {
  const t = demoTopology();
  const apps = t.virtualNetworks[0].subnets.find((s) => s.name === 'apps')!;
  apps.delegations = [{ name: 'webapp', serviceName: 'Microsoft.Web/serverFarms' }];
  apps.serviceEndpoints = [{ service: 'Microsoft.Web' }];
  return t;
}

export const credentialFor = (token: string): TokenCredential => ({
  getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600e3 }),
});

/** the pinned SDK clients; retries off unless asked for, so that errors surface at once */
export function sdk(url: string, opts: { token?: string; maxRetries?: number } = {}) {
  const credential = credentialFor(opts.token ?? TOKEN);
  const retryOptions = { maxRetries: opts.maxRetries ?? 0, retryDelayInMs: 1, maxRetryDelayInMs: 5 };
  return {
    web: new WebSiteManagementClient(credential, SUB, { endpoint: url, retryOptions }),
    network: new NetworkManagementClient(credential, SUB, { endpoint: url, retryOptions }),
    monitor: new MonitorClient(credential, SUB, { endpoint: url, retryOptions }),
  };
}

/** a fresh emulator whose traffic, error paths included, is validated against the specs after the run (trafficRecorder.ts) */
export async function start(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const emulator = await startEmulator({ topology: demoTopology(), retryAfterSeconds: 0, ...options });
  recordTraffic(emulator, { requestsWrittenByTests: true });
  return emulator;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: any;
}

/** a plain HTTPS request (for what the SDKs cannot send: no token, bad api-version, raw bodies) */
export function raw(
  emu: RunningEmulator,
  method: string,
  pathAndQuery: string,
  opts: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const url = new URL(pathAndQuery, emu.url);
  const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token !== null) headers.authorization ??= `Bearer ${opts.token ?? TOKEN}`;
  if (payload !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, ca: readFileSync(emu.caCertPath), agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: any = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          /* keep text */
        }
        const h: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode ?? 0, headers: h, body });
      });
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** the RestError an SDK call rejects with */
export async function sdkError(p: Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { statusCode?: number; code?: string; message: string };
  }
  throw new Error('expected the SDK call to fail');
}

export const find = (map: Record<string, any>, id: string) =>
  Object.entries(map).find(([k]) => k.toLowerCase() === id.toLowerCase())?.[1];
