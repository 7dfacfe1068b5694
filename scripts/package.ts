/**
 * `npm run package`: the zip the Functions platform deploys. It holds the built app
 * (dist/src), host.json, a production package.json, the policies, the production
 * node_modules (from package-lock.json, without dev packages) and the policy revision
 * (the last git commit that touched policies/), which every tick reports.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ZipFile } from 'yazl';
import { POLICY_REVISION_FILE, type PolicyRevisionFile } from '../src/functions/policyRevision';

export const DEFAULT_PACKAGE_PATH = path.join('dist', 'lockdown.zip');

/** One file of the package: where it lands in the zip, and its bytes (or the file they come from). */
export interface PackageEntry {
  name: string;
  source?: string;
  content?: Buffer;
}

interface LockPackage {
  dev?: boolean;
  link?: boolean;
}

function walk(root: string, dir: string, into: PackageEntry[]): void {
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const relative = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) walk(root, relative, into);
    else if (entry.isFile()) into.push({ name: relative, source: path.join(root, relative) });
  }
}

/** node_modules folders of every package the lock file does not mark as dev-only. */
export function productionModuleFolders(root: string): string[] {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages?: Record<string, LockPackage> };
  if (!lock.packages) throw new Error('package-lock.json has no "packages" section (lockfileVersion 2 or later is needed)');
  return Object.entries(lock.packages)
    .filter(([folder, info]) => folder.startsWith('node_modules/') && !info.dev && !info.link)
    // Optional packages for other platforms are in the lock but not installed.
    .filter(([folder]) => existsSync(path.join(root, folder)))
    .map(([folder]) => folder)
    .sort();
}

/** The revision of the policies: the last commit touching them, marked when the working tree differs. */
export function policyRevision(root: string, policiesDir = 'policies'): PolicyRevisionFile {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  let commit: string;
  try {
    commit = git('log', '-1', '--format=%H', '--', `${policiesDir}/`);
  } catch (error) {
    throw new Error(`cannot read the policy revision with git in ${root}: ${(error as Error).message}`);
  }
  if (!commit) throw new Error(`no commit touches ${policiesDir}/: commit the policies before packaging`);
  const dirty = git('status', '--porcelain', '--', `${policiesDir}/`) !== '';
  return { policyRevision: dirty ? `${commit}-dirty` : commit, policiesCommittedAt: git('log', '-1', '--format=%cI', commit) };
}

function productionPackageJson(root: string): Buffer {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const { name, version, description, main, engines, dependencies } = manifest;
  return Buffer.from(`${JSON.stringify({ name, version, private: true, description, main, engines, dependencies }, null, 2)}\n`);
}

/** Every entry of the package, sorted by name. */
export function packageEntries(root: string, revision: PolicyRevisionFile): PackageEntry[] {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string };
  if (!existsSync(path.join(root, manifest.main))) throw new Error(`${manifest.main} (package.json "main") is missing: run npm run build first`);
  const entries: PackageEntry[] = [
    { name: 'host.json', source: path.join(root, 'host.json') },
    { name: 'package.json', content: productionPackageJson(root) },
    { name: POLICY_REVISION_FILE, content: Buffer.from(`${JSON.stringify(revision, null, 2)}\n`) },
  ];
  walk(root, 'dist/src', entries);
  walk(root, 'policies', entries);
  for (const folder of productionModuleFolders(root)) {
    // A nested package's folder is listed on its own: take only files outside node_modules/ here.
    for (const entry of readdirSync(path.join(root, folder), { withFileTypes: true })) {
      if (entry.name === 'node_modules') continue;
      const relative = path.posix.join(folder, entry.name);
      if (entry.isDirectory()) walk(root, relative, entries);
      else if (entry.isFile()) entries.push({ name: relative, source: path.join(root, relative) });
    }
  }
  return entries.sort((a, b) => a.name.localeCompare(b.name));
}

/** Writes the zip; resolves with its entries once the file is closed. */
export function writePackage(root: string, zipPath: string, revision: PolicyRevisionFile = policyRevision(root)): Promise<PackageEntry[]> {
  const entries = packageEntries(root, revision);
  const zip = new ZipFile();
  // A fixed time keeps the zip reproducible for one set of inputs.
  const mtime = new Date(revision.policiesCommittedAt ?? '2000-01-01T00:00:00Z');
  for (const entry of entries) {
    if (entry.content) zip.addBuffer(entry.content, entry.name, { mtime });
    else zip.addFile(entry.source!, entry.name, { mtime, mode: statSync(entry.source!).mode });
  }
  mkdirSync(path.dirname(zipPath), { recursive: true });
  return new Promise((resolve, reject) => {
    const out = createWriteStream(zipPath);
    out.on('close', () => resolve(entries));
    out.on('error', reject);
    zip.outputStream.on('error', reject);
    zip.outputStream.pipe(out);
    zip.end();
  });
}

/** A short listing: top-level files and folders with their file counts. */
export function summarizeEntries(entries: PackageEntry[]): string {
  const counts = new Map<string, number>();
  for (const { name } of entries) {
    const parts = name.split('/');
    const key = parts[0] === 'node_modules' ? `node_modules/${parts[1].startsWith('@') ? `${parts[1]}/${parts[2]}` : parts[1]}/` : parts.length > 2 ? `${parts.slice(0, 2).join('/')}/` : name;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([name, count]) => (name.endsWith('/') ? `${name} (${count} files)` : name)).join('\n');
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const zipPath = path.resolve(root, process.argv[2] ?? DEFAULT_PACKAGE_PATH);
  writePackage(root, zipPath).then(
    (entries) => {
      const revision = entries.find((entry) => entry.name === POLICY_REVISION_FILE)!.content!.toString();
      process.stdout.write(`${summarizeEntries(entries)}\n\n${path.relative(process.cwd(), zipPath)}: ${entries.length} files, ${(statSync(zipPath).size / 1e6).toFixed(1)} MB\n${revision}`);
    },
    (error: unknown) => {
      process.stderr.write(`package: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
