/** `npm run package`: the zip holds what the Functions host and the v4 model need, and nothing from the dev tree. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import yauzl from 'yauzl';
import { POLICY_REVISION_FILE, readPolicyRevision } from '../../src/functions/policyRevision';
import { policyRevision, writePackage } from '../../scripts/package';

const root = path.resolve(__dirname, '../..');
const REVISION = { policyRevision: 'c0ffee0000000000000000000000000000000001', policiesCommittedAt: '2026-01-02T03:04:05Z' };

/** Every entry of the zip, with its bytes. */
function readZip(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      const files = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => {
            files.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(files));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** Where Node would find `dependency` when required from the package folder `from` (inside the zip). */
function resolveIn(names: Set<string>, from: string, dependency: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = path.posix.join(dir, 'node_modules', dependency, 'package.json');
    if (names.has(candidate)) return candidate;
    if (dir === '.' || dir === '') return undefined;
    const up = dir.lastIndexOf('/node_modules/');
    dir = up === -1 ? '.' : dir.slice(0, up);
  }
}

/** The package is built from dist/: rebuild it when a source file is newer than its output (or has none). */
function buildIfStale(): void {
  const stale = (dir: string): boolean =>
    readdirSync(path.join(root, dir), { withFileTypes: true }).some((entry) => {
      const relative = path.join(dir, entry.name);
      if (entry.isDirectory()) return stale(relative);
      if (!entry.name.endsWith('.ts')) return false;
      const built = path.join(root, 'dist', relative.replace(/\.ts$/, '.js'));
      return !existsSync(built) || statSync(built).mtimeMs < statSync(path.join(root, relative)).mtimeMs;
    });
  if (stale('src')) execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root });
}

let work: string;
let files: Map<string, Buffer>;
beforeAll(async () => {
  buildIfStale();
  work = mkdtempSync(path.join(tmpdir(), 'lockdown-package-'));
  await writePackage(root, path.join(work, 'lockdown.zip'), REVISION);
  files = await readZip(path.join(work, 'lockdown.zip'));
}, 240_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the package', () => {
  it('has host.json, and a package.json whose main is the built entry that registers the functions', () => {
    expect(JSON.parse(files.get('host.json')!.toString()).version).toBe('2.0');
    const manifest = JSON.parse(files.get('package.json')!.toString());
    expect(manifest.main).toBe('dist/src/functions/index.js');
    expect(files.has(manifest.main)).toBe(true);
    expect(files.get(manifest.main)!.toString()).toContain('lockdownReconcile');
    expect(manifest.devDependencies).toBeUndefined();
    expect(manifest.scripts).toBeUndefined();
  });

  it('carries every production dependency, transitively, and no dev package', () => {
    const names = new Set(files.keys());
    const manifest = JSON.parse(files.get('package.json')!.toString());
    expect(Object.keys(manifest.dependencies)).toContain('@azure/functions');
    const missing: string[] = [];
    const queue: Array<[string, string]> = Object.keys(manifest.dependencies).map((name) => ['.', name]);
    const seen = new Set<string>();
    while (queue.length > 0) {
      const [from, dependency] = queue.pop()!;
      const found = resolveIn(names, from, dependency);
      if (!found) {
        missing.push(`${dependency} (from ${from})`);
        continue;
      }
      if (seen.has(found)) continue;
      seen.add(found);
      const dependencyManifest = JSON.parse(files.get(found)!.toString());
      for (const next of Object.keys(dependencyManifest.dependencies ?? {})) queue.push([path.posix.dirname(found), next]);
    }
    expect(missing).toEqual([]);
    const devOnly = Object.keys(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).devDependencies);
    expect(devOnly.filter((name) => names.has(`node_modules/${name}/package.json`))).toEqual([]);
  });

  it('has the policies and the policy revision, and nothing from emulator/, test/ or the sources', () => {
    expect(files.has('policies/orders-to-payments.yaml')).toBe(true);
    expect(JSON.parse(files.get(POLICY_REVISION_FILE)!.toString())).toEqual(REVISION);
    const foreign = [...files.keys()].filter((name) => /^(emulator|test|src|scripts|bench|vendor|dist\/(emulator|test|scripts|bench))\//.test(name) || /^[^/]+\.ts$/.test(name) || name.startsWith('dist/') && !name.startsWith('dist/src/'));
    expect(foreign).toEqual([]);
  });

  it('loads in Node from the unpacked zip alone, and reads its revision there', () => {
    const unpacked = path.join(work, 'app');
    for (const [name, content] of files) {
      mkdirSync(path.join(unpacked, path.dirname(name)), { recursive: true });
      writeFileSync(path.join(unpacked, name), content);
    }
    const script = "require('./dist/src/functions/index.js'); process.stdout.write(require('./dist/src/functions/policyRevision.js').readPolicyRevision({}, process.cwd()))";
    expect(execFileSync(process.execPath, ['-e', script], { cwd: unpacked, encoding: 'utf8', env: { PATH: process.env.PATH } })).toBe(REVISION.policyRevision);
  }, 60_000);
});

describe('the policy revision', () => {
  function repo(): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'lockdown-revision-'));
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir, encoding: 'utf8' }).trim();
    git('init', '-q');
    mkdirSync(path.join(dir, 'policies'));
    writeFileSync(path.join(dir, 'policies', 'a.yaml'), 'a: 1\n');
    git('add', '.');
    git('commit', '-qm', 'policies');
    writeFileSync(path.join(dir, 'README.md'), 'later, not a policy\n');
    git('add', '.');
    git('commit', '-qm', 'docs');
    return dir;
  }

  it('is the last commit that touched policies/, not the last commit', () => {
    const dir = repo();
    const policiesCommit = execFileSync('git', ['rev-list', '-1', 'HEAD~1'], { cwd: dir, encoding: 'utf8' }).trim();
    expect(policyRevision(dir).policyRevision).toBe(policiesCommit);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is marked -dirty when the policies differ from that commit', () => {
    const dir = repo();
    writeFileSync(path.join(dir, 'policies', 'a.yaml'), 'a: 2\n');
    expect(policyRevision(dir).policyRevision).toMatch(/^[0-9a-f]{40}-dirty$/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('falls back to LOCKDOWN_POLICY_REVISION when the app has no revision file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lockdown-norevision-'));
    expect(readPolicyRevision({ LOCKDOWN_POLICY_REVISION: ' abc123 ' }, dir)).toBe('abc123');
    expect(readPolicyRevision({}, dir)).toBeUndefined();
    writeFileSync(path.join(dir, POLICY_REVISION_FILE), '{"policyRevision": "from-file"}');
    expect(readPolicyRevision({ LOCKDOWN_POLICY_REVISION: 'from-setting' }, dir)).toBe('from-file');
    writeFileSync(path.join(dir, POLICY_REVISION_FILE), '{}');
    expect(() => readPolicyRevision({}, dir)).toThrow(/no "policyRevision"/);
    rmSync(dir, { recursive: true, force: true });
  });
});
