/** The emulator's TLS material: .emulator-certs/ at the project root, generated when missing. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Generator {
  ensureTestCert(dir?: string): Promise<{ dir: string; caPath: string; certPath: string; keyPath: string; created: boolean }>;
}

/** the project root: the nearest ancestor with scripts/ensure-test-cert.js (works from src and from a build) */
function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'scripts', 'ensure-test-cert.js'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('arm-emulator: cannot find scripts/ensure-test-cert.js above ' + __dirname);
    dir = up;
  }
}

export interface TlsMaterial {
  caPath: string;
  key: Buffer;
  cert: Buffer;
}

export async function loadTlsMaterial(): Promise<TlsMaterial> {
  const root = projectRoot();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const gen = require(join(root, 'scripts', 'ensure-test-cert.js')) as Generator;
  const p = await gen.ensureTestCert(join(root, '.emulator-certs'));
  return { caPath: p.caPath, key: readFileSync(p.keyPath), cert: readFileSync(p.certPath) };
}
