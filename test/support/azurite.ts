/**
 * Azurite (Table service only), in memory, on a free loopback port: started once per jest
 * run by the global setup, shared by every worker through LOCKDOWN_TEST_STATE_CONNECTION.
 * Tests isolate themselves with their own table names (see `testTables`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const TEST_STATE_ENV = 'LOCKDOWN_TEST_STATE_CONNECTION';
const ACCOUNT = 'devstoreaccount1';
/** Azurite's well-known development key (public, documented), not a secret. */
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface RunningAzurite {
  connectionString: string;
  process: ChildProcess;
  workspace: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function startOnce(port: number, workspace: string): Promise<ChildProcess> {
  const main = require.resolve('azurite/dist/src/table/main.js');
  const child = spawn(
    process.execPath,
    [main, '--tableHost', '127.0.0.1', '--tablePort', String(port), '--inMemoryPersistence', '--skipApiVersionCheck', '--disableTelemetry', '--silent'],
    // Azurite needs no extra CA (and a relative NODE_EXTRA_CA_CERTS would not resolve from its cwd).
    { cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_EXTRA_CA_CERTS: undefined } },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`Azurite did not start within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/successfully (started|listening)/i.test(output)) {
        clearTimeout(timer);
        resolve();
      } else if (/EADDRINUSE/.test(output)) {
        clearTimeout(timer);
        reject(new Error(`Azurite failed to start:\n${output}`));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with ${code}:\n${output}`));
    });
  });
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

export async function startAzurite(): Promise<RunningAzurite> {
  const workspace = mkdtempSync(path.join(tmpdir(), 'lockdown-azurite-'));
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      const child = await startOnce(port, workspace);
      child.removeAllListeners('exit');
      return {
        connectionString: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${DEV_KEY};TableEndpoint=http://127.0.0.1:${port}/${ACCOUNT};`,
        process: child,
        workspace,
        stop: () =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }).finally(() => rmSync(workspace, { recursive: true, force: true })),
      };
    } catch (error) {
      lastError = error; // most likely the port was taken between probing and binding: try another
    }
  }
  rmSync(workspace, { recursive: true, force: true });
  throw lastError;
}

/** Table names of one test: unique per call, valid for Table Storage (letters and digits); `prefix` is LOCKDOWN_STATE_TABLE_PREFIX. */
export function testTables(label: string): { prefix: string; drift: string; status: string; history: string } {
  const prefix = `t${label.replace(/[^a-z0-9]/gi, '').slice(0, 12)}${Math.random().toString(36).slice(2, 10)}`.toLowerCase();
  return { prefix, drift: `${prefix}drift`, status: `${prefix}status`, history: `${prefix}history` };
}

export function testStateConnection(): string {
  const connection = process.env[TEST_STATE_ENV];
  if (!connection) throw new Error(`${TEST_STATE_ENV} is not set: run the tests through jest (its globalSetup starts Azurite)`);
  return connection;
}
