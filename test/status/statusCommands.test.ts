/** `lockdown status`, `lockdown history` and the lockdownStatus HTTP function read the same store. */
import { HttpRequest, InvocationContext } from '@azure/functions';
import { runCli } from '../../src/cli/main';
import { statusHttp } from '../../src/functions/statusHttp';
import { startAlertWorld, type AlertWorld } from '../support/alertHarness';
import { ids, pairPolicy } from '../support/emulatorWorld';

let alerts: AlertWorld;
beforeAll(async () => {
  alerts = await startAlertWorld();
  alerts.world.writePolicies({ 'orders.yaml': pairPolicy({ mode: 'audit' }) });
  await alerts.world.emulator.admin.outOfBand('erin@example.test', { method: 'PATCH', path: `${ids.payments}/config/web`, body: { properties: { publicNetworkAccess: 'Disabled' } } });
  await alerts.tickAndAlert();
});
afterAll(() => alerts.stop());

function cli(args: string[], env: Record<string, string | undefined> = alerts.env) {
  const out: string[] = [];
  const err: string[] = [];
  return runCli(args, { stdout: (text) => out.push(text), stderr: (text) => err.push(text), env }).then((code) => ({ code, out: out.join('\n'), err: err.join('\n') }));
}

describe('status and history commands', () => {
  it('lockdown status prints a table of every pair', async () => {
    const result = await cli(['status']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^POLICY\s+PAIR\s+READY\s+DRIFTED\s+DEGRADED/);
    expect(result.out).toMatch(/orders-to-payments\s+orders-web→payments-func\s+False\s+True\s+False\s+AuditMode/);
  });

  it('lockdown status --output json and the HTTP function return the same JSON', async () => {
    const result = await cli(['status', '--output', 'json']);
    const json = JSON.parse(result.out);
    expect(json).toMatchObject({ formatVersion: 1, pairs: [{ policy: 'orders-to-payments', observedGeneration: expect.any(String), conditions: expect.any(Array) }] });
    const context = new InvocationContext({ functionName: 'lockdownStatus', invocationId: 'status-test', logHandler: () => undefined });
    const response = await statusHttp(new HttpRequest({ method: 'GET', url: 'http://localhost/api/lockdown/status' }), context, alerts.store);
    expect(response.status).toBe(200);
    expect(response.jsonBody).toEqual(json);
  });

  it('lockdown history <policy> and <caller→callee> show the drift with its actor', async () => {
    const byPolicy = await cli(['history', 'orders-to-payments', '--limit', '50']);
    expect(byPolicy.code).toBe(0);
    expect(byPolicy.out).toContain('publicNetworkAccess');
    expect(byPolicy.out).toContain('changed by erin@example.test');
    for (const pair of ['orders-web→payments-func', 'orders-web->payments-func', `${ids.orders}->${ids.payments}`]) {
      const json = JSON.parse((await cli(['history', pair, '--output', 'json'])).out);
      expect(json.entries.find((entry: any) => entry.field === 'publicNetworkAccess')).toMatchObject({ kind: 'detected', actor: { caller: 'erin@example.test' } });
    }
    expect(JSON.parse((await cli(['history', 'orders-to-payments', '--limit', '1', '-o', 'json'])).out).entries).toHaveLength(1);
    expect(JSON.parse((await cli(['history', 'no-such-policy', '-o', 'json'])).out).entries).toEqual([]);
  });

  it('explains a missing state connection and a bad --limit', async () => {
    expect(await cli(['status'], {})).toMatchObject({ code: 1, err: expect.stringContaining('LOCKDOWN_STATE_CONNECTION') });
    expect((await cli(['history'])).code).toBe(1);
    expect((await cli(['history', 'orders-to-payments', '--limit', 'zero'])).code).toBe(1);
  });
});
