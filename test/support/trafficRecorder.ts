/**
 * Conformance of the emulator's traffic across the whole suite: when
 * LOCKDOWN_TRAFFIC_DIR is set (jest's global setup sets it), every emulator started through
 * emulatorWorld.ts writes the ARM exchanges it served (paths under /subscriptions/) to a JSON
 * file there when it stops; the global teardown validates them all against the specs
 * (trafficCheck.ts). Exchanges dropped by `admin.clearRequests()` are kept first.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { RecordedExchange, RunningEmulator } from '../../emulator/src/types';

export const TRAFFIC_DIR_ENV = 'LOCKDOWN_TRAFFIC_DIR';

/** What one traffic file holds. */
export interface TrafficFile {
  /** the test file that started the emulator */
  testPath?: string;
  pid: number;
  /**
   * The requests were written by the tests themselves (the emulator's own tests, which send invalid
   * requests on purpose): their spec errors are listed, not failures. Their responses are checked.
   */
  requestsWrittenByTests?: boolean;
  exchanges: RecordedExchange[];
}

const armTraffic = (exchanges: RecordedExchange[]) => exchanges.filter((x) => x.url.startsWith('/subscriptions/') || /^\/providers\/Microsoft\.ResourceGraph\//i.test(x.url));

/** Writes `<pid>-<n>.json`, n the first free counter value (test files of one worker share the pid). */
function writeTrafficFile(dir: string, content: TrafficFile): string {
  const text = JSON.stringify(content);
  for (let n = 0; ; n++) {
    const file = path.join(dir, `${process.pid}-${n}.json`);
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (e: any) {
      if (e?.code === 'EEXIST') continue;
      throw e;
    }
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    return file;
  }
}

function currentTestPath(): string | undefined {
  try {
    return (globalThis as any).expect?.getState?.().testPath;
  } catch {
    return undefined;
  }
}

/** Makes `emulator.stop()` save its traffic to LOCKDOWN_TRAFFIC_DIR (a no-op when unset). */
export function recordTraffic(emulator: RunningEmulator, options: { requestsWrittenByTests?: boolean } = {}): void {
  const dir = process.env[TRAFFIC_DIR_ENV];
  if (!dir) return;
  const testPath = currentTestPath();
  const kept: RecordedExchange[] = [];
  const clearRequests = emulator.admin.clearRequests.bind(emulator.admin);
  emulator.admin.clearRequests = () => {
    kept.push(...armTraffic(emulator.admin.requests()));
    clearRequests();
  };
  const stop = emulator.stop.bind(emulator);
  let saved = false;
  emulator.stop = async () => {
    if (!saved) {
      saved = true;
      const exchanges = [...kept, ...armTraffic(emulator.admin.requests())];
      if (exchanges.length) writeTrafficFile(dir, { testPath, pid: process.pid, ...(options.requestsWrittenByTests ? { requestsWrittenByTests: true } : {}), exchanges });
    }
    await stop();
  };
}
