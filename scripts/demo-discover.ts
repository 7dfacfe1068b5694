/**
 * Onboarding demo: the embedded ARM emulator seeded with an estate partly locked by hand
 * (emulator/topologies/estate.json, deployment slots included: payments-func/staging open,
 * stock-func/canary locked, ledger-func/preview admitting more than its app), and `lockdown
 * discover` run against it, then the usual validate / plan / apply on what it proposed, exactly
 * as against Azure.
 *   1. discover: one audit-mode policy per pair the estate implies, and a summary (the open slot
 *      among the unprotected, every slot of the apps that deny by default, the slot writes in the plan)
 *   2. validate and plan them (audit: nothing would be written)
 *   3. flip them to enforce, plan (the changes the summary announced), apply, plan (no changes),
 *      and the open slot's access restrictions afterwards
 * Run: npm run demo:discover
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulator } from '../emulator/src/index';
import type { Topology } from '../emulator/src/types';
import { runCli } from '../src/cli/main';

const ROOT = path.resolve(__dirname, '..');

function banner(text: string): void {
  process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
}

async function main(): Promise<void> {
  const topology = JSON.parse(readFileSync(path.join(ROOT, 'emulator/topologies/estate.json'), 'utf8')) as Topology;
  const emulator = await startEmulator({ topology, retryAfterSeconds: 0 });
  const env = { ...process.env, LOCKDOWN_ARM_ENDPOINT: emulator.url, LOCKDOWN_ARM_TOKEN: 'demo-operator-token', LOCKDOWN_POLL_INTERVAL_MS: '0' };
  const io = { stdout: (text: string) => process.stdout.write(`${text}\n`), stderr: (text: string) => process.stderr.write(`${text}\n`), env };
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'lockdown-demo-')), 'discovered');
  try {
    process.stdout.write(`ARM emulator at ${emulator.url}, seeded with an estate partly locked by hand (emulator/topologies/estate.json)\n`);

    banner(`lockdown discover --subscription ${topology.subscriptionId} --out ${out}`);
    await runCli(['discover', '--subscription', topology.subscriptionId, '--out', out], io);
    const files = readdirSync(out).sort();
    banner(`${files[files.length - 1]}`);
    process.stdout.write(readFileSync(path.join(out, files[files.length - 1]), 'utf8'));

    banner('lockdown validate, plan (the proposals are in audit mode: nothing would be written)');
    await runCli(['validate', out], io);
    await runCli(['plan', out], io);

    banner('flip every proposal to mode: enforce, then plan, apply, plan');
    for (const file of files) writeFileSync(path.join(out, file), readFileSync(path.join(out, file), 'utf8').replace(/^ {2}mode: audit$/m, '  mode: enforce'));
    await runCli(['plan', out], io);
    await runCli(['apply', out], io);
    await runCli(['plan', out], io);

    const staging = Object.entries(emulator.admin.state().siteConfigs).find(([id]) => /\/sites\/payments-func\/slots\/staging\/config\/web$/i.test(id));
    const properties = (staging?.[1] as { properties?: { ipSecurityRestrictionsDefaultAction?: string; ipSecurityRestrictions?: { name?: string; action?: string }[] } } | undefined)?.properties;
    banner('payments-func/staging, the slot that was open, after apply');
    process.stdout.write(
      `default action ${properties?.ipSecurityRestrictionsDefaultAction}; allowed: ${(properties?.ipSecurityRestrictions ?? []).filter((rule) => rule.action === 'Allow').map((rule) => rule.name).join(', ')}\n`,
    );
  } finally {
    await emulator.stop();
    rmSync(path.dirname(out), { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
});
