/**
 * Resource Graph queries (POST /providers/Microsoft.ResourceGraph/resources, 2024-04-01) through
 * the same credential and transport as the ARM port, with no SDK of their own: subscriptions in
 * batches, every page through $skipToken, and no query sent while the caller's quota
 * (x-ms-user-quota-remaining / x-ms-user-quota-resets-after) is used up.
 */
import type { HttpClient, Pipeline, PipelineResponse } from '@azure/core-rest-pipeline';
import { ArmError, classifyRetry } from '../armError';
import type { PortCallOptions } from '../port';
import type { ArmConnection } from './connection';
import { restPipelineSdk } from './sdk';

export const RESOURCE_GRAPH_API_VERSION = '2024-04-01';
/** Rows per page: Resource Graph's maximum. */
export const PAGE_SIZE = 1000;
/** Subscriptions per query: Resource Graph's limit for one request's scope. */
export const SUBSCRIPTIONS_PER_QUERY = 1000;

export type ResourceGraphRow = Record<string, unknown>;

export interface ResourceGraphClientOptions {
  retryOptions?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
  /** Waits (tests pass a fake clock). */
  sleep?: (ms: number, abortSignal?: AbortSignal) => Promise<void>;
}

/** "hh:mm:ss" (Resource Graph's resets-after) in milliseconds; undefined when unreadable. */
export function durationInMs(text: string | undefined): number | undefined {
  const match = /^(\d+):(\d{2}):(\d{2})$/.exec(text ?? '');
  return match ? ((Number(match[1]) * 60 + Number(match[2])) * 60 + Number(match[3])) * 1000 : undefined;
}

function defaultSleep(ms: number, abortSignal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    abortSignal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(abortSignal.reason);
    }, { once: true });
  });
}

function errorOf(response: PipelineResponse): ArmError {
  let body: { error?: { code?: string; message?: string; details?: { code?: string; message?: string }[] } } = {};
  try {
    body = JSON.parse(response.bodyAsText || '{}');
  } catch {
    // not JSON: the status speaks
  }
  const code = body.error?.code ?? `Http${response.status}`;
  const detail = body.error?.details?.map((d) => d.message).filter(Boolean).join('; ');
  const retryAfter = Number(response.headers.get('retry-after'));
  return new ArmError(
    `Resource Graph: ${body.error?.message ?? `HTTP ${response.status}`}${detail ? ` (${detail})` : ''}`,
    code,
    response.status,
    classifyRetry(code, response.status),
    '/providers/Microsoft.ResourceGraph/resources',
    Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : undefined,
  );
}

export class ResourceGraphClient {
  readonly #connection: ArmConnection;
  readonly #options: ResourceGraphClientOptions;
  #pipeline?: Pipeline;
  #httpClient?: HttpClient;
  /** When the caller's quota allows the next query (ms since epoch). */
  #quotaResetsAt = 0;
  /** Queries sent (every page counts). */
  requests = 0;

  constructor(connection: ArmConnection, options: ResourceGraphClientOptions = {}) {
    this.#connection = connection;
    this.#options = options;
  }

  #send(body: unknown, abortSignal?: AbortSignal): Promise<PipelineResponse> {
    const { bearerTokenAuthenticationPolicy, createDefaultHttpClient, createHttpHeaders, createPipelineFromOptions, createPipelineRequest } = restPipelineSdk();
    if (!this.#pipeline) {
      this.#pipeline = createPipelineFromOptions({ retryOptions: this.#options.retryOptions });
      this.#pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: this.#connection.credential, scopes: this.#connection.scopes }));
      this.#httpClient = this.#connection.httpClient ?? createDefaultHttpClient();
    }
    const request = createPipelineRequest({
      url: `${this.#connection.endpoint}/providers/Microsoft.ResourceGraph/resources?api-version=${RESOURCE_GRAPH_API_VERSION}`,
      method: 'POST',
      headers: createHttpHeaders({ 'content-type': 'application/json' }),
      body: JSON.stringify(body),
      abortSignal,
    });
    return this.#pipeline.sendRequest(this.#httpClient!, request);
  }

  /** Every row of `query` over `subscriptions`, all batches and pages. Throws ArmError. */
  async query(query: string, subscriptions: string[], options: PortCallOptions = {}): Promise<ResourceGraphRow[]> {
    const sleep = this.#options.sleep ?? defaultSleep;
    const rows: ResourceGraphRow[] = [];
    for (let start = 0; start < subscriptions.length; start += SUBSCRIPTIONS_PER_QUERY) {
      const batch = subscriptions.slice(start, start + SUBSCRIPTIONS_PER_QUERY);
      let skipToken: string | undefined;
      do {
        const wait = this.#quotaResetsAt - Date.now();
        if (wait > 0) await sleep(wait, options.abortSignal);
        this.requests += 1;
        const response = await this.#send({ subscriptions: batch, query, options: { $top: PAGE_SIZE, resultFormat: 'objectArray', ...(skipToken ? { $skipToken: skipToken } : {}) } }, options.abortSignal);
        if (response.headers.get('x-ms-user-quota-remaining') === '0') this.#quotaResetsAt = Date.now() + (durationInMs(response.headers.get('x-ms-user-quota-resets-after')) ?? 5000);
        if (response.status >= 400) throw errorOf(response);
        const page = JSON.parse(response.bodyAsText || '{}') as { data?: ResourceGraphRow[]; $skipToken?: string };
        rows.push(...(page.data ?? []));
        skipToken = page.$skipToken;
      } while (skipToken);
    }
    return rows;
  }
}
