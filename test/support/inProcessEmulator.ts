/**
 * The ARM emulator's core without HTTPS: the real ARM port and SDK clients, with a transport
 * that hands each request to the emulator's pipeline in process (same state model, faults,
 * long-running operations and history). The property suite runs most of its cases this way.
 */
import { createHttpHeaders, RestError, type HttpClient, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { createAdmin } from '../../emulator/src/admin';
import { EmulatorCore } from '../../emulator/src/core';
import { processArmRequest } from '../../emulator/src/pipeline';
import type { EmulatorAdmin, EmulatorOptions } from '../../emulator/src/types';
import { ArmPort } from '../../src/reconciler/azure/armPort';
import { connectionFromSettings, type ArmConnection } from '../../src/reconciler/azure/connection';
import { OPERATOR, OPERATOR_TOKEN } from './emulatorWorld';

const BASE_URL = 'https://arm.in-process.test';
/**
 * Ticks run back to back here, minutes apart in production: a long-running operation whose
 * polling failed ends by itself after this long, as one would between two real ticks.
 */
export const TICK_INTERVAL_IN_MS = 25;

export interface InProcessEmulator {
  core: EmulatorCore;
  admin: EmulatorAdmin;
  port: ArmPort;
  /** The connection under `port` (endpoint, token, in-process transport), for other clients of the same emulator. */
  connection: ArmConnection;
  /** Runs `work` before the request `afterRequests` from now (a portal edit racing Lockdown's writes); no work: cancel. */
  beforeNextRequest(work?: () => Promise<unknown>, afterRequests?: number): void;
  /** A write's outcome is in: its guard window is closed even if the write was never sent (the guard refused). */
  endWindow(correlationId: string): void;
}

export function startInProcessEmulator(options: EmulatorOptions = {}): InProcessEmulator {
  const core = new EmulatorCore({ retryAfterSeconds: 0, throttle: false, lroMaxDurationMs: TICK_INTERVAL_IN_MS, identities: { [OPERATOR_TOKEN]: { caller: OPERATOR, principalType: 'ServicePrincipal' } }, ...options });
  core.baseUrl = BASE_URL;
  let scheduled: { work: () => Promise<unknown>; countdown: number } | undefined;
  // A write re-reads what it depends on just before it (its guard: the rules it replaces, the
  // paths it could close), with the write's correlation id. A change landing between those reads
  // and the write is not seen, a limit ARM sets (no transaction, no etag on site config; see the
  // README). Racing edits land anywhere else: never while a guard window is open.
  const windows = new Set<string>();
  let editing: Promise<void> | undefined;
  const transport: HttpClient = {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const correlationId = request.headers.get('x-ms-correlation-request-id');
      const write = request.method !== 'GET';
      // The edit lands whole before this request and every request sent while it runs (ARM
      // applies a write atomically: a read sees it all or not at all).
      while (editing) await editing;
      if (scheduled && --scheduled.countdown <= 0 && windows.size === 0) {
        const { work } = scheduled;
        scheduled = undefined;
        editing = work().then(() => undefined);
        await editing;
        editing = undefined;
      }
      if (correlationId && !write) windows.add(correlationId);
      const url = new URL(request.url);
      const headers: Record<string, string> = {};
      for (const [name, value] of request.headers) headers[name.toLowerCase()] = value;
      const out = await processArmRequest(core, {
        method: request.method,
        url: `${url.pathname}${url.search}`,
        headers,
        rawBody: typeof request.body === 'string' ? request.body : '',
        baseUrl: BASE_URL,
      });
      if (correlationId && write) windows.delete(correlationId);
      if (out.reset) throw new RestError('socket hang up', { code: 'ECONNRESET', request });
      const responseHeaders = createHttpHeaders();
      for (const [name, value] of Object.entries(out.headers)) responseHeaders.set(name, value);
      return { request, status: out.status, headers: responseHeaders, bodyAsText: out.body === undefined ? undefined : JSON.stringify(out.body) };
    },
  };
  const connection = { ...connectionFromSettings({ LOCKDOWN_ARM_ENDPOINT: BASE_URL, LOCKDOWN_ARM_TOKEN: OPERATOR_TOKEN }), httpClient: transport };
  const port = new ArmPort(connection, { pollIntervalInMs: 0, retryOptions: { maxRetries: 2, retryDelayInMs: 0, maxRetryDelayInMs: 0 } });
  return {
    core,
    admin: createAdmin(core),
    port,
    connection,
    beforeNextRequest(work, afterRequests = 1) {
      scheduled = work ? { work, countdown: afterRequests } : undefined;
    },
    endWindow(correlationId) {
      windows.delete(correlationId);
    },
  };
}
