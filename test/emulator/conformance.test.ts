/**
 * Conformance proof (issue 2): the real SDK clients perform every in-scope operation against the
 * emulator, successes and ARM errors alike, and every recorded request/response pair is validated
 * against Microsoft's REST specs in vendor/azure-specs by `oav validate-traffic`. The
 * Azure-AsyncOperation status polls, which no spec operation describes, are validated with ajv
 * against network.json#/definitions/AzureAsyncOperationResult instead.
 */
import * as fs from 'fs';
import * as path from 'path';
import { startEmulator, type RecordedExchange, type RunningEmulator, type Topology } from '../../emulator/src';
import { validateAgainstDefinition } from './support/schema';
import { sdkClients } from './support/sdkClients';
import { IN_SCOPE_OPERATIONS, SPEC_FILES, SPECIFICATION_DIR } from './support/specs';
import { validateTraffic, type OavResult } from './support/traffic';
import { ArmPort } from '../../src/reconciler/azure/armPort';
import { connectionFromSettings } from '../../src/reconciler/azure/connection';
import { createLogger } from '../../src/reconciler/logger';
import { runTick } from '../../src/reconciler/tick';

const demo: Topology = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, '../../emulator/topologies/demo.json'), 'utf8'),
);
const SUB = demo.subscriptionId;
const subnetId = (vnet: string, subnet: string) =>
  `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${subnet}`;
const appsSubnet = demo.virtualNetworks.find((v) => v.name === 'hub')!.subnets.find((s) => s.name === 'apps')!;
const NSG = appsSubnet.networkSecurityGroupId!;
const ROUTE_TABLE = appsSubnet.routeTableId!;
const POLL_PATH = /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Network\/locations\/[^/]+\/operations\/[^/?]+/i;

const header = (x: RecordedExchange, name: string) =>
  Object.entries(x.responseHeaders).find(([k]) => k.toLowerCase() === name)?.[1];

/** Resolves to the HTTP status the SDK call ended with (2xx, or the RestError's statusCode). */
async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (e: any) {
    if (typeof e?.statusCode !== 'number') throw e;
    return e.statusCode;
  }
}

