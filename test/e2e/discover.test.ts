/**
 * `lockdown discover` on the emulator, seeded with an estate partly locked by hand
 * (emulator/topologies/estate.json): a pair locked through a subnet, a pair allowed by outbound
 * addresses, one whose caller has no subnet yet, open apps, a callee locked by a range only, and
 * deployment slots: an open one, one locked like its app, one admitting more than its app.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EmulatorStateSnapshot, Topology } from '../../emulator/src/types';
import { runCli, type CliIo } from '../../src/cli/main';
import { discover, type DiscoveryReport } from '../../src/discover/discover';
import type { Plan } from '../../src/reconciler/plan';
import { ROOT, startEmulatorWorld, OPERATOR_TOKEN, SUB, type EmulatorWorld } from '../support/emulatorWorld';
import { reaches } from '../support/reachability';

const estate = (): Topology => JSON.parse(readFileSync(path.join(ROOT, 'emulator/topologies/estate.json'), 'utf8')) as Topology;
const site = (rg: string, name: string) => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Web/sites/${name}`;
const app = {
  orders: site('web', 'orders-web'),
  payments: site('fn', 'payments-func'),
  reports: site('web', 'reports-web'),
  stock: site('fn', 'stock-func'),
  audit: site('ops', 'audit-web'),
  inventory: site('fn', 'inventory-func'),
  legacy: site('fn', 'legacy-func'),
  ledger: site('fn', 'ledger-func'),
};
const slot = {
  staging: `${app.payments}/slots/staging`,
  canary: `${app.stock}/slots/canary`,
  preview: `${app.ledger}/slots/preview`,
};
const scope = { subscriptions: [SUB], resourceGroups: [] };

/** A site's or slot's access rules as the emulator holds them. */
function rulesOf(state: EmulatorStateSnapshot, id: string): { defaultAction: string; sources: string[]; scmUseMain: boolean } {
  const config = Object.entries(state.siteConfigs).find(([key]) => key.toLowerCase() === `${id}/config/web`.toLowerCase())![1] as { properties: Record<string, any> };
  return {
    defaultAction: config.properties.ipSecurityRestrictionsDefaultAction,
    // The allowed sources (ARM's implicit trailing "Deny all" is not one).
    sources: (config.properties.ipSecurityRestrictions as { action?: string; vnetSubnetResourceId?: string; ipAddress?: string }[])
      .filter((rule) => rule.action === 'Allow')
      .map((rule) => (rule.vnetSubnetResourceId ?? rule.ipAddress!).toLowerCase())
      .sort(),
    scmUseMain: config.properties.scmIpSecurityRestrictionsUseMain,
  };
}
const policyText = (report: DiscoveryReport, callee: string) => readFileSync(path.join(out, `${report.proposals.find((proposal) => proposal.callees[0].id === callee)!.name}.yaml`), 'utf8');

/** What a plan would write, comparable across two plans. */
const writes = (plan: Plan) => plan.actions.map((action) => ({ id: action.id, changes: action.changes, apply: action.enforcement.apply }));
const pairs = (report: DiscoveryReport) =>
  report.proposals.flatMap((proposal) => proposal.callers.flatMap((caller) => proposal.callees.map((callee) => [caller.id, callee.id] as const)));

function cliIo(world: EmulatorWorld): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    // ARM reads (paged lists, one config read per app); test/e2e/resourceGraph.test.ts covers Resource Graph.
    env: { LOCKDOWN_ARM_ENDPOINT: world.emulator.url, LOCKDOWN_ARM_TOKEN: OPERATOR_TOKEN, LOCKDOWN_POLL_INTERVAL_MS: '0', LOCKDOWN_OBSERVATION_SOURCE: 'arm' },
  };
}

/** Flips every discovered file to enforce, as a reviewer adopting the proposals would. */
function enforce(folder: string): void {
  for (const file of readdirSync(folder)) {
    const full = path.join(folder, file);
    writeFileSync(full, readFileSync(full, 'utf8').replace(/^  mode: audit$/m, '  mode: enforce'));
  }
}

let world: EmulatorWorld;
let out: string;
beforeEach(async () => {
  world = await startEmulatorWorld({ topology: estate(), listPageSize: 2 });
  out = mkdtempSync(path.join(tmpdir(), 'lockdown-discovered-'));
});
afterEach(async () => {
  await world.stop();
  rmSync(out, { recursive: true, force: true });
});

