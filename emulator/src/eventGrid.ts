/**
 * The subscription's Event Grid system topic (Microsoft.Resources.Subscriptions): after every
 * successful write, delete or action the emulator emits the event Azure would, in the Event
 * Grid schema (specification/eventgrid/data-plane/Microsoft.Resources, 2018-01-01), to one
 * subscriber URL.
 *
 * Delivery is what Event Grid promises and no more: at least once (a non-2xx answer is
 * retried with backoff), not in order, in bursts. Duplicates and reordering are fault options
 * so a subscriber can be tested against them.
 */
import { sleep, uuid } from './ids';
import type { ActivityEvent } from './types';

/** Event Grid schema envelope (EventGridEvent) with the Microsoft.Resources data of a success event. */
export interface ResourceEvent {
  id: string;
  topic: string;
  subject: string;
  eventType: string;
  eventTime: string;
  data: Record<string, unknown>;
  dataVersion: string;
  metadataVersion: string;
}

export interface EventSubscriptionSpec {
  /** Where events are POSTed (an Event Grid schema array, one event per request as Event Grid's default maxEventsPerBatch of 1). */
  url: string;
  /** Default: every success event type. */
  includedEventTypes?: string[];
  /** Events emitted within this window are delivered together as a burst; default 20 ms. */
  burstWindowInMs?: number;
  /** Fault: each event is delivered this many extra times. */
  duplicates?: number;
  /** Fault: each burst is delivered newest first. */
  reorder?: boolean;
  /** Attempts per delivery before it is dropped (Event Grid's own default is 30 over 24 h); default 5. */
  maxAttempts?: number;
}

const EVENT_TYPE: Record<string, string> = {
  write: 'Microsoft.Resources.ResourceWriteSuccess',
  delete: 'Microsoft.Resources.ResourceDeleteSuccess',
  action: 'Microsoft.Resources.ResourceActionSuccess',
};

/** The Event Grid event of a succeeded Activity Log entry, or undefined if it emits none (a read, a start). */
export function eventOf(entry: ActivityEvent, url?: string): ResourceEvent | undefined {
  if (entry.status.value !== 'Succeeded') return undefined;
  const verb = /\/(write|delete|action)$/i.exec(entry.operationName.value)?.[1]?.toLowerCase();
  if (!verb) return undefined;
  const provider = entry.resourceProviderName.value;
  const principalId = entry.claims['http://schemas.microsoft.com/identity/claims/objectidentifier'] ?? '';
  return {
    id: uuid(),
    // A subscription system topic: its events carry the subscription as the topic.
    topic: `/subscriptions/${entry.subscriptionId}`,
    subject: entry.resourceId,
    eventType: EVENT_TYPE[verb],
    eventTime: entry.eventTimestamp,
    data: {
      authorization: {
        scope: entry.authorization.scope,
        action: entry.authorization.action,
        evidence: { role: 'Contributor', principalId, principalType: entry.claims.idtyp === 'user' ? 'User' : 'ServicePrincipal' },
      },
      claims: { ...entry.claims, ...(entry.claims.idtyp === 'user' ? { name: entry.caller } : {}) },
      correlationId: entry.correlationId,
      httpRequest: { ...entry.httpRequest, ...(url ? { url } : {}) },
      resourceProvider: provider,
      resourceUri: entry.resourceId,
      operationName: entry.operationName.value,
      status: 'Succeeded',
      subscriptionId: entry.subscriptionId,
      tenantId: entry.tenantId,
    },
    dataVersion: '2',
    metadataVersion: '1',
  };
}

export interface DeliveryRecord {
  eventId: string;
  eventType: string;
  subject: string;
  status: number;
  attempt: number;
}

export class EventGridPublisher {
  private subscription?: EventSubscriptionSpec;
  private burst: ResourceEvent[] = [];
  private burstTimer?: NodeJS.Timeout;
  private inFlight = new Set<Promise<void>>();
  readonly emitted: ResourceEvent[] = [];
  readonly deliveries: DeliveryRecord[] = [];

  configure(subscription: EventSubscriptionSpec | undefined): void {
    if (subscription !== undefined) {
      if (!subscription || typeof subscription.url !== 'string' || !/^https?:\/\//i.test(subscription.url))
        throw new Error('event subscription: url (http or https) is required');
      if (subscription.duplicates !== undefined && !(Number.isInteger(subscription.duplicates) && subscription.duplicates >= 0))
        throw new Error('event subscription: duplicates must be a whole number, 0 or more');
    }
    this.subscription = subscription ? { ...subscription } : undefined;
  }

  current(): EventSubscriptionSpec | undefined {
    return this.subscription ? { ...this.subscription } : undefined;
  }

  /** Called for every Activity Log entry; emits the event of a success. */
  publish(entry: ActivityEvent): void {
    const event = eventOf(entry);
    if (!event) return;
    this.emitted.push(event);
    const subscription = this.subscription;
    if (!subscription) return;
    if (subscription.includedEventTypes && !subscription.includedEventTypes.includes(event.eventType)) return;
    this.burst.push(event);
    this.burstTimer ??= setTimeout(() => this.flushBurst(), subscription.burstWindowInMs ?? 20);
  }

  /** Resolves once everything emitted so far has been delivered (or given up). */
  async settled(): Promise<void> {
    // A delivery can cause writes (the subscriber reconciles), whose events follow: wait for those too.
    for (;;) {
      if (this.burstTimer) {
        clearTimeout(this.burstTimer);
        this.flushBurst();
      }
      if (this.inFlight.size === 0) return;
      await Promise.all([...this.inFlight]);
    }
  }

  clear(): void {
    if (this.burstTimer) clearTimeout(this.burstTimer);
    this.burstTimer = undefined;
    this.burst = [];
    this.emitted.length = 0;
    this.deliveries.length = 0;
  }

  private flushBurst(): void {
    this.burstTimer = undefined;
    const subscription = this.subscription;
    const events = this.burst;
    this.burst = [];
    if (!subscription || events.length === 0) return;
    const copies = events.flatMap((event) => Array.from({ length: 1 + (subscription.duplicates ?? 0) }, () => event));
    const order = subscription.reorder ? copies.reverse() : copies;
    for (const event of order) {
      const delivery = this.deliver(subscription, event).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  private async deliver(subscription: EventSubscriptionSpec, event: ResourceEvent): Promise<void> {
    const maxAttempts = subscription.maxAttempts ?? 5;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let status = 0;
      try {
        const response = await fetch(subscription.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification', 'aeg-delivery-count': String(attempt - 1) },
          body: JSON.stringify([event]),
          signal: AbortSignal.timeout(30_000),
        });
        await response.arrayBuffer().catch(() => undefined);
        status = response.status;
      } catch {
        status = 0;
      }
      this.deliveries.push({ eventId: event.id, eventType: event.eventType, subject: event.subject, status, attempt });
      if (status >= 200 && status < 300) return;
      await sleep(50 * 2 ** (attempt - 1));
    }
  }
}