/** Drives every in-scope operation through the SDK clients, including the ARM errors. */
async function driveEveryOperation(emulator: RunningEmulator): Promise<void> {
  const { web, network, monitor } = sdkClients(emulator.url, SUB);
  const site = ['web', 'orders-web'] as const;

  expect(await statusOf(web.appServicePlans.get('web', 'web-plan'))).toBe(200);
  expect(await statusOf(web.appServicePlans.get('web', 'no-such-plan'))).toBe(404);
  expect(await statusOf(web.webApps.get(...site))).toBe(200);
  expect(await statusOf(web.webApps.get('web', 'no-such-site'))).toBe(404);
  expect(await statusOf(network.virtualNetworks.get('net', 'hub'))).toBe(200);
  expect(await statusOf(network.virtualNetworks.get('net', 'no-such-vnet'))).toBe(404);
  expect(await statusOf(network.subnets.get('net', 'hub', 'apps'))).toBe(200);
  // Lists, one item per page (listPageSize 1): the SDK follows every nextLink.
  const drain = async <T>(pages: AsyncIterable<T>) => {
    const items: T[] = [];
    for await (const item of pages) items.push(item);
    return items;
  };
  expect((await drain(web.webApps.list())).map((s) => s.name).sort()).toEqual(['legacy-func', 'orders-web', 'payments-func']);
  expect((await drain(web.webApps.listByResourceGroup('fn'))).map((s) => s.name).sort()).toEqual(['legacy-func', 'payments-func']);
  expect(await statusOf(drain(web.webApps.listByResourceGroup('no-such-group')))).toBe(404);
  expect((await drain(network.virtualNetworks.listAll())).map((v) => v.name)).toEqual(['hub']);
  expect((await drain(network.virtualNetworks.list('net'))).map((v) => v.name)).toEqual(['hub']);
  expect(await statusOf(drain(network.virtualNetworks.list('no-such-group')))).toBe(404);
  expect(await statusOf(network.subnets.get('net', 'hub', 'no-such-subnet'))).toBe(404);
  expect(await statusOf(web.webApps.getConfiguration(...site))).toBe(200);
  expect(await statusOf(web.webApps.getSwiftVirtualNetworkConnection(...site))).toBe(200);

  const vnetRule = {
    name: 'from-apps-subnet',
    action: 'Allow',
    priority: 100,
    vnetSubnetResourceId: subnetId('hub', 'apps'),
  };
  // The apps subnet lacks the Microsoft.Web service endpoint yet: ARM refuses the rule.
  expect(
    await statusOf(web.webApps.createOrUpdateConfiguration(...site, { ipSecurityRestrictions: [vnetRule] })),
  ).toBe(400);
  // Integration into a subnet without the Microsoft.Web/serverFarms delegation fails.
  const connect = (rg: string, name: string, subnet: string) =>
    web.webApps.createOrUpdateSwiftVirtualNetworkConnectionWithCheck(rg, name, { subnetResourceId: subnetId('hub', subnet) });
  expect(await statusOf(connect(...site, 'apps'))).toBe(400);

  // Long-running PUTs (Azure-AsyncOperation, status polls, final GET): a new subnet (201) ...
  const integration = {
    addressPrefix: '10.10.3.0/24',
    delegations: [{ name: 'web', serviceName: 'Microsoft.Web/serverFarms' }],
  };
  const created = await network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'integration', integration, {
    updateIntervalInMs: 1,
  });
  expect(created.provisioningState).toBe('Succeeded');
  // ... and an update of an existing one (200), keeping its NSG and route table.
  const updated = await network.subnets.beginCreateOrUpdateAndWait(
    'net',
    'hub',
    'apps',
    {
      addressPrefix: '10.10.1.0/24',
      serviceEndpoints: [{ service: 'Microsoft.Web' }],
      networkSecurityGroup: { id: NSG },
      routeTable: { id: ROUTE_TABLE },
    },
    { updateIntervalInMs: 1 },
  );
  expect(updated.serviceEndpoints?.map((e) => e.service)).toEqual(['Microsoft.Web']);

  const officeRule = { name: 'office', action: 'Allow', priority: 200, ipAddress: '203.0.113.0/24' };
  expect(
    await statusOf(web.webApps.createOrUpdateConfiguration(...site, { ipSecurityRestrictions: [vnetRule, officeRule] })),
  ).toBe(200);
  expect(await statusOf(web.webApps.updateConfiguration(...site, { ipSecurityRestrictionsDefaultAction: 'Deny' }))).toBe(200);
  expect(await statusOf(connect('fn', 'legacy-func', 'integration'))).toBe(400); // Dynamic (Y1) plan
  expect(await statusOf(connect(...site, 'integration'))).toBe(200);
  expect(await statusOf(web.webApps.getSwiftVirtualNetworkConnection(...site))).toBe(200);
  // Changing the delegation of a subnet in use fails.
  expect(
    await statusOf(
      network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'integration', { addressPrefix: '10.10.3.0/24' }),
    ),
  ).toBe(400);
  expect(await statusOf(web.webApps.deleteSwiftVirtualNetwork(...site))).toBe(200);
  // Reconnect through the site PATCH. (Only properties SitePatchResource defines: the 2025-05-01
  // spec has no publicNetworkAccess there, so a PATCH with it would be an invalid request.)
  const patch = { httpsOnly: true, virtualNetworkSubnetId: subnetId('hub', 'integration') };
  expect(await statusOf(web.webApps.update(...site, patch))).toBe(200);
  expect(await statusOf(web.webApps.update('web', 'no-such-site', patch))).toBe(404);

  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
  const events = [];
  for await (const event of monitor.activityLogs.list(
    `eventTimestamp ge '${hourAgo}' and eventTimestamp le '${inAnHour}' and resourceGroupName eq 'web'`,
  )) {
    events.push(event);
  }
  expect(events.length).toBeGreaterThan(0);
  const all = async () => {
    for await (const _ of monitor.activityLogs.list(`resourceGroupName eq 'web'`)) void _;
  };
  expect(await statusOf(all())).toBe(400); // eventTimestamp ge is required
}

