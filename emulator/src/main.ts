/** Standalone entry: `npm run emulator` (port 8443 or $EMULATOR_PORT, seeded with topologies/demo.json or $EMULATOR_TOPOLOGY). */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startEmulator } from './server';
import type { Topology } from './topology';

async function main() {
  const port = Number(process.env.EMULATOR_PORT ?? 8443);
  const topologyPath = process.env.EMULATOR_TOPOLOGY ? resolve(process.env.EMULATOR_TOPOLOGY) : join(__dirname, '..', 'topologies', 'demo.json');
  const topology = JSON.parse(readFileSync(topologyPath, 'utf8')) as Topology;
  const emu = await startEmulator({
    port,
    host: process.env.EMULATOR_HOST ?? '127.0.0.1',
    topology,
    retryAfterSeconds: process.env.EMULATOR_RETRY_AFTER ? Number(process.env.EMULATOR_RETRY_AFTER) : 1,
  });
  console.log(`ARM emulator listening on ${emu.url}`);
  console.log(`  seeded from ${topologyPath} (subscription ${topology.subscriptionId})`);
  console.log(`  admin API:  ${emu.adminUrl}   (e.g. curl --cacert ${emu.caCertPath} ${emu.adminUrl}/state)`);
  console.log('  trust its certificate in the shell that runs the SDK clients:');
  console.log(`    export NODE_EXTRA_CA_CERTS=${emu.caCertPath}`);
  console.log(`  and point the clients at it: new WebSiteManagementClient(cred, sub, { endpoint: '${emu.url}' })`);
  console.log('  Ctrl-C to stop.');
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await emu.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
