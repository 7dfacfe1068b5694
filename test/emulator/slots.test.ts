/**
 * Deployment slots through the real @azure/arm-appservice client: each slot a front door of its
 * own, created open or cloned, limited by the plan's tier, swapped without moving its doors.
 */
import type { RunningEmulator } from '../../emulator/src/index';
import { find, ids, sdk, sdkError, start } from './harness';

let emu: RunningEmulator;
afterEach(async () => emu?.stop());

const slotId = (app: string, slot: string) => `${app}/slots/${slot}`;
const lockedConfig = { ipSecurityRestrictions: [{ name: 'office', action: 'Allow', priority: 100, ipAddress: '203.0.113.0/24' }], ipSecurityRestrictionsDefaultAction: 'Deny' };

describe('deployment slots', () => {
  beforeEach(async () => {
    emu = await start();
  });

  it('creates an open slot with its own host name, apart from the app list', async () => {
    const { web } = sdk(emu.url);
    await web.webApps.updateConfiguration('web', 'orders-web', lockedConfig);
    const slot = await web.webApps.beginCreateOrUpdateSlotAndWait('web', 'orders-web', 'staging', { location: 'westeurope' });
    expect(slot).toMatchObject({ id: slotId(ids.orders, 'staging'), name: 'orders-web/staging', type: 'Microsoft.Web/sites/slots', defaultHostName: 'orders-web-staging.azurewebsites.net', serverFarmId: ids.webPlan });
    const config = await web.webApps.getConfigurationSlot('web', 'orders-web', 'staging');
    expect(config.ipSecurityRestrictionsDefaultAction ?? 'Allow').toBe('Allow');
    expect(config.ipSecurityRestrictions?.map((rule) => rule.ipAddress)).toEqual(['Any']);
    const apps: string[] = [];
    for await (const app of web.webApps.list()) apps.push(app.name!);
    expect(apps).not.toContain('orders-web/staging');
  });

  it('clones the site config (access restrictions included) of the app named in cloningInfo', async () => {
    const { web } = sdk(emu.url);
    await web.webApps.updateConfiguration('web', 'orders-web', lockedConfig);
    await web.webApps.beginCreateOrUpdateSlotAndWait('web', 'orders-web', 'canary', { location: 'westeurope', cloningInfo: { sourceWebAppId: ids.orders } });
    const config = await web.webApps.getConfigurationSlot('web', 'orders-web', 'canary');
    expect(config.ipSecurityRestrictionsDefaultAction).toBe('Deny');
    expect(config.ipSecurityRestrictions?.filter((rule) => rule.priority !== 2147483647).map((rule) => rule.name)).toEqual(['office']);
  });

  it('refuses a slot the plan tier does not allow, or in another region', async () => {
    const { web } = sdk(emu.url);
    // legacy-func runs on a Consumption (Y1) plan: two slots
    await web.webApps.beginCreateOrUpdateSlotAndWait('fn', 'legacy-func', 'a', { location: 'westeurope' });
    await web.webApps.beginCreateOrUpdateSlotAndWait('fn', 'legacy-func', 'b', { location: 'westeurope' });
    expect(await sdkError(web.webApps.beginCreateOrUpdateSlotAndWait('fn', 'legacy-func', 'c', { location: 'westeurope' }))).toMatchObject({ statusCode: 400 });
    expect(await sdkError(web.webApps.beginCreateOrUpdateSlotAndWait('web', 'orders-web', 'far', { location: 'eastus' }))).toMatchObject({ statusCode: 400 });
  });

  it('swaps content only: restrictions and VNet integration stay with each slot', async () => {
    const { web } = sdk(emu.url);
    await web.webApps.updateConfiguration('web', 'orders-web', lockedConfig);
    await web.webApps.beginCreateOrUpdateSlotAndWait('web', 'orders-web', 'staging', { location: 'westeurope' });
    const before = emu.admin.state();
    await web.webApps.beginSwapSlotWithProductionAndWait('web', 'orders-web', { targetSlot: 'staging', preserveVnet: true });
    const after = emu.admin.state();
    for (const id of [ids.orders, slotId(ids.orders, 'staging')]) {
      expect(find(after.siteConfigs, `${id}/config/web`).properties.ipSecurityRestrictions).toEqual(find(before.siteConfigs, `${id}/config/web`).properties.ipSecurityRestrictions);
    }
    expect(emu.admin.history().at(-1)!.cause).toMatch(/POST .*\/slotsswap/i);
  });

  it('logs slot writes in the Activity Log with the actor, and deletes a slot once', async () => {
    await emu.admin.outOfBand('mallory@example.test', { method: 'PUT', path: slotId(ids.orders, 'hotfix'), body: { location: 'westeurope' } });
    const deleted = await emu.admin.outOfBand('mallory@example.test', { method: 'DELETE', path: slotId(ids.orders, 'hotfix') });
    expect(deleted.status).toBe(200);
    expect((await emu.admin.outOfBand('mallory@example.test', { method: 'DELETE', path: slotId(ids.orders, 'hotfix') })).status).toBe(404);
    const events = emu.admin.activityLog().filter((event) => event.resourceId.toLowerCase() === slotId(ids.orders, 'hotfix').toLowerCase() && event.status.value === 'Succeeded');
    expect(events.map((event) => [event.operationName.value, event.caller])).toEqual(
      expect.arrayContaining([
        ['Microsoft.Web/sites/slots/write', 'mallory@example.test'],
        ['Microsoft.Web/sites/slots/delete', 'mallory@example.test'],
      ]),
    );
  });
});