interface Row {
  operationId: string;
  statuses: string;
  covered: boolean;
  errors: number;
  validator: string;
}

function coverageTable(exchanges: RecordedExchange[], oav: OavResult, pollErrors: string[], polls: number): Row[] {
  const rows: Row[] = IN_SCOPE_OPERATIONS.map((operationId) => {
    const statuses = [...new Set(exchanges.filter((x) => x.operationId === operationId).map((x) => x.status))];
    const issues = oav.issues.filter((i) => i.operationId === operationId).length;
    const covered = oav.covered.has(operationId);
    return {
      operationId,
      statuses: statuses.sort().join(',') || '-',
      covered,
      // a covered operation oav did not pass without listing an error failed at run time
      errors: covered && !oav.passed.has(operationId) ? Math.max(issues, 1) : issues,
      validator: 'oav validate-traffic',
    };
  });
  rows.push({
    operationId: 'Subnets_CreateOrUpdate (Azure-AsyncOperation status polls)',
    statuses: polls ? '200' : '-',
    covered: polls > 0,
    errors: pollErrors.length,
    validator: 'ajv: network.json AzureAsyncOperationResult (oav has no operation for it)',
  });
  return rows;
}

function printTable(rows: Row[]): void {
  const head = ['operationId', 'statuses', 'covered', 'validated (errors)', 'validator'];
  const cells = rows.map((r) => [r.operationId, r.statuses, r.covered ? 'yes' : 'NO', String(r.errors), r.validator]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i])).join(' | ');
  process.stdout.write(
    `\nEmulator conformance (specs: ${SPECIFICATION_DIR})\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}\n` +
      `${cells.map(line).join('\n')}\n`,
  );
}

/** Negative controls: recorded responses broken on purpose, which the validators must reject. */
function tamperedCopies(exchanges: RecordedExchange[]): RecordedExchange[] {
  const okSite = exchanges.find((x) => x.operationId === 'WebApps_Get' && x.status === 200)!;
  const okSubnet = exchanges.find((x) => x.operationId === 'Subnets_Get' && x.status === 200)!;
  const site = structuredClone(okSite);
  (site.responseBody as any).properties.notInTheSpec = true;
  const subnet = structuredClone(okSubnet);
  (subnet.responseBody as any).properties.addressPrefix = 42;
  return [site, subnet];
}

/**
 * Lockdown's own traffic goes through the same check: a full lockdown of the demo pair with
 * the policies in policies/, a portal change, the repair, and the actor lookup.
 */
async function driveLockdown(emulator: RunningEmulator): Promise<void> {
  emulator.admin.seed(demo);
  const port = new ArmPort(connectionFromSettings({ LOCKDOWN_ARM_ENDPOINT: emulator.url, LOCKDOWN_ARM_TOKEN: 'conformance' }), { pollIntervalInMs: 0 });
  const tick = () => runTick({ policyPaths: [path.resolve(__dirname, '../../policies')], port, logger: createLogger({ level: 'silent' }), apply: true });
  const started = new Date(Date.now() - 60_000).toISOString();
  const first = await tick();
  expect(first.apply!.outcomes.map((outcome) => outcome.outcome)).toEqual(['updated', 'created', 'updated']);
  const payments = `/subscriptions/${SUB}/resourceGroups/fn/providers/Microsoft.Web/sites/payments-func`;
  await emulator.admin.outOfBand('portal-user@example.test', {
    method: 'PATCH',
    path: `${payments}/config/web`,
    body: { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } },
  });
  const second = await tick();
  expect(second.apply!.outcomes.map((outcome) => `${outcome.kind} ${outcome.outcome}`)).toEqual(['callee.restrictAccess updated']);
  const activity = await port.listActivity(payments, started, new Date(Date.now() + 60_000).toISOString());
  expect(activity.map((record) => record.caller)).toContain('portal-user@example.test');
}

