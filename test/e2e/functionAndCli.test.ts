/**
 * The two entry points on the emulator: the timer Function handler (with an InvocationContext,
 * as the Functions host calls it) and the `lockdown` CLI.
 */
import { InvocationContext } from '@azure/functions';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { reconcileTimer } from '../../src/functions/reconcileTimer';
import { runCli } from '../../src/cli/main';
import { cliOn, ids, OPERATOR_TOKEN, pairPolicy, startEmulatorWorld, type EmulatorWorld } from '../support/emulatorWorld';

let world: EmulatorWorld;
beforeEach(async () => {
  world = await startEmulatorWorld();
  world.writePolicies({ 'orders.yaml': pairPolicy() });
});
afterEach(() => world.stop());

const cli = (args: string[]) => cliOn(world, args);

describe('timer Function', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('runs a tick with an InvocationContext and logs through the host', async () => {
    Object.assign(process.env, {
      LOCKDOWN_ARM_ENDPOINT: world.emulator.url,
      LOCKDOWN_ARM_TOKEN: OPERATOR_TOKEN,
      LOCKDOWN_POLICY_PATHS: world.policyDir,
      LOCKDOWN_LOG_LEVEL: 'info',
    });
    const lines: { level: string; text: string }[] = [];
    const context = new InvocationContext({
      functionName: 'lockdownReconcile',
      invocationId: 'test-invocation',
      logHandler: (level, ...args) => lines.push({ level, text: args.map(String).join(' ') }),
    });
    const summary = await reconcileTimer({ isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } }, context);
    expect(summary).toMatchObject({ actions: 3, outcomes: { updated: 2, created: 1 }, pending: 0, invalidFiles: [] });

    const entries = lines.map((line) => ({ ...JSON.parse(line.text), hostLevel: line.level }));
    const tickIds = new Set(entries.filter((entry) => entry.event === 'lockdown.plan' || entry.event === 'lockdown.outcome').map((entry) => entry.tickId));
    expect(tickIds.size).toBe(1);
    expect(entries.filter((entry) => entry.event === 'lockdown.outcome')).toHaveLength(3);
    expect(entries.find((entry) => entry.event === 'lockdown.plan')).toMatchObject({ hostLevel: 'information', invocationId: 'test-invocation' });
    expect(lines.map((line) => line.text).join('\n')).not.toContain(OPERATOR_TOKEN);
  });

  it('skips the tick when the time budget is already used up and reports the work pending', async () => {
    Object.assign(process.env, {
      LOCKDOWN_ARM_ENDPOINT: world.emulator.url,
      LOCKDOWN_ARM_TOKEN: OPERATOR_TOKEN,
      LOCKDOWN_POLICY_PATHS: world.policyDir,
      LOCKDOWN_TIME_BUDGET_SECONDS: '0.001',
      LOCKDOWN_LOG_LEVEL: 'silent',
    });
    const context = new InvocationContext({ functionName: 'lockdownReconcile', invocationId: 'late', logHandler: () => undefined });
    const summary = await reconcileTimer({ isPastDue: true, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } }, context);
    expect(summary.pending).toBe(3);
    expect(world.writes()).toEqual([]);
  });
});

