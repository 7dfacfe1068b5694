import { canonicalId, checkResourceId, parseResourceId, resourceName, shortName } from '../../src/reconciler/resourceId';
import { SUBNET_ID, WEB_SITE_ID } from '../../src/reconciler/policy/schema';

const SITE = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/RG-Apps/providers/Microsoft.Web/sites/Payments-Func';
const SUBNET =
  '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/hub/subnets/apps';

describe('the canonical resource id', () => {
  it.each([
    [SITE, SITE.toLowerCase()],
    [`${SITE}/`, SITE.toLowerCase()],
    [`${SITE}//`, SITE.toLowerCase()],
    [`  ${SITE}\n`, SITE.toLowerCase()],
    [` ${SITE}/ `, SITE.toLowerCase()],
  ])('of %j is trimmed, without a trailing slash, lower-cased', (id, canonical) => {
    expect(canonicalId(id)).toBe(canonical);
  });

  it('is what a policy id that passes the check becomes', () => {
    expect(checkResourceId(SITE, WEB_SITE_ID)).toEqual({ ok: true, canonical: canonicalId(SITE), names: ['Payments-Func'] });
    expect(checkResourceId(SUBNET, SUBNET_ID)).toMatchObject({ ok: true, canonical: canonicalId(SUBNET), names: ['hub', 'apps'] });
  });

  it('is never reached from a written id with a trailing slash or white space: the check names the mistake', () => {
    expect(checkResourceId(`${SITE}/`, WEB_SITE_ID)).toMatchObject({ ok: false, hint: 'remove the trailing slash' });
    expect(checkResourceId(` ${SITE}`, WEB_SITE_ID)).toMatchObject({ ok: false, hint: 'remove the spaces' });
  });

  it('parses ids with or without a trailing slash alike', () => {
    expect(parseResourceId(`${SITE}/`)).toEqual(parseResourceId(SITE));
    expect(shortName(SUBNET)).toBe('hub/apps');
    expect(resourceName(SUBNET)).toBe('apps');
  });
});
