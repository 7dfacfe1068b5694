/**
 * Plays the Functions host for the Event Grid trigger: an HTTP endpoint the emulator's system
 * topic delivers to, calling the `lockdownEvents` handler with an InvocationContext per event
 * and answering 500 when it throws (so the topic delivers again), as the host does.
 */
import { InvocationContext } from '@azure/functions';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lockdownEvents, type EventSummary } from '../../src/functions/lockdownEvents';
import { closeServer } from './alertHarness';

export interface HandledEvent {
  eventId: string;
  eventType: string;
  subject: string;
  /** When the handler returned (epoch ms). */
  at: number;
  summary?: EventSummary;
  error?: string;
}

export class EventSubscriber {
  readonly handled: HandledEvent[] = [];
  readonly logLines: string[] = [];
  url = '';
  #server?: Server;
  #invocations = 0;

  async start(): Promise<this> {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        const events = JSON.parse(Buffer.concat(chunks).toString('utf8')) as any[];
        let status = 200;
        for (const event of events) {
          const context = new InvocationContext({
            functionName: 'lockdownEvents',
            invocationId: `event-${++this.#invocations}`,
            logHandler: (_level, ...args) => this.logLines.push(args.map(String).join(' ')),
          });
          const record: HandledEvent = { eventId: event.id, eventType: event.eventType, subject: event.subject, at: 0 };
          try {
            record.summary = await lockdownEvents(event, context);
          } catch (error) {
            record.error = (error as Error).message;
            status = 500;
          }
          record.at = Date.now();
          this.handled.push(record);
        }
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/runtime/webhooks/EventGrid?functionName=lockdownEvents`;
    return this;
  }

  outcomes(): string[] {
    return this.handled.map((event) => event.summary?.outcome ?? `error: ${event.error}`);
  }

  stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    return closeServer(server);
  }
}
