/**
 * The demo: the embedded ARM emulator, seeded with an open web app → function pair, and
 * Lockdown run against it exactly as in Azure (same CLI, same ARM port, same SDKs).
 *   1. validate and plan the policies in policies/
 *   2. apply: the pair is locked down
 *   3. someone opens the function "just for a test" in the portal
 *   4. the next timer tick detects and repairs it, and alerts with who did it
 *   5. lockdown status / history read the state the Function keeps (Azurite, in memory)
 * Run: npm run demo
 */
import { InvocationContext } from '@azure/functions';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { startEmulator } from '../emulator/src/index';
import type { Topology } from '../emulator/src/types';
import { runCli } from '../src/cli/main';
import { reconcileTimer } from '../src/functions/reconcileTimer';
import { startAzurite } from '../test/support/azurite';

const ROOT = path.resolve(__dirname, '..');
const TOKEN = 'demo-operator-token';
const PAYMENTS = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/fn/providers/Microsoft.Web/sites/payments-func';

function banner(text: string): void {
  process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
}

async function main(): Promise<void> {
  const topology = JSON.parse(readFileSync(path.join(ROOT, 'emulator/topologies/demo.json'), 'utf8')) as Topology;
  const emulator = await startEmulator({
    topology,
    retryAfterSeconds: 0,
    identities: { [TOKEN]: { caller: 'lockdown-operator (managed identity)', principalType: 'ServicePrincipal' } },
  });
  const azurite = await startAzurite();
  const env = {
    ...process.env,
    LOCKDOWN_ARM_ENDPOINT: emulator.url,
    LOCKDOWN_ARM_TOKEN: TOKEN,
    LOCKDOWN_POLL_INTERVAL_MS: '0',
    LOCKDOWN_STATE_CONNECTION: azurite.connectionString,
  };
  const io = { stdout: (text: string) => process.stdout.write(`${text}\n`), stderr: (text: string) => process.stderr.write(`${text}\n`), env };
  const policies = path.join(ROOT, 'policies');
  try {
    process.stdout.write(`ARM emulator at ${emulator.url}, seeded with the demo topology (an open orders-web → payments-func pair)\n`);

    banner('lockdown validate policies/');
    await runCli(['validate', policies], io);

    banner('lockdown plan policies/');
    await runCli(['plan', policies], io);

    banner('lockdown apply policies/');
    await runCli(['apply', policies], io);

    banner('lockdown plan policies/ (right after apply)');
    await runCli(['plan', policies], io);

    Object.assign(process.env, {
      LOCKDOWN_ARM_ENDPOINT: emulator.url,
      LOCKDOWN_ARM_TOKEN: TOKEN,
      LOCKDOWN_POLICY_PATHS: policies,
      LOCKDOWN_LOG_LEVEL: 'info',
      LOCKDOWN_STATE_CONNECTION: azurite.connectionString,
      LOCKDOWN_OWN_CALLERS: 'lockdown-operator (managed identity)',
    });
    banner('timer tick (the Function handler, as the Functions host runs it): nothing to do');
    await timerTick('demo-tick-1');

    banner('alice@contoso.com opens payments-func in the portal "just for a test"');
    const config = (await emulator.admin.outOfBand('alice@contoso.com', { method: 'GET', path: `${PAYMENTS}/config/web` })).body as {
      properties: { ipSecurityRestrictions: { priority?: number }[] };
    };
    const kept = config.properties.ipSecurityRestrictions.filter((rule) => rule.priority !== 2147483647);
    const change = await emulator.admin.outOfBand('alice@contoso.com', {
      method: 'PATCH',
      path: `${PAYMENTS}/config/web`,
      body: {
        properties: {
          ipSecurityRestrictions: [...kept, { name: 'just-a-test', ipAddress: '0.0.0.0/0', action: 'Allow', priority: 50 }],
          ipSecurityRestrictionsDefaultAction: 'Allow',
        },
      },
    });
    process.stdout.write(`portal PATCH answered ${change.status}\n`);

    banner('next timer tick: the drift is repaired and alerted, with who did it');
    await timerTick('demo-tick-2');

    banner('lockdown plan policies/ (after the repair)');
    await runCli(['plan', policies], io);

    banner('lockdown status');
    await runCli(['status'], io);

    banner('lockdown history orders-to-payments');
    await runCli(['history', 'orders-to-payments'], io);

    const writes = emulator.admin.requests().filter((exchange) => exchange.method !== 'GET');
    banner('what ARM saw');
    for (const exchange of writes) process.stdout.write(`${exchange.status} ${exchange.method} ${exchange.url.split('?')[0]} by ${exchange.caller}\n`);
  } finally {
    await emulator.stop();
    await azurite.stop();
  }
}

const SHOWN_EVENTS = new Set(['lockdown.plan', 'lockdown.drift', 'lockdown.outcome', 'lockdown.alert']);

/** Runs the timer handler once and prints its main log lines. */
async function timerTick(invocationId: string): Promise<void> {
  const context = new InvocationContext({
    functionName: 'lockdownReconcile',
    invocationId,
    logHandler: (level, ...args) => {
      const line = args.map(String).join(' ');
      try {
        const entry = JSON.parse(line) as { msg: string; event?: string; actor?: unknown };
        if (entry.event && SHOWN_EVENTS.has(entry.event)) {
          process.stdout.write(`[${level}] ${entry.event}: ${entry.msg}${entry.actor ? ` (actor: ${JSON.stringify(entry.actor)})` : ''}\n`);
        }
      } catch {
        process.stdout.write(`[${level}] ${line}\n`);
      }
    },
  });
  const summary = await reconcileTimer({ isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } }, context);
  const alerts = summary.alerts?.alerting;
  process.stdout.write(
    `tick ${summary.tickId}: ${summary.actions} change(s), outcomes ${JSON.stringify(summary.outcomes)}, alerts sent ${alerts?.delivered.length ?? 0}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
});
