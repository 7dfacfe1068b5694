/** `lockdown scopes`: where the role must be assigned, from the policies. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli/main';

function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  return runCli(args, { stdout: (text) => out.push(text), stderr: (text) => err.push(text), env: {} }).then((code) => ({ code, out: out.join('\n'), err: err.join('\n') }));
}

const sub = (n: number) => `${n}`.repeat(8) + '-0000-0000-0000-000000000000';
function policy(name: string, subnet: string, caller: string, callee: string): string {
  return `apiVersion: lockdown/v1
kind: LockdownPolicy
metadata: { name: ${name} }
spec:
  subnet: ${subnet}
  callers: [${caller}]
  callees: [{ id: ${callee} }]
`;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'lockdown-scopes-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('prints the demo policies\' resource groups as text and as the template parameter', async () => {
  const text = await cli(['scopes', 'policies/']);
  expect(text.code).toBe(0);
  expect(text.out).toContain('/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web  caller orders-web');
  expect(text.out).toContain('Activity Log read at 1 subscription(s)');
  expect(readFileSync('README.md', 'utf8')).toContain(`$ lockdown scopes policies/\n${text.out}\n`);
  const json = await cli(['scopes', 'policies/', '--output', 'json']);
  expect(JSON.parse(json.out)).toEqual(['fn', 'net', 'web'].map((resourceGroup) => ({ subscriptionId: '11111111-1111-1111-1111-111111111111', resourceGroup })));
});

it('lists each resource group once across policies, case-insensitively, and every subscription for the Activity Log', async () => {
  const site = (s: number, rg: string, name: string) => `/subscriptions/${sub(s)}/resourceGroups/${rg}/providers/Microsoft.Web/sites/${name}`;
  const subnet = (s: number, rg: string) => `/subscriptions/${sub(s)}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/hub/subnets/apps`;
  writeFileSync(path.join(dir, 'a.yaml'), policy('a', subnet(1, 'net'), site(1, 'apps', 'one'), site(2, 'apps', 'two')));
  writeFileSync(path.join(dir, 'b.yaml'), policy('b', subnet(1, 'NET'), site(1, 'Apps', 'three'), site(1, 'apps', 'four')));
  const json = await cli(['scopes', dir, '-o', 'json']);
  expect(JSON.parse(json.out)).toEqual([
    { subscriptionId: sub(1), resourceGroup: 'apps' },
    { subscriptionId: sub(1), resourceGroup: 'net' },
    { subscriptionId: sub(2), resourceGroup: 'apps' },
  ]);
  const text = await cli(['scopes', dir]);
  expect(text.out).toContain('Activity Log read at 2 subscription(s)');
  expect(text.out).toMatch(/resourceGroups\/apps\s+caller one, caller three, callee four/);
});

it('refuses to print a partial list when a policy file is invalid', async () => {
  writeFileSync(path.join(dir, 'bad.yaml'), 'apiVersion: lockdown/v1\nkind: LockdownPolicy\nspec: {}\n');
  const result = await cli(['scopes', dir, '-o', 'json']);
  expect(result.code).toBe(1);
  expect(result.out).toBe('');
  expect(result.err).toContain('bad.yaml');
});
