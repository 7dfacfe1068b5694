/** One `lockdown validate` in a fresh process: prints its exit code, time and peak memory as JSON (for the policy soak). */
import { performance } from 'node:perf_hooks';
import { runCli } from '../../src/cli/main';

async function measure(): Promise<void> {
  const [folder, follow] = process.argv.slice(2);
  const started = performance.now();
  const code = await runCli(['validate', folder, ...(follow === 'follow' ? ['--follow-external-links'] : [])], { stdout: () => undefined, stderr: () => undefined, env: {} });
  const ms = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ code, ms, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
}

void measure();