describe('the emulator conforms to the Azure REST API specs', () => {
  let emulator: RunningEmulator;
  let exchanges: RecordedExchange[];
  let oav: OavResult;
  let polls: RecordedExchange[];
  let pollErrors: string[];
  let control: OavResult;

  beforeAll(async () => {
    emulator = await startEmulator({ topology: demo, throttle: false, retryAfterSeconds: 0, listPageSize: 1 });
    await driveEveryOperation(emulator);
    await driveLockdown(emulator);
    exchanges = emulator.admin.requests().filter((x) => x.url.startsWith('/subscriptions/'));
    polls = exchanges.filter((x) => POLL_PATH.test(x.url));
    pollErrors = polls.flatMap((x) =>
      validateAgainstDefinition(SPEC_FILES.networkCommon, 'AzureAsyncOperationResult', x.responseBody).map(
        (e) => `${x.url}: ${e}`,
      ),
    );
    [oav, control] = await Promise.all([
      validateTraffic(
        exchanges.filter((x) => !POLL_PATH.test(x.url)),
        SPECIFICATION_DIR,
      ),
      validateTraffic(tamperedCopies(exchanges), SPECIFICATION_DIR),
    ]);
    printTable(coverageTable(exchanges, oav, pollErrors, polls.length));
  }, 180_000);

  afterAll(async () => {
    await emulator?.stop();
    // keep oav's traffic, report and log only when they explain a failure
    if (control) fs.rmSync(control.workDir, { recursive: true, force: true });
    if (oav && !oav.issues.length && !oav.runtimeErrors.length) fs.rmSync(oav.workDir, { recursive: true, force: true });
  });

  test('every in-scope operation is covered and every exchange validates', () => {
    const rows = coverageTable(exchanges, oav, pollErrors, polls.length);
    const problems = [
      ...rows.filter((r) => !r.covered).map((r) => `${r.operationId}: not covered`),
      ...oav.issues.map(
        (i) => `${i.operationId} ${i.issueSource} ${i.paths?.join(',') ?? ''}: ${i.errorCode} ${i.errorMessage} [${i.payload ?? oav.workDir}]`,
      ),
      ...rows.filter((r) => r.errors > 0 && r.validator.startsWith('oav') && !oav.issues.some((i) => i.operationId === r.operationId))
        .map((r) => `${r.operationId}: oav failed at run time, see ${oav.logFile}`),
      ...pollErrors,
      ...oav.runtimeErrors,
    ];
    expect(problems).toEqual([]);
  });

  test('the validators reject responses that break the specs (negative controls)', () => {
    expect(control.issues.map((i) => [i.operationId, i.errorCode])).toEqual(
      expect.arrayContaining([
        ['WebApps_Get', 'OBJECT_ADDITIONAL_PROPERTIES'],
        ['Subnets_Get', 'INVALID_TYPE'],
      ]),
    );
    const poll = { status: 'Done', percentComplete: 50 };
    expect(validateAgainstDefinition(SPEC_FILES.networkCommon, 'AzureAsyncOperationResult', poll)).toHaveLength(2);
  });

  test('every recorded exchange reaches an operation of the specs', () => {
    expect(oav.unmatchedPayloads).toBe(0);
  });

  test('the subnet PUT runs as an Azure-AsyncOperation that the SDK polls to Succeeded', () => {
    const puts = exchanges.filter((x) => x.operationId === 'Subnets_CreateOrUpdate' && x.status < 300);
    // a new subnet (201), an update (200), then Lockdown's own update of the demo subnet (200)
    expect(puts.map((x) => x.status)).toEqual([201, 200, 200]);
    for (const put of puts) {
      expect(new URL(header(put, 'azure-asyncoperation') ?? '').pathname).toMatch(POLL_PATH);
      expect(header(put, 'retry-after')).toBeDefined();
    }
    const statuses = polls.map((x) => (x.responseBody as { status: string }).status);
    expect(statuses).toContain('InProgress');
    expect(statuses[statuses.length - 1]).toBe('Succeeded');
  });
});
