/**
 * Cold start: a command or the Function entry loads an Azure SDK only when it calls Azure.
 * Each case runs in a fresh Node process and lists the packages in its require cache.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const AZURE_SDKS = ['@azure/arm-appservice', '@azure/arm-network', '@azure/arm-monitor', '@azure/identity', '@azure/data-tables', '@azure/core-rest-pipeline'];

/** Runs `script` (CommonJS, TypeScript sources through tsx) and answers the packages it loaded. */
function packagesLoadedBy(script: string): string[] {
  const report = `const names = new Set(Object.keys(require.cache).filter((file) => file.includes('/node_modules/')).map((file) => { const parts = file.split('/node_modules/').pop().split('/'); return parts[0].startsWith('@') ? parts[0] + '/' + parts[1] : parts[0]; })); process.stdout.write('\\n' + JSON.stringify([...names]));`;
  const output = execFileSync(process.execPath, ['--import', 'tsx', '-e', `(async () => { ${script}; ${report} })().catch((error) => { console.error(error); process.exit(3); });`], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, FUNCTIONS_WORKER_RUNTIME: undefined, LOCKDOWN_ARM_ENDPOINT: 'https://127.0.0.1:1', LOCKDOWN_ARM_TOKEN: 'unused' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(output.trim().split('\n').pop()!) as string[];
}

const quietIo = `{ stdout: () => {}, stderr: () => {}, env: {} }`;

describe('cold start', () => {
  it('lockdown --help loads no Azure SDK', () => {
    const loaded = packagesLoadedBy(`await require('./src/cli/main.ts').runCli(['--help'], ${quietIo})`);
    expect(loaded.filter((name) => AZURE_SDKS.includes(name))).toEqual([]);
  });

  it('lockdown validate loads no Azure SDK', () => {
    const loaded = packagesLoadedBy(`const code = await require('./src/cli/main.ts').runCli(['validate', 'policies'], ${quietIo}); if (code !== 0) throw new Error('validate failed: ' + code)`);
    expect(loaded).toContain('yaml');
    expect(loaded.filter((name) => AZURE_SDKS.includes(name))).toEqual([]);
  });

  it('the Function entry registers its functions with @azure/functions alone', () => {
    const loaded = packagesLoadedBy(`require('./src/functions/index.ts')`);
    expect(loaded).toContain('@azure/functions');
    expect(loaded.filter((name) => name.startsWith('@azure/') && name !== '@azure/functions' && name !== '@azure/functions-extensions-base')).toEqual([]);
    expect(loaded).not.toContain('pino');
  });

  it('the ARM port loads the network SDK only when it reads a virtual network', () => {
    const constructed = packagesLoadedBy(`const { ArmPort } = require('./src/reconciler/azure/armPort.ts'); const { connectionFromSettings } = require('./src/reconciler/azure/connection.ts'); globalThis.port = new ArmPort(connectionFromSettings(process.env))`);
    expect(constructed.filter((name) => AZURE_SDKS.includes(name))).toEqual([]);
    const reading = packagesLoadedBy(
      `const { ArmPort } = require('./src/reconciler/azure/armPort.ts'); const { connectionFromSettings } = require('./src/reconciler/azure/connection.ts'); const port = new ArmPort(connectionFromSettings(process.env), { retryOptions: { maxRetries: 0 } }); await port.getVirtualNetwork('/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v').catch(() => undefined)`,
    );
    expect(reading).toContain('@azure/arm-network');
    expect(reading).not.toContain('@azure/arm-appservice');
  });
});
