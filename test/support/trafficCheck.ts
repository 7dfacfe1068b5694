/**
 * Validates the emulator traffic recorded across the whole test suite (trafficRecorder.ts)
 * with the conformance test's validators: one `oav validate-traffic` run for everything a spec
 * operation describes, ajv (network.json AzureAsyncOperationResult, or CloudError when a poll is
 * refused) for the Azure-AsyncOperation status polls. Called by jest's global teardown.
 *
 * The requests of out-of-band ("portal") edits are written by the tests, not by Lockdown or the
 * emulator: their spec errors are listed but do not fail the run (their responses are checked).
 *
 * Identical exchanges are validated once: the key is method, URL, status, content types and
 * both bodies. The in-scope operations define no header parameter and no response header in
 * the specs, so the other headers (dates, request ids, rate-limit counters) cannot change the
 * outcome.
 */
import * as fs from 'node:fs';
import path from 'node:path';
import type { RecordedExchange } from '../../emulator/src/types';
import { validateAgainstDefinition } from '../emulator/support/schema';
import { SPEC_FILES, SPECIFICATION_DIR } from '../emulator/support/specs';
import { validateTraffic, type OavResult } from '../emulator/support/traffic';
import type { TrafficFile } from './trafficRecorder';

const POLL_PATH = /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Network\/locations\/[^/]+\/operations\/[^/?]+/i;
export const POLL_ROW = 'Azure-AsyncOperation status polls (ajv)';

interface Source {
  file: string;
  testPath?: string;
  index: number;
}

interface Recorded {
  exchange: RecordedExchange;
  source: Source;
}

export interface TrafficCheckResult {
  files: number;
  exchanges: number;
  /** distinct exchanges given to oav */
  validatedByOav: number;
  /** connection resets injected as faults: no response to validate */
  skipped: number;
  /** spec errors in the requests of out-of-band edits (written by the tests): listed, not failures */
  rows: { operationId: string; exchanges: number; errors: number }[];
  problems: string[];
  /** Spec deviations Lockdown makes on purpose (KNOWN_DEVIATIONS): listed, not failures. */
  knownDeviations: string[];
  oavWorkDir?: string;
  millis: number;
}

/** path and api-version: the rest of a query (filters with timestamps) only makes lines long */
const short = (url: string) => url.replace(/\?(.*)$/, (_, q: string) => `?${q.split('&').filter((p) => p.startsWith('api-version=')).join('&')}${q.includes('&') ? '&...' : ''}`);

const where = (s: Source) =>
  `${path.basename(s.file)}#${s.index}${s.testPath ? ` (${path.relative(process.cwd(), s.testPath)})` : ''}`;

function header(headers: Record<string, unknown> | undefined, name: string): string {
  const found = Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];
  return found === undefined ? '' : String(found);
}

function dedupeKey(x: RecordedExchange): string {
  return JSON.stringify([
    Boolean(x.outOfBand),
    x.method.toUpperCase(),
    x.url,
    x.status,
    header(x.requestHeaders, 'content-type'),
    header(x.responseHeaders, 'content-type'),
    x.requestBody ?? null,
    x.responseBody ?? null,
  ]);
}

export function readTraffic(dir: string): { files: string[]; recorded: Recorded[] } {
  const files = fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => path.join(dir, name));
  const recorded: Recorded[] = [];
  for (const file of files) {
    const content = JSON.parse(fs.readFileSync(file, 'utf8')) as TrafficFile;
    content.exchanges.forEach((exchange, index) =>
      recorded.push({ exchange, source: { file, testPath: content.testPath, index } }),
    );
  }
  return { files, recorded };
}

const COMMON_TYPES_V6 = path.join(SPECIFICATION_DIR, 'common-types', 'resource-management', 'v6', 'types.json');
const ARM_FRONT_DOOR_CODES = new Set(['authenticationfailed', 'invalidauthenticationtoken', 'authorizationfailed', 'linkedauthorizationfailed', 'subscriptionrequeststhrottled']);