describe('lockdown CLI', () => {
  it('plan --detailed-exitcode: 2 with changes, 0 once applied', async () => {
    const plan = await cli(['plan', world.policyDir, '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(plan.out).toContain('~ callee payments-func');
    expect(world.writes()).toEqual([]);

    const applied = await cli(['apply', world.policyDir]);
    expect(applied.code).toBe(0);
    expect(applied.out).toContain('Apply: 2 updated, 1 created.');

    const again = await cli(['plan', world.policyDir, '--detailed-exitcode']);
    expect(again.code).toBe(0);
    expect(again.out).toBe('No changes. Every declared pair matches its policy.');
  });

  it('plan --output json and markdown', async () => {
    const json = JSON.parse((await cli(['plan', world.policyDir, '-o', 'json'])).out);
    expect(json.actions.map((action: { kind: string }) => action.kind)).toHaveLength(3);
    const markdown = (await cli(['plan', world.policyDir, '--output', 'markdown'])).out;
    expect(markdown).toMatch(/^### Lockdown plan/);
  });

  it('LOCKDOWN_DRY_RUN works for the CLI too, and a value it does not understand refuses to run', async () => {
    const env = { LOCKDOWN_ARM_ENDPOINT: world.emulator.url, LOCKDOWN_ARM_TOKEN: OPERATOR_TOKEN, LOCKDOWN_POLL_INTERVAL_MS: '0' };
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (text: string) => out.push(text), stderr: (text: string) => err.push(text) };
    expect(await runCli(['apply', world.policyDir], { ...io, env: { ...env, LOCKDOWN_DRY_RUN: 'true' } })).toBe(0);
    expect(out.join('\n')).toContain('not applied: dryRun');
    expect(await runCli(['apply', world.policyDir], { ...io, env: { ...env, LOCKDOWN_DRY_RUN: 'sure' } })).toBe(1);
    expect(err.join('\n')).toContain('LOCKDOWN_DRY_RUN');
    expect(world.writes()).toEqual([]);
  });

  it('says in every output format that invalid policy files were skipped', async () => {
    world.writePolicies({ 'legacy.yaml': pairPolicy({ name: 'legacy', callees: [ids.legacy] }).replace('callers:', 'calers:') });
    const text = await cli(['plan', world.policyDir]);
    expect(text.out).toContain('1 invalid policy file(s) were skipped');
    const markdown = await cli(['plan', world.policyDir, '-o', 'markdown']);
    expect(markdown.out).toContain('1 invalid policy file(s) were skipped');
    expect(markdown.out).toMatch(/legacy\.yaml:\d+:\d+ error spec\.calers/);
    const json = JSON.parse((await cli(['plan', world.policyDir, '-o', 'json'])).out);
    expect(json.invalidPolicyFiles).toEqual([expect.stringMatching(/legacy\.yaml$/)]);
    expect(json.policyProblems[0]).toMatchObject({ path: 'spec.calers', severity: 'error' });
  });

  it('apply --dry-run writes nothing', async () => {
    const result = await cli(['apply', world.policyDir, '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.out).toContain('not applied: dryRun');
    expect(world.writes()).toEqual([]);
  });

  it('validate fails with file:line:column on an invalid file; plan goes on unless told to fail', async () => {
    world.writePolicies({ 'bad.yaml': pairPolicy({ name: 'bad' }).replace('mode: enforce', 'mode: enforse') });
    const validate = await cli(['validate', world.policyDir]);
    expect(validate.code).toBe(1);
    expect(validate.err).toMatch(/bad\.yaml:\d+:\d+ error spec\.mode/);
    expect((await cli(['plan', world.policyDir])).code).toBe(0);
    world.emulator.admin.clearRequests();
    const strict = await cli(['apply', world.policyDir, '--fail-on-invalid']);
    expect(strict.code).toBe(1);
    expect(strict.err).toContain('nothing was planned or written');
    expect(world.emulator.admin.requests()).toEqual([]); // stopped before observing anything
  });

  it('exits 1 when pairs cannot be read, even with --detailed-exitcode', async () => {
    world.emulator.admin.setRbac(['Microsoft.Web/sites/read']);
    const result = await cli(['plan', world.policyDir, '--detailed-exitcode']);
    expect(result.code).toBe(1);
    expect(result.out).toContain('AuthorizationFailed');
    expect(result.out).not.toContain('Every declared pair matches');
  });

  it('schema prints the JSON Schema', async () => {
    const schema = JSON.parse((await cli(['schema'])).out);
    expect(schema.$schema).toMatch(/json-schema/);
  });

  it('rejects an unknown command and an unknown output format', async () => {
    expect((await cli(['destroy'])).code).toBe(1);
    expect((await cli(['plan', '-o', 'yaml'])).code).toBe(1);
  });
});

describe('the packaged entry points', () => {
  it('bin/lockdown.js runs the compiled CLI (npm ci builds dist/ through `prepare`)', () => {
    const root = path.resolve(__dirname, '../..');
    const result = spawnSync(process.execPath, ['bin/lockdown.js', 'validate', 'policies'], { cwd: root, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^\d+ file\(s\), \d+ valid polic(y|ies), 0 error\(s\)\.$/m);
    expect(result.status).toBe(0);
  });

  it('the Function app entry registers its functions without the host', () => {
    expect(() => require('../../src/functions/index')).not.toThrow();
  });
});
