/**
 * Discovery benchmark: proposals from a generated estate of N apps (half callers, half callees;
 * ten callers per subnet; callees allowing a subnet, or their callers' outbound addresses, and a
 * range), pure (no ARM reads), to show that proposing grows with the estate, not its square.
 * Run: npm run bench:discover  (BENCH_SIZES=1000,10000 to choose sizes)
 */
import type { Estate } from '../src/discover/estate';
import { propose } from '../src/discover/propose';
import type { ObservedSite, ObservedSiteConfig } from '../src/reconciler/observed';
import { canonicalId } from '../src/reconciler/resourceId';

const SUB = '11111111-1111-1111-1111-111111111111';
const subnet = (index: number) => `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/apps-${index}`;
const plan = (index: number) => `/subscriptions/${SUB}/resourceGroups/web/providers/Microsoft.Web/serverfarms/plan-${index}`;
const address = (index: number) => `20.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;

function estateOf(apps: number): Estate {
  const pairs = Math.floor(apps / 2);
  const sites: ObservedSite[] = [];
  const siteConfigs: Estate['siteConfigs'] = new Map();
  for (let index = 0; index < pairs; index++) {
    const group = Math.floor(index / 10);
    const byAddress = index % 2 === 1;
    sites.push({
      id: `/subscriptions/${SUB}/resourceGroups/web/providers/Microsoft.Web/sites/caller-${index}`,
      location: 'westeurope',
      serverFarmId: plan(group),
      integrationSubnetId: canonicalId(subnet(group)),
      // every app also shares the scale unit's addresses, as seeded apps do
      outboundIpAddresses: [address(index), '20.50.2.12', '20.50.2.13'],
    });
    const callee = `/subscriptions/${SUB}/resourceGroups/fn/providers/Microsoft.Web/sites/callee-${index}`;
    sites.push({ id: callee, location: 'westeurope', serverFarmId: plan(group), outboundIpAddresses: ['20.50.2.12'] });
    const config: ObservedSiteConfig = {
      accessRules: [
        byAddress ? { name: 'caller', action: 'Allow', priority: 100, ipAddress: `${address(index)}/32` } : { name: 'apps', action: 'Allow', priority: 100, vnetSubnetResourceId: subnet(group) },
        { name: 'build agents', action: 'Allow', priority: 200, ipAddress: '203.0.113.0/24' },
        { name: 'scale unit', action: 'Allow', priority: 210, ipAddress: '20.50.2.12/32' },
      ],
      defaultAction: 'Deny',
      scmAccessRules: [],
      scmDefaultAction: 'Deny',
      scmUseMain: true,
      vnetRouteAllEnabled: false,
    };
    siteConfigs.set(canonicalId(callee), { status: 'found', value: config });
  }
  return { sites, siteConfigs, virtualNetworks: [], unreadable: [] };
}

function main(): void {
  const sizes = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
  const rows: { apps: number; ms: number; proposals: number }[] = [];
  for (const apps of sizes) {
    const estate = estateOf(apps);
    propose(estateOf(Math.min(apps, 100))); // warm up
    const started = process.hrtime.bigint();
    const discovery = propose(estate);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    rows.push({ apps, ms, proposals: discovery.proposals.length });
    process.stdout.write(`${String(apps).padStart(6)} apps | ${ms.toFixed(0).padStart(6)} ms | ${discovery.proposals.length} proposals, ${discovery.unattributed.length} unattributed sources\n`);
  }
  for (const row of rows.slice(1)) {
    process.stdout.write(`scaling ${rows[0].apps} → ${row.apps} apps (×${(row.apps / rows[0].apps).toFixed(1)}): time ×${(row.ms / rows[0].ms).toFixed(2)}\n`);
  }
}

main();
