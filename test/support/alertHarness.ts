/**
 * Alerting end to end: the emulator world, a Table Storage store on Azurite, a local
 * webhook receiver (scriptable failures) and every log line captured. As in Azure, a write
 * reaches the Activity Log only some time after it happened (ACTIVITY_LOG_INGESTION_DELAY_MS on
 * the world's clock); `tickAndAlert` lets that time pass between the tick and the alerting pass,
 * `alert` does not.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterTick, type AfterTickReport } from '../../src/reconciler/alerts/afterTick';
import { readAlertSettings, type AlertSettings } from '../../src/reconciler/alerts/settings';
import { TableAlertStore } from '../../src/reconciler/state/store';
import { createLogger, type Logger } from '../../src/reconciler/logger';
import type { TickReport } from '../../src/reconciler/tick';
import { AdvancingClock } from '../../emulator/src/index';
import { testStateConnection, testTables } from './azurite';
import { OPERATOR, startEmulatorWorld, type EmulatorWorld } from './emulatorWorld';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  status: number;
}

/** An HTTP server on 127.0.0.1 standing in for the webhook, Teams and Slack endpoints. */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Statuses to answer next, per path (then 200). */
  readonly script = new Map<string, number[]>();
  #server?: Server;
  url = '';

  async start(): Promise<this> {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '';
        const status = this.script.get(path)?.shift() ?? 200;
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        this.requests.push({ path, headers: request.headers, body, json, status });
        response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** Requests to a path that were answered 2xx: what the receiver actually accepted. */
  accepted(path: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path === path && request.status < 300);
  }

  stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    return closeServer(server);
  }
}

/** Closes a local test server, and its keep-alive sockets from fetch, which would hold the process open. */
export function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Paths that look like real webhook secrets, so a leak would be visible. */
export const HOOK_PATHS = {
  webhook: '/hooks/generic/T0KENinTheURL-7c1d2b',
  teams: '/workflows/3f9a1c/triggers/manual/paths/invoke?sig=SIGNATUREinURL-91aa',
  slack: '/services/T000/B000/SLACKsecretPATH42',
};
export const WEBHOOK_SECRET = 'hmac-secret-do-not-log-5d0e';

/** The differences the given alerts list, flattened: each alert lists every difference of one change. */
export function listedChanges(sent: { changes: { key: string; aspect: string; field: string }[] }[]): { key: string; aspect: string; field: string }[] {
  return sent.flatMap((alert) => alert.changes);
}

/** How long the emulator's Activity Log takes to show a write in these tests (Azure: minutes). */
export const ACTIVITY_LOG_INGESTION_DELAY_MS = 5000;

export interface AlertWorld {
  world: EmulatorWorld;
  /** the emulator's and Lockdown's time: moves with the wall clock, and `ingest()` skips ahead */
  clock: AdvancingClock;
  /** let the Activity Log ingestion delay pass (no sleep) */
  ingest(): void;
  receiver: WebhookReceiver;
  store: TableAlertStore;
  settings: AlertSettings;
  /** Every line any logger wrote. */
  logLines: string[];
  logger: Logger;
  env: Record<string, string>;
  /** A reconcile tick, the Activity Log ingestion delay, then the alerting pass on its report. */
  tickAndAlert(): Promise<{ report: TickReport; alerts: AfterTickReport }>;
  alert(report: TickReport, overrides?: Partial<AlertSettings>): Promise<AfterTickReport>;
  /** Alerts (any sink) accepted by the receiver, parsed from the generic webhook. */
  webhookAlerts(): any[];
  logAlerts(): any[];
  stop(): Promise<void>;
}

export async function startAlertWorld(env: Record<string, string> = {}): Promise<AlertWorld> {
  const clock = new AdvancingClock();
  const world = await startEmulatorWorld({ clock, activityLogIngestionDelayInMs: ACTIVITY_LOG_INGESTION_DELAY_MS });
  const receiver = await new WebhookReceiver().start();
  const tables = testTables('alerts');
  const fullEnv: Record<string, string> = {
    LOCKDOWN_STATE_CONNECTION: testStateConnection(),
    LOCKDOWN_STATE_TABLE_PREFIX: tables.prefix,
    LOCKDOWN_WEBHOOK_URL: `${receiver.url}${HOOK_PATHS.webhook}`,
    LOCKDOWN_WEBHOOK_SECRET: WEBHOOK_SECRET,
    LOCKDOWN_TEAMS_WEBHOOK_URL: `${receiver.url}${HOOK_PATHS.teams}`,
    LOCKDOWN_SLACK_WEBHOOK_URL: `${receiver.url}${HOOK_PATHS.slack}`,
    LOCKDOWN_OWN_CALLERS: OPERATOR,
    LOCKDOWN_ACTOR_WAIT_MINUTES: '0',
    LOCKDOWN_SINK_BACKOFF_MS: '5',
    LOCKDOWN_SINK_TIMEOUT_MS: '2000',
    ...env,
  };
  const settings = readAlertSettings(fullEnv);
  const store = new TableAlertStore(settings.state!, { tables: settings.tables });
  const logLines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });
  const alert = (report: TickReport, overrides: Partial<AlertSettings> = {}) =>
    afterTick(report, { port: world.port, logger, store, settings: { ...settings, ...overrides }, now: () => new Date(clock.now()) });
  const ingest = () => clock.advance(ACTIVITY_LOG_INGESTION_DELAY_MS);
  return {
    world,
    clock,
    ingest,
    receiver,
    store,
    settings,
    logLines,
    logger,
    env: fullEnv,
    alert,
    async tickAndAlert() {
      const report = await world.tick({ logger });
      ingest();
      return { report, alerts: await alert(report) };
    },
    webhookAlerts: () => receiver.accepted(HOOK_PATHS.webhook).map((request) => request.json),
    logAlerts: () => logLines.map((line) => JSON.parse(line)).filter((entry) => entry.event === 'lockdown.alert'),
    async stop() {
      await receiver.stop();
      await world.stop();
    },
  };
}