function isArmFrontDoorError(x: RecordedExchange): boolean {
  const code = (x.responseBody as { error?: { code?: unknown } } | undefined)?.error?.code;
  return [401, 403, 429].includes(x.status) && typeof code === 'string' && ARM_FRONT_DOOR_CODES.has(code.toLowerCase());
}

/**
 * Request properties the specs do not describe and Lockdown sends on purpose, with why. A
 * callee admits a subnet before the subnet has the Microsoft.Web endpoint (so the endpoint
 * never moves a caller onto a subnet its callee refuses); ARM refuses such a rule unless it
 * carries ignoreMissingVnetServiceEndpoint (the portal's "Ignore missing Microsoft.Web service
 * endpoints"), which the 2025-05-01 IpSecurityRestriction schema does not list.
 */
const KNOWN_DEVIATIONS = [{ errorCode: 'OBJECT_ADDITIONAL_PROPERTIES', property: 'ignoreMissingVnetServiceEndpoint', operationId: 'WebApps_UpdateConfiguration' }];

function isKnownDeviation(issue: { operationId?: string; errorCode?: string; errorMessage?: string }): boolean {
  return KNOWN_DEVIATIONS.some(
    (known) => issue.operationId === known.operationId && issue.errorCode === known.errorCode && (issue.errorMessage ?? '').endsWith(`: ${known.property}`),
  );
}

export async function checkTraffic(dir: string): Promise<TrafficCheckResult> {
  const started = Date.now();
  const { files, recorded } = readTraffic(dir);
  const problems: string[] = [];
  const knownDeviations: string[] = [];
  const count = new Map<string, number>();
  const errors = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string, by = 1) => map.set(key, (map.get(key) ?? 0) + by);

  let skipped = 0;
  const distinct = new Map<string, Recorded[]>();
  for (const r of recorded) {
    const x = r.exchange;
    if (x.status === 0) {
      skipped++;
      continue;
    }
    const pathOnly = x.url.split('?')[0];
    if (POLL_PATH.test(pathOnly)) {
      bump(count, POLL_ROW);
      // a poll answers the operation's status, or an ARM error (e.g. 403 AuthorizationFailed)
      const definition = x.status === 200 ? 'AzureAsyncOperationResult' : 'CloudError';
      const issues = validateAgainstDefinition(SPEC_FILES.networkCommon, definition, x.responseBody).map(
        (e) => `${definition}: ${e}`,
      );
      if (issues.length) {
        bump(errors, POLL_ROW, issues.length);
        problems.push(...issues.map((e) => `${where(r.source)} ${x.method} ${short(x.url)} (${x.status}): ${e}`));
      }
      continue;
    }
    const operationId = x.operationId ?? `(no operation) ${x.method}`;
    if (x.operationId && isArmFrontDoorError(x)) {
      // Authentication, authorization and throttling are answered by ARM itself, before any
      // resource provider: their body is ARM's common ErrorResponse, whatever the operation's spec says.
      const row = `${x.operationId} (ARM ${x.status})`;
      bump(count, row);
      const issues = validateAgainstDefinition(COMMON_TYPES_V6, 'ErrorResponse', x.responseBody).map((e) => `ErrorResponse: ${e}`);
      if (issues.length) {
        bump(errors, row, issues.length);
        problems.push(...issues.map((e) => `${where(r.source)} ${x.method} ${short(x.url)} (${x.status}): ${e}`));
      }
      continue;
    }
    bump(count, operationId);
    if (!x.operationId) {
      bump(errors, operationId);
      problems.push(`${where(r.source)} ${x.method} ${short(x.url)} (${x.status}): matches no spec operation`);
      continue;
    }
    const key = dedupeKey(x);
    const same = distinct.get(key);
    if (same) same.push(r);
    else distinct.set(key, [r]);
  }

  const groups = [...distinct.values()];
  let oav: OavResult | undefined;
  if (groups.length) {
    oav = await validateTraffic(
      groups.map((g) => g[0].exchange),
      SPECIFICATION_DIR,
    );
    for (const issue of oav.issues) {
      // validateTraffic names payload files `<index>-<operationId>.json`
      const group = issue.payload ? groups[Number(issue.payload.split('-')[0])] : undefined;
      const at = group
        ? `${where(group[0].source)}${group.length > 1 ? ` and ${group.length - 1} identical` : ''} ${group[0].exchange.method} ${short(group[0].exchange.url)} (${group[0].exchange.status})`
        : `see ${oav.workDir}`;
      const text = `${at}: ${issue.operationId} ${issue.issueSource} ${issue.paths?.join(',') ?? ''} ${issue.errorCode} ${issue.errorMessage}`;
      if (isKnownDeviation(issue)) {
        knownDeviations.push(text);
        continue;
      }
      bump(errors, issue.operationId ?? '(unknown)', group?.length ?? 1);
      problems.push(text);
    }
    for (const operationId of new Set(groups.map((g) => g[0].exchange.operationId!))) {
      const failedSilently =
        oav.covered.has(operationId) && !oav.passed.has(operationId) && !oav.issues.some((i) => i.operationId === operationId);
      if (failedSilently) {
        bump(errors, operationId);
        problems.push(`${operationId}: oav failed at run time, see ${oav.logFile}`);
      }
    }
    if (oav.unmatchedPayloads) {
      problems.push(`${oav.unmatchedPayloads} exchange(s) match no operation of the specs (oav), see ${oav.logFile}`);
    }
    problems.push(...oav.runtimeErrors.map((e) => `oav: ${e} (see ${oav!.logFile})`));
    if (!problems.length) fs.rmSync(oav.workDir, { recursive: true, force: true });
  }

  const rows = [...count.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([operationId, exchanges]) => ({ operationId, exchanges, errors: errors.get(operationId) ?? 0 }));
  for (const [operationId, n] of errors) {
    if (!count.has(operationId)) rows.push({ operationId, exchanges: 0, errors: n });
  }
  return {
    files: files.length,
    exchanges: recorded.length,
    validatedByOav: groups.length,
    skipped,
    rows,
    problems,
    knownDeviations,
    oavWorkDir: problems.length ? oav?.workDir : undefined,
    millis: Date.now() - started,
  };
}

