/**
 * The emulator's Event Grid system topic: the events it emits after successful writes match
 * the Microsoft.Resources data-plane schema (vendored), and its delivery is at least once,
 * with duplicates and reordering on demand.
 */
import Ajv from 'ajv';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { startEmulator } from '../../emulator/src/index';
import type { ResourceEvent, RunningEmulator } from '../../emulator/src/types';
import { WebhookReceiver } from '../support/alertHarness';
import { demoTopology, ids, OPERATOR, OPERATOR_TOKEN } from '../support/emulatorWorld';
import { validateAgainstDefinition } from './support/schema';
import { readJson, SPECS_ROOT } from './support/specs';

const RESOURCES_DIR = path.join(SPECS_ROOT, 'specification/eventgrid/data-plane/Microsoft.Resources/stable/2018-01-01');
const RESOURCES_SPEC = path.join(RESOURCES_DIR, 'Resources.json');
const DATA_DEFINITION: Record<string, string> = {
  'Microsoft.Resources.ResourceWriteSuccess': 'ResourceWriteSuccessData',
  'Microsoft.Resources.ResourceDeleteSuccess': 'ResourceDeleteSuccessData',
  'Microsoft.Resources.ResourceActionSuccess': 'ResourceActionSuccessData',
};

/**
 * The Event Grid schema envelope (learn.microsoft.com/azure/event-grid/event-schema): the
 * vendored specs hold only the data definitions, so the envelope is written out here, closed.
 */
const envelope = new Ajv({ strict: true, allErrors: true }).compile({
  type: 'object',
  required: ['id', 'topic', 'subject', 'eventType', 'eventTime', 'data', 'dataVersion', 'metadataVersion'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', minLength: 1 },
    topic: { type: 'string' },
    subject: { type: 'string', minLength: 1 },
    eventType: { type: 'string' },
    eventTime: { type: 'string' },
    data: { type: 'object' },
    dataVersion: { type: 'string' },
    metadataVersion: { type: 'string', const: '1' },
  },
});

function schemaErrors(event: ResourceEvent): string[] {
  const errors = envelope(event) ? [] : (envelope.errors ?? []).map((error) => `envelope ${error.instancePath || '/'} ${error.message}`);
  const definition = DATA_DEFINITION[event.eventType];
  if (!definition) return [...errors, `unknown eventType ${event.eventType}`];
  return [...errors, ...validateAgainstDefinition(RESOURCES_SPEC, definition, event.data)];
}

let emulator: RunningEmulator;
let receiver: WebhookReceiver;
beforeEach(async () => {
  emulator = await startEmulator({ topology: demoTopology(), identities: { [OPERATOR_TOKEN]: { caller: OPERATOR, principalType: 'ServicePrincipal' } } });
  receiver = await new WebhookReceiver().start();
});
afterEach(async () => {
  await receiver.stop();
  await emulator.stop();
});

const delivered = () => receiver.requests.flatMap((request) => request.json as ResourceEvent[]);

it('the check accepts the vendored examples of the Event Grid schema', () => {
  const dir = path.join(RESOURCES_DIR, 'examples/event-grid-schema');
  const examples = readdirSync(dir).map((file) => readJson(path.join(dir, file)) as ResourceEvent);
  expect(examples.length).toBeGreaterThanOrEqual(2);
  for (const example of examples) expect(schemaErrors(example)).toEqual([]);
  // And it is not vacuous: a field the schema does not define is refused.
  expect(schemaErrors({ ...examples[0], data: { ...examples[0].data, resourceUrl: 'x' } })).not.toEqual([]);
});

