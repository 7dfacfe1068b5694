/**
 * Generic webhook: the alert as a JSON body, signed with HMAC-SHA256 over the exact body
 * bytes (`X-Lockdown-Signature: sha256=<hex>`), with the alert id as an idempotency key.
 */
import { createHmac } from 'node:crypto';
import type { AlertMessage } from '../types';
import { postJson, type AlertSink, type SendOptions } from './sink';

export const SIGNATURE_HEADER = 'X-Lockdown-Signature';
export const DELIVERY_HEADER = 'X-Lockdown-Delivery';

export function sign(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export class WebhookSink implements AlertSink {
  readonly name = 'webhook';
  readonly #url: string;
  readonly #secret: string | undefined;
  constructor(url: string, secret?: string) {
    this.#url = url;
    this.#secret = secret;
  }

  send(message: AlertMessage, options?: SendOptions): Promise<void> {
    const body = JSON.stringify({ type: `lockdown.alert.${message.kind}`, formatVersion: 1, ...message });
    const headers: Record<string, string> = { [DELIVERY_HEADER]: message.alertId };
    if (this.#secret) headers[SIGNATURE_HEADER] = sign(body, this.#secret);
    return postJson(this.name, this.#url, body, headers, options);
  }

  toJSON(): string {
    return '[WebhookSink]';
  }
}