describe('lockdown discover', () => {
  it('proposes the pairs the estate implies, each in a file of its own, in audit mode, with its evidence', async () => {
    const report = await discover({ scope, port: world.port, outDir: out });
    expect(pairs(report)).toEqual([
      [app.audit, app.inventory],
      [app.orders, app.payments],
      [app.reports, app.stock],
    ]);
    const stock = report.proposals.find((proposal) => proposal.callees[0].id === app.stock)!;
    expect(stock.subnetId).toMatch(/\/subnets\/reports$/);
    expect(stock.alsoAllow.map((entry) => entry.allow)).toEqual([{ name: 'build-agents', ipAddress: '203.0.113.0/24' }]);
    expect(stock.callees[0].scm).toEqual({ kind: 'rules', allow: [{ name: 'build-agents', ipAddress: '203.0.113.0/24' }] });
    // audit-web calls by address and has no subnet: it joins the one free App Service subnet.
    expect(report.proposals.find((proposal) => proposal.callees[0].id === app.inventory)!.subnetId).toMatch(/\/subnets\/spare$/);

    expect(readdirSync(out).sort()).toEqual(report.proposals.map((proposal) => `${proposal.name}.yaml`).sort());
    for (const file of readdirSync(out)) {
      const text = readFileSync(path.join(out, file), 'utf8');
      expect(text).toMatch(/^  mode: audit$/m);
      expect(text).toMatch(/^# Evidence:$/m);
    }
    expect(readFileSync(path.join(out, `${stock.name}.yaml`), 'utf8')).toContain('calls from outbound address 20.60.1.20, which rule reports-a allows');
  });

  it('lists open callees as unprotected, and sources it cannot attribute', async () => {
    const report = await discover({ scope, port: world.port, outDir: out });
    expect(report.unprotected).toEqual(expect.arrayContaining([{ id: app.legacy, reason: expect.stringContaining('default action is Allow') }]));
    expect(report.unprotected).toEqual(expect.arrayContaining([{ id: app.inventory, reason: expect.stringContaining('SCM') }]));
    expect(report.unattributed.map((source) => [source.callee, source.keptAs])).toEqual(
      expect.arrayContaining([
        [site('fn', 'ledger-func'), 'alsoAllow'],
        [app.stock, 'alsoAllow'],
      ]),
    );
    expect(report.notProposed.map((finding) => finding.id)).toEqual([site('fn', 'ledger-func')]);
  });

  it('reads the slots of apps that deny by default: an open slot is unprotected, and each slot is reported with what enforcing does to it', async () => {
    const report = await discover({ scope, port: world.port, outDir: out });
    const policyOf = (callee: string) => report.proposals.find((proposal) => proposal.callees[0].id === callee)!.name;
    expect(report.slots).toEqual([
      { app: app.ledger, slot: slot.preview, state: 'wider', reason: 'partner (192.0.2.0/24), which ledger-func does not admit', lockedBy: [] },
      { app: app.payments, slot: slot.staging, state: 'open', reason: 'its default action is Allow: it admits the internet', lockedBy: [policyOf(app.payments)] },
      { app: app.stock, slot: slot.canary, state: 'locked', reason: 'it admits no source stock-func does not', lockedBy: [policyOf(app.stock)] },
    ]);
    expect(report.unprotected.filter((finding) => finding.id.includes('/slots/'))).toEqual([
      { id: slot.staging, reason: `a deployment slot of payments-func: its default action is Allow: it admits the internet; enforcing ${policyOf(app.payments)} locks it like payments-func` },
    ]);
    expect(policyText(report, app.payments)).toContain('#     deployment slot staging: open to the internet (its default action is Allow: it admits the internet); enforcing locks it like the callee\n');
    expect(policyText(report, app.stock)).toContain('#     deployment slot canary: locked (it admits no source stock-func does not); enforcing keeps it locked like the callee\n');
    // One list per app that denies by default; an open app's slots are not read (legacy-func, orders-web...).
    const listed = world.emulator.admin.requests().filter((exchange) => exchange.operationId === 'WebApps_ListSlots').map((exchange) => exchange.url.split('?')[0].toLowerCase());
    expect([...new Set(listed)].sort()).toEqual([app.inventory, app.ledger, app.payments, app.stock].map((id) => `${id}/slots`.toLowerCase()).sort());
    // The plan if enforced locks the open slot and rewrites the locked one like its app; the slot of an app with no pair is left alone.
    const planned = new Set(report.planIfEnforced.actions.map((action) => action.resourceId.toLowerCase()));
    expect([slot.staging, slot.canary, slot.preview].map((id) => planned.has(id.toLowerCase()))).toEqual([true, true, false]);
  });

  it('shows the slots and the slot writes of the plan in the text summary', async () => {
    const io = cliIo(world);
    expect(await runCli(['discover', '--subscription', SUB, '--out', out], io)).toBe(0);
    const [summary, plan] = io.out.join('\n').split('If every proposal were enforced:');
    expect(summary).toMatch(/\nUnprotected \(open to the internet\):\n(?: {2}.*\n)* {2}payments-func\/staging: a deployment slot of payments-func: its default action is Allow/);
    expect(summary).toMatch(
      /\nDeployment slots of apps that deny by default:\n {2}ledger-func\/preview: admits more than its app: partner \(192\.0\.2\.0\/24\), which ledger-func does not admit; no pair is proposed for ledger-func\n {2}payments-func\/staging: open to the internet: .*; enforcing payments-func-from-hub-apps locks it like payments-func\n {2}stock-func\/canary: locked: .*; enforcing stock-func-from-hub-reports keeps it locked like stock-func\n/,
    );
    expect(plan).toMatch(/^~ callee payments-func\/staging: .*ipSecurityRestrictionsDefaultAction Allow → Deny/m);
    expect(plan).toMatch(/^~ callee stock-func\/canary: /m);
    expect(plan).not.toMatch(/ledger-func\/preview/);
  });

  it('only reads: every request it sends is a GET, and the emulator records no new state', async () => {
    const io = cliIo(world);
    expect(await runCli(['discover', '--subscription', SUB, '--out', out], io)).toBe(0);
    const requests = world.emulator.admin.requests();
    expect(requests.length).toBeGreaterThan(0);
    expect([...new Set(requests.map((request) => request.method))]).toEqual(['GET']);
    // Paged lists: listPageSize 2 and eight apps take four pages.
    expect(requests.filter((request) => request.url.includes('/providers/Microsoft.Web/sites?'))).toHaveLength(4);
    expect(world.emulator.admin.history()).toHaveLength(1);
    expect(io.out.join('\n')).toContain('If every proposal were enforced:');
  });

  it('prints the same summary as JSON (with the plan if enforced) and as Markdown', async () => {
    const json = cliIo(world);
    expect(await runCli(['discover', '--subscription', SUB, '--out', out, '-o', 'json'], json)).toBe(0);
    const report = JSON.parse(json.out.join('\n')) as DiscoveryReport;
    expect(report.formatVersion).toBe(1);
    expect(report.proposals).toHaveLength(3);
    expect(report.planIfEnforced.actions.length).toBeGreaterThan(0);
    expect(report.slots.map((finding) => [finding.slot, finding.state])).toEqual([
      [slot.preview, 'wider'],
      [slot.staging, 'open'],
      [slot.canary, 'locked'],
    ]);
    const markdown = cliIo(world);
    expect(await runCli(['discover', '--subscription', SUB, '--out', out, '--force', '-o', 'markdown'], markdown)).toBe(0);
    expect(markdown.out.join('\n')).toMatch(/^### Lockdown discovery[\s\S]*#### Unprotected[\s\S]*#### Deployment slots of apps that deny by default\n\n[\s\S]*- payments-func\/staging: open to the internet[\s\S]*#### If every proposal were enforced[\s\S]*\| `~` \|/);
  });

  it('writes policies that validate cleanly and that change nothing while in audit mode', async () => {
    const io = cliIo(world);
    await discover({ scope, port: world.port, outDir: out });
    expect(await runCli(['validate', out], io)).toBe(0);
    expect(io.err).toEqual([]);
    const tick = await world.tick({ policyPaths: [out] });
    expect(tick.plan.actions.length).toBeGreaterThan(0);
    expect(tick.plan.actions.every((action) => !action.enforcement.apply && action.enforcement.reason === 'audit')).toBe(true);
    expect(world.writes()).toEqual([]);
  });

  it('once enforced, plans exactly what the summary announced and converges without cutting a discovered caller off', async () => {
    const report = await discover({ scope, port: world.port, outDir: out });
    const discovered = pairs(report);
    const seed = world.emulator.admin.history()[0];
    for (const [caller, callee] of discovered) expect(reaches(seed, caller, callee)).toBe(true);
    expect(reaches(seed, app.audit, app.payments)).toBe(false); // the check can fail

    enforce(out);
    const plan = await world.tick({ policyPaths: [out], apply: false });
    expect(writes(plan.plan)).toEqual(writes(report.planIfEnforced));
    expect(plan.plan.conditions.filter((condition) => condition.severity === 'error')).toEqual([]);

    const applied = await world.tick({ policyPaths: [out] });
    expect(applied.apply!.outcomes.filter((outcome) => outcome.outcome === 'failed' || outcome.outcome === 'skipped')).toEqual([]);
    const history = world.emulator.admin.history();
    expect(history.length).toBeGreaterThan(report.planIfEnforced.actions.length);
    for (const state of history) {
      for (const [caller, callee] of discovered) expect({ seq: state.seq, cause: state.cause, caller, callee, reaches: reaches(state, caller, callee) }).toMatchObject({ reaches: true });
    }
    const after = await world.tick({ policyPaths: [out], apply: false });
    expect(after.plan.actions).toEqual([]);
    // The open slot ends locked like its app, the locked one is rewritten like its app, the slot of an app with no pair is untouched.
    const end = world.emulator.admin.state();
    expect(rulesOf(seed, slot.staging).defaultAction).not.toBe('Deny'); // seeded open (ARM's implicit Allow)
    expect(rulesOf(end, slot.staging)).toEqual(rulesOf(end, app.payments));
    expect(rulesOf(end, slot.staging)).toEqual({ defaultAction: 'Deny', sources: [expect.stringMatching(/\/subnets\/apps$/)], scmUseMain: true });
    expect(rulesOf(end, slot.canary)).toEqual(rulesOf(end, app.stock));
    expect(rulesOf(end, slot.canary).sources).toEqual([expect.stringMatching(/\/subnets\/reports$/), '203.0.113.0/24']);
    expect(rulesOf(end, slot.preview)).toEqual(rulesOf(seed, slot.preview));
  });

  it('on an estate Lockdown already locked, proposes the same policies back and plan shows no changes', async () => {
    const first = await discover({ scope, port: world.port, outDir: out });
    enforce(out);
    await world.tick({ policyPaths: [out] });

    const again = mkdtempSync(path.join(tmpdir(), 'lockdown-rediscovered-'));
    try {
      const second = await discover({ scope, port: world.port, outDir: again });
      expect(second.proposals.map((proposal) => proposal.name)).toEqual(first.proposals.map((proposal) => proposal.name));
      expect(second.planIfEnforced.actions).toEqual([]);
      // Slots included: the slots of the proposed callees are now locked like them.
      expect(second.slots.map((finding) => [finding.slot, finding.state])).toEqual([
        [slot.preview, 'wider'],
        [slot.staging, 'locked'],
        [slot.canary, 'locked'],
      ]);
      expect(second.unprotected.map((finding) => finding.id)).not.toContain(slot.staging);
      enforce(again);
      const plan = await world.tick({ policyPaths: [again], apply: false });
      expect(plan.plan.actions).toEqual([]);
      expect(plan.plan.conditions.filter((condition) => condition.severity === 'error')).toEqual([]);
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });

  it('refuses to overwrite an existing policy file unless --force is given', async () => {
    const io = cliIo(world);
    expect(await runCli(['discover', '--subscription', SUB, '--out', out], io)).toBe(0);
    const [file] = readdirSync(out);
    writeFileSync(path.join(out, file), '# reviewed by hand\n');
    expect(await runCli(['discover', '--subscription', SUB, '--out', out], io)).toBe(1);
    expect(io.out.join('\n')).toContain('exists (use --force to overwrite)');
    expect(readFileSync(path.join(out, file), 'utf8')).toBe('# reviewed by hand\n');
    expect(await runCli(['discover', '--subscription', SUB, '--out', out, '--force'], io)).toBe(0);
    expect(readFileSync(path.join(out, file), 'utf8')).toMatch(/^  mode: audit$/m);
  });

  it('reports access rules it cannot read (403) and proposes nothing from them', async () => {
    world.emulator.admin.setRbac(['Microsoft.Web/sites/read', 'Microsoft.Web/serverfarms/read', 'Microsoft.Network/virtualNetworks/read']);
    const report = await discover({ scope, port: world.port, outDir: out });
    expect(report.proposals).toEqual([]);
    expect(report.unreadable).toHaveLength(8);
    expect(report.unreadable.every((entry) => entry.what === 'access rules' && entry.statusCode === 403)).toBe(true);
    expect(readdirSync(out)).toEqual([]);
  });

  it('reports an app whose access rules answer 409, and still proposes the pairs it could read', async () => {
    world.emulator.admin.addFault({ method: 'GET', pathPattern: '/sites/stock-func/config/web$', kind: 'anotherOperationInProgress', status: 409 });
    const report = await discover({ scope, port: world.port, outDir: out });
    expect(report.unreadable).toEqual([expect.objectContaining({ resourceId: app.stock, what: 'access rules', statusCode: 409 })]);
    expect(pairs(report)).toEqual([
      [app.audit, app.inventory],
      [app.orders, app.payments],
    ]);
  });

  it('reports a slot whose access rules it cannot read as unreadable, and guesses nothing about it', async () => {
    world.emulator.admin.addFault({ method: 'GET', pathPattern: '/sites/payments-func/slots/staging/config/web$', kind: 'anotherOperationInProgress', status: 409 });
    const report = await discover({ scope, port: world.port, outDir: out });
    expect(report.unreadable).toEqual([expect.objectContaining({ resourceId: slot.staging, what: 'access rules', statusCode: 409 })]);
    expect(report.slots.find((finding) => finding.slot === slot.staging)).toEqual({
      app: app.payments,
      slot: slot.staging,
      state: 'unreadable',
      reason: 'its access rules could not be read (409 AnotherOperationInProgress): whether it is open is not known',
      lockedBy: [report.proposals.find((proposal) => proposal.callees[0].id === app.payments)!.name],
    });
    expect(report.unprotected.map((finding) => finding.id)).not.toContain(slot.staging);
    expect(policyText(report, app.payments)).toContain('#     deployment slot staging: its access rules could not be read (409 AnotherOperationInProgress): whether it is open is not known\n');
    expect(pairs(report)).toHaveLength(3);
  });

  it('reports a slot list it cannot read, and says nothing about the slots it did not see', async () => {
    // Twice: discovery's read, then the plan's observe.
    world.emulator.admin.addFault({ method: 'GET', pathPattern: '/sites/stock-func/slots$', kind: 'anotherOperationInProgress', status: 409, times: 2 });
    const report = await discover({ scope, port: world.port, outDir: out });
    expect(report.unreadable).toEqual([expect.objectContaining({ resourceId: app.stock, what: 'deployment slots', statusCode: 409 })]);
    expect(report.slots.filter((finding) => finding.app === app.stock)).toEqual([
      { app: app.stock, state: 'unreadable', reason: expect.stringMatching(/^its deployment slots could not be listed \(409 AnotherOperationInProgress\): whether one is open is not known$/), lockedBy: [expect.any(String)] },
    ]);
    const { planIfEnforced, ...findings } = report;
    expect(JSON.stringify(findings).toLowerCase()).not.toContain('slots/canary');
    // The plan if enforced does not guess either: the pair is not ready, and canary is not planned.
    expect(planIfEnforced.conditions).toEqual([expect.objectContaining({ severity: 'error', reason: 'SlotsUnreadable', resourceId: app.stock })]);
    expect(planIfEnforced.actions.map((action) => action.resourceId.toLowerCase())).not.toContain(slot.canary.toLowerCase());
    expect(policyText(report, app.stock)).toContain('#     its deployment slots could not be listed (409 AnotherOperationInProgress): whether one is open is not known\n');
  });

  it('reports a list it cannot read, and infers nothing from what is missing', async () => {
    world.emulator.admin.setRbac(['Microsoft.Web/*']);
    const report = await discover({ scope, port: world.port, outDir: out });
    expect(report.unreadable).toEqual([expect.objectContaining({ resourceId: `/subscriptions/${SUB}`, what: 'virtual networks', statusCode: 403 })]);
    // Without the virtual networks no free subnet is known: audit-web's address stays allowed.
    expect(report.unresolved).toEqual([expect.objectContaining({ caller: app.audit, callee: app.inventory })]);
    expect(report.proposals.map((proposal) => proposal.callees[0].id)).not.toContain(app.inventory);
  });

  it('rejects a missing or malformed scope before reading anything', async () => {
    const io = cliIo(world);
    expect(await runCli(['discover'], io)).toBe(1);
    expect(await runCli(['discover', '--subscription', 'not-a-guid'], io)).toBe(1);
    expect(await runCli(['discover', '--subscription', SUB, '--resource-group', '../x'], io)).toBe(1);
    expect(io.err.join('\n')).toMatch(/--subscription is required[\s\S]*not a subscription id[\s\S]*not a resource group name/);
    expect(world.emulator.admin.requests()).toEqual([]);
  });
});