export function formatTrafficCheck(result: TrafficCheckResult, dir: string): string {
  const head = ['operationId', 'exchanges', 'errors'];
  const cells = result.rows.map((r) => [r.operationId, String(r.exchanges), String(r.errors)]);
  const total = ['total', String(result.rows.reduce((n, r) => n + r.exchanges, 0)), String(result.rows.reduce((n, r) => n + r.errors, 0))];
  const widths = head.map((h, i) => Math.max(h.length, total[i].length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => (i ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join(' | ');
  const rule = widths.map((w) => '-'.repeat(w)).join('-|-');
  return [
    '',
    `Emulator traffic of the test suite against the specs (${result.files} traffic files in ${dir})`,
    line(head),
    rule,
    ...cells.map(line),
    rule,
    line(total),
    `${result.validatedByOav} distinct exchanges validated by one oav validate-traffic run` +
      (result.skipped ? `, ${result.skipped} connection resets (no response) skipped` : '') +
      `; ${(result.millis / 1000).toFixed(1)} s`,
    ...(result.knownDeviations.length
      ? ['', `${result.knownDeviations.length} known deviation(s), sent on purpose (see KNOWN_DEVIATIONS in test/support/trafficCheck.ts):`, ...result.knownDeviations.map((p) => `  ${p}`)]
      : []),
    ...(result.problems.length ? ['', `${result.problems.length} problem(s):`, ...result.problems.map((p) => `  ${p}`)] : []),
    '',
  ].join('\n');
}
