/**
 * The vendored specifications are unmodified copies: where the reference set in ../shared/azure-specs
 * is beside the project (the development machines and CI have it), every vendored file matches it
 * byte for byte and none of its files is missing. A bare clone has only the vendored copy, and this
 * test then checks that the copy is complete on its own terms (license and provenance present).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { SPECS_ROOT } from './support/specs';

const REFERENCE = path.resolve(__dirname, '../../../shared/azure-specs');

function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(path.relative(root, full));
    }
  };
  walk(root);
  return out.sort();
}

const digest = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** The pinned manifest: `sha256  relative/path` per line, as `sha256sum` prints it. */
function manifest(): Map<string, string> {
  const lines = fs.readFileSync(path.join(SPECS_ROOT, 'SHA256SUMS'), 'utf8').trim().split('\n');
  return new Map(lines.map((line) => [line.slice(66), line.slice(0, 64)] as [string, string]));
}

function digestsUnder(root: string): Map<string, string> {
  return new Map(filesUnder(path.join(root, 'specification')).map((file) => [
    path.posix.join('specification', file.split(path.sep).join('/')),
    digest(path.join(root, 'specification', file)),
  ]));
}

describe('vendored Azure REST specifications', () => {
  it('carry their license, provenance and README', () => {
    for (const name of ['LICENSE', 'README.md', 'PROVENANCE-network.md', 'SHA256SUMS']) {
      expect(fs.existsSync(path.join(SPECS_ROOT, name))).toBe(true);
    }
    expect(fs.readFileSync(path.join(SPECS_ROOT, 'LICENSE'), 'utf8')).toContain('MIT License');
  });

  it('are exactly the files pinned in SHA256SUMS', () => {
    expect(Object.fromEntries(digestsUnder(SPECS_ROOT))).toEqual(Object.fromEntries(manifest()));
  });

  it('match ../shared/azure-specs byte for byte when it is beside the project', () => {
    // A bare clone has no reference copy: then the pinned manifest above is the whole check,
    // and this test says so instead of passing silently.
    if (!fs.existsSync(REFERENCE)) {
      console.warn(`no reference copy at ${REFERENCE}: checked against SHA256SUMS only`);
      return;
    }
    expect(Object.fromEntries(digestsUnder(REFERENCE))).toEqual(Object.fromEntries(manifest()));
  });
});
