import { toObservedSiteConfig } from '../../src/reconciler/azure/armPort';

const implicitDeny = { ipAddress: 'Any', action: 'Deny', priority: 2147483647, name: 'Deny all', description: 'Deny all access' };
const implicitAllow = { ipAddress: 'Any', action: 'Allow', priority: 2147483647, name: 'Allow all', description: 'Allow all access' };
const rule = { vnetSubnetResourceId: '/x/subnets/apps', action: 'Allow', priority: 100, name: 'ld-hub-apps', description: 'lockdown:p', vnetTrafficTag: 0, subnetTrafficTag: 0, tag: 'Default' as const };

describe('normalizing observed site config', () => {
  it('drops the implicit trailing Deny all rule and reads the default as Deny', () => {
    const config = toObservedSiteConfig({ ipSecurityRestrictions: [rule, implicitDeny] });
    expect(config.accessRules).toEqual([rule]);
    expect(config.defaultAction).toBe('Deny');
  });

  it('drops the implicit Allow all rule of an open site and reads the default as Allow', () => {
    const config = toObservedSiteConfig({ ipSecurityRestrictions: [implicitAllow], scmIpSecurityRestrictions: [implicitAllow] });
    expect(config.accessRules).toEqual([]);
    expect(config.defaultAction).toBe('Allow');
    expect(config.scmDefaultAction).toBe('Allow');
  });

  it('keeps an explicit default action over the implied one', () => {
    expect(toObservedSiteConfig({ ipSecurityRestrictions: [rule], ipSecurityRestrictionsDefaultAction: 'Allow' }).defaultAction).toBe('Allow');
  });

  it('reads absent flags as false', () => {
    expect(toObservedSiteConfig({})).toMatchObject({ scmUseMain: false, vnetRouteAllEnabled: false });
  });
});
