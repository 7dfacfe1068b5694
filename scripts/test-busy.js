#!/usr/bin/env node
/**
 * `npm run test:busy`: the whole suite with two CPU-bound processes beside it, as on a shared CI
 * machine. Arguments go to `npm test` (jest). The busy processes are ended when the suite ends,
 * and end by themselves if this script dies first.
 */
'use strict';
const { spawn } = require('node:child_process');

const BUSY_PROCESSES = 2;
// spins, and checks every few million iterations that its parent is still there
const BUSY_LOOP = `const parent = ${process.pid};
for (;;) {
  for (let i = 0; i < 5e6; i++);
  try { process.kill(parent, 0); } catch { process.exit(0); }
}`;

const busy = Array.from({ length: BUSY_PROCESSES }, () => spawn(process.execPath, ['-e', BUSY_LOOP], { stdio: 'ignore' }));
const stopBusy = () => {
  for (const child of busy) if (child.exitCode === null) child.kill('SIGKILL');
};
process.on('exit', stopBusy);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

console.log(`test:busy: ${BUSY_PROCESSES} CPU-bound processes running (pids ${busy.map((child) => child.pid).join(', ')})`);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const suite = spawn(npm, ['test', '--', ...process.argv.slice(2)], { stdio: 'inherit' });
suite.on('exit', (code, signal) => {
  stopBusy();
  process.exit(code ?? (signal ? 1 : 0));
});
