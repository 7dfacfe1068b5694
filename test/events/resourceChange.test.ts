/** Reading a resource-write event: the managed resource, the actor, and whether it was Lockdown's own write. */
import { isOwnWrite, managedResourceOf, readResourceEvent } from '../../src/reconciler/events/resourceChange';
import { ids } from '../support/emulatorWorld';

const UPN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';
const OID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const LOCKDOWN_OID = '5e0d1c2a-0000-4000-8000-00000000abcd';

const event = (resourceUri: string, claims: Record<string, string>, eventType = 'Microsoft.Resources.ResourceWriteSuccess') => ({
  id: 'e1',
  eventType,
  subject: resourceUri,
  eventTime: '2026-12-01T10:00:00Z',
  data: { resourceUri, operationName: 'Microsoft.Web/sites/config/write', status: 'Succeeded', correlationId: 'c-1', claims },
});

it.each([
  [`${ids.payments}/config/web`, 'site', ids.payments],
  [`${ids.payments}/slots/staging/config/web`, 'site', ids.payments],
  [`${ids.orders}/networkConfig/virtualNetwork`, 'site', ids.orders],
  [ids.apps, 'subnet', ids.apps],
  [ids.apps.split('/subnets/')[0], 'virtualNetwork', ids.apps.split('/subnets/')[0]],
])('%s is the %s it belongs to', (uri, kind, id) => {
  expect(managedResourceOf(uri)).toEqual({ kind, id: id.toLowerCase() });
});

it('the actor is the UPN of a person, else the app id, else the object id', () => {
  const person = readResourceEvent(event(`${ids.payments}/config/web`, { [UPN]: 'mallory@contoso.example', [OID]: 'u-1' }));
  expect(person).toMatchObject({ ok: true, change: { actor: { caller: 'mallory@contoso.example', operation: 'Microsoft.Web/sites/config/write', correlationId: 'c-1', time: '2026-12-01T10:00:00Z' } } });
  const app = readResourceEvent(event(`${ids.payments}/config/web`, { appid: 'app-1', [OID]: 'sp-1' }));
  expect(app).toMatchObject({ ok: true, change: { actor: { caller: 'app-1' } } });
});

it('other event types and unmanaged resources are not read', () => {
  expect(readResourceEvent(event(ids.payments, {}, 'Microsoft.Resources.ResourceActionSuccess'))).toMatchObject({ ok: false, why: 'notAResourceEvent' });
  expect(readResourceEvent(event('/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z', {}))).toMatchObject({ ok: false, why: 'notManaged' });
});

it("Lockdown's own write is recognized by any of its identities", () => {
  const own = readResourceEvent(event(ids.apps, { appid: 'client-1', [OID]: LOCKDOWN_OID.toUpperCase() }));
  if (!own.ok) throw new Error('not read');
  expect(isOwnWrite(own.change, { callers: [LOCKDOWN_OID] })).toBe(true);
  expect(isOwnWrite(own.change, { callers: ['someone-else'] })).toBe(false);
  expect(isOwnWrite(own.change, { callers: ['CLIENT-1'] })).toBe(true);
});