it('emits the event Azure would after each successful write and delete, valid against the data-plane schema', async () => {
  emulator.admin.setEventSubscription({ url: `${receiver.url}/events` });
  await emulator.admin.outOfBand('alice@example.test', { method: 'PATCH', path: `${ids.payments}/config/web`, body: { properties: { ipSecurityRestrictionsDefaultAction: 'Deny' } } });
  await emulator.admin.outOfBand('alice@example.test', { method: 'DELETE', path: `${ids.orders}/networkConfig/virtualNetwork` });
  // A write that fails emits nothing.
  const refused = await emulator.admin.outOfBand('bob@example.test', { method: 'PUT', path: ids.apps, body: { properties: { addressPrefix: '10.99.0.0/24' } } });
  expect(refused.status).toBeGreaterThanOrEqual(400);
  await emulator.admin.eventsSettled();

  const events = delivered();
  expect(events.map((event) => [event.eventType, event.data.operationName])).toEqual([
    ['Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.Web/sites/config/write'],
    ['Microsoft.Resources.ResourceDeleteSuccess', 'Microsoft.Web/sites/networkConfig/delete'],
  ]);
  for (const event of events) expect(schemaErrors(event)).toEqual([]);
  expect(events[0]).toMatchObject({
    topic: `/subscriptions/${demoTopology().subscriptionId}`,
    subject: expect.stringMatching(/\/sites\/payments-func\/config\/web$/i),
    data: { status: 'Succeeded', claims: { 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': 'alice@example.test', name: 'alice@example.test' } },
  });
  // The correlation id is the Activity Log's: the two name the same write.
  const activity = emulator.admin.activityLog().find((entry) => entry.status.value === 'Succeeded' && /config\/write$/i.test(entry.operationName.value))!;
  expect(events[0].data.correlationId).toBe(activity.correlationId);
  expect(receiver.requests[0].headers['aeg-event-type']).toBe('Notification');
});

it("a long-running subnet write emits its event when it ends, with the writer's identity", async () => {
  emulator.admin.setEventSubscription({ url: `${receiver.url}/events` });
  const subnet = Object.entries(emulator.admin.state().subnets).find(([id]) => id.toLowerCase() === ids.apps.toLowerCase())![1];
  const response = await fetch(`${emulator.url}${ids.apps}?api-version=2025-05-01`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ properties: { addressPrefix: subnet.properties.addressPrefix, serviceEndpoints: [{ service: 'Microsoft.Web' }] } }),
  });
  expect(response.status).toBe(200); // an update; the operation goes on behind the Azure-AsyncOperation URL
  expect(response.headers.get('azure-asyncoperation')).toEqual(expect.any(String));
  await emulator.admin.eventsSettled();
  expect(delivered()).toEqual([]); // still running
  await fetch(response.headers.get('azure-asyncoperation')!, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
  await fetch(response.headers.get('azure-asyncoperation')!, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
  await emulator.admin.eventsSettled();
  const [event] = delivered();
  expect(schemaErrors(event)).toEqual([]);
  expect(event).toMatchObject({ eventType: 'Microsoft.Resources.ResourceWriteSuccess', data: { operationName: 'Microsoft.Network/virtualNetworks/subnets/write', claims: { idtyp: 'app' } } });
});

it('delivers at least once: duplicates, reordering, and retries after a failed delivery', async () => {
  emulator.admin.setEventSubscription({ url: `${receiver.url}/events`, duplicates: 1, reorder: true, burstWindowInMs: 200 });
  receiver.script.set('/events', [500]);
  await emulator.admin.outOfBand('alice@example.test', { method: 'PATCH', path: `${ids.payments}/config/web`, body: { properties: { ipSecurityRestrictionsDefaultAction: 'Deny' } } });
  await emulator.admin.outOfBand('alice@example.test', { method: 'PATCH', path: `${ids.orders}/config/web`, body: { properties: { vnetRouteAllEnabled: true } } });
  await emulator.admin.eventsSettled();
  const accepted = receiver.accepted('/events').flatMap((request) => request.json as ResourceEvent[]);
  expect(accepted).toHaveLength(4);
  const [first, second] = emulator.admin.events();
  // Newest first (reordered), each twice; the one refused with a 500 came again.
  expect(new Set(accepted.map((event) => event.id))).toEqual(new Set([first.id, second.id]));
  expect(receiver.requests[0].json[0].id).toBe(second.id);
  expect(receiver.requests.filter((request) => request.status === 500)).toHaveLength(1);
});

it('is configured over the admin HTTP API too', async () => {
  const put = await fetch(`${emulator.adminUrl}/event-subscription`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: `${receiver.url}/events`, duplicates: 2 }) });
  expect(await put.json()).toEqual({ subscription: { url: `${receiver.url}/events`, duplicates: 2 } });
  const bad = await fetch(`${emulator.adminUrl}/event-subscription`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'ftp://nowhere' }) });
  expect(bad.status).toBe(400);
  await emulator.admin.outOfBand('alice@example.test', { method: 'PATCH', path: `${ids.payments}/config/web`, body: { properties: { ipSecurityRestrictionsDefaultAction: 'Deny' } } });
  await emulator.admin.eventsSettled();
  expect(receiver.accepted('/events')).toHaveLength(3);
  const listed = await (await fetch(`${emulator.adminUrl}/events`)).json();
  expect(listed).toHaveLength(1);
});
