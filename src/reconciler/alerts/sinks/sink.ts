/**
 * A sink delivers an alert somewhere. Sinks never log their URL or secret, and their errors
 * never carry them: an error names the sink and what went wrong (HTTP status, timeout).
 */
import { delay } from '../../concurrency';
import type { AlertMessage } from '../types';

export interface SendOptions {
  abortSignal?: AbortSignal;
  timeoutInMs?: number;
}

export interface AlertSink {
  /** Stable name, recorded per alert in the store: "log", "webhook", "teams", "slack". */
  readonly name: string;
  send(message: AlertMessage, options?: SendOptions): Promise<void>;
}

export class SinkError extends Error {
  override readonly name = 'SinkError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly statusCode?: number,
  ) {
    super(message);
  }
}

export const DEFAULT_SINK_TIMEOUT_MS = 10_000;

/** POST a JSON body; 2xx is success. Errors are SinkErrors that never include the URL. */
export async function postJson(sink: string, url: string, body: string, headers: Record<string, string>, options: SendOptions = {}): Promise<void> {
  const timeout = AbortSignal.timeout(options.timeoutInMs ?? DEFAULT_SINK_TIMEOUT_MS);
  const signal = options.abortSignal ? AbortSignal.any([options.abortSignal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const what = timeout.aborted ? `timed out after ${options.timeoutInMs ?? DEFAULT_SINK_TIMEOUT_MS} ms` : `request failed (${cause?.code ?? (error as Error).name})`;
    throw new SinkError(`${sink}: ${what}`, !options.abortSignal?.aborted);
  }
  // Drain the body so the connection can be reused; its content is not needed (and may echo secrets).
  await response.arrayBuffer().catch(() => undefined);
  if (response.ok) return;
  const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
  throw new SinkError(`${sink}: HTTP ${response.status}`, retryable, response.status);
}

export interface DeliverOptions extends SendOptions {
  /** Attempts within this tick, the first included. */
  maxAttempts?: number;
  /** Backoff before the second attempt; doubles each time. */
  backoffInMs?: number;
}

export type DeliveryResult = { ok: true; attempts: number } | { ok: false; attempts: number; error: string; retryable: boolean };

/** Send with timeout and retries (retryable errors only) within the tick. Never throws. */
export async function deliver(sink: AlertSink, message: AlertMessage, options: DeliverOptions = {}): Promise<DeliveryResult> {
  const maxAttempts = options.maxAttempts ?? 3;
  const backoffInMs = options.backoffInMs ?? 1000;
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      await sink.send(message, options);
      return { ok: true, attempts };
    } catch (error) {
      const retryable = error instanceof Error && error.name === 'SinkError' ? (error as SinkError).retryable : true;
      const text = error instanceof Error && error.name === 'SinkError' ? error.message : `${sink.name}: ${(error as Error)?.name ?? 'Error'}`;
      if (!retryable || attempts >= maxAttempts || options.abortSignal?.aborted) return { ok: false, attempts, error: text, retryable };
      await delay(backoffInMs * 2 ** (attempts - 1), options.abortSignal).catch(() => undefined);
    }
  }
}

/**
 * A chat webhook (Teams, Slack): the alert rendered by `render` and posted as JSON. The URL
 * is a secret: it is never part of what the sink shows of itself.
 */
export class PayloadSink implements AlertSink {
  readonly #url: string;
  constructor(
    readonly name: string,
    url: string,
    private readonly render: (message: AlertMessage) => Record<string, unknown>,
  ) {
    this.#url = url;
  }
  send(message: AlertMessage, options?: SendOptions): Promise<void> {
    return postJson(this.name, this.#url, JSON.stringify(this.render(message)), {}, options);
  }
  toJSON(): string {
    return `[${this.name} sink]`;
  }
}
