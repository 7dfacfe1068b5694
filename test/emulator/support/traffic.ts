/**
 * Turns the emulator's request log into oav's traffic payloads and runs Microsoft's validator,
 * `oav validate-traffic`, over them.
 *
 * oav 4.0.3 (lib/swaggerValidator/trafficValidator.js) `require`s every *.json file under the
 * traffic directory as one payload of this shape, matches `liveRequest.url` + `method` to an
 * operation of the specs loaded from the spec directory (examples excluded), and validates the
 * request against its parameters and the response against the schema of its status code
 * (ARM rules: unknown properties are errors). Resource-manager URLs must contain "provider".
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The subset of the emulator's RecordedExchange that the conversion reads. */
export interface Exchange {
  method: string;
  /** Path and query, as the client sent it. */
  url: string;
  requestHeaders: Record<string, string | string[] | undefined>;
  requestBody?: unknown;
  status: number;
  responseHeaders: Record<string, string | string[] | number | undefined>;
  responseBody?: unknown;
  operationId?: string;
}

export interface OavPayload {
  liveRequest: { url: string; method: string; headers: Record<string, string>; body: unknown };
  liveResponse: { statusCode: string; headers: Record<string, string>; body: unknown };
}

function flatHeaders(headers: Exchange['requestHeaders'] | Exchange['responseHeaders']) {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return flat;
}

/** Bodies may be logged raw or parsed; oav wants parsed JSON (or nothing). */
function parsedBody(body: unknown): unknown {
  if (body === undefined || body === null || body === '') return undefined;
  if (Buffer.isBuffer(body)) return parsedBody(body.toString('utf8'));
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

export function toOavPayload(exchange: Exchange): OavPayload {
  return {
    liveRequest: {
      url: exchange.url,
      method: exchange.method.toUpperCase(),
      headers: flatHeaders(exchange.requestHeaders),
      body: parsedBody(exchange.requestBody),
    },
    liveResponse: {
      statusCode: String(exchange.status),
      headers: flatHeaders(exchange.responseHeaders),
      body: parsedBody(exchange.responseBody),
    },
  };
}

export interface OavIssue {
  operationId: string;
  issueSource: 'request' | 'response';
  errorCode: string;
  errorMessage: string;
  /** traffic file and JSON paths, from oav's log line for the payload (when it could be read) */
  payload?: string;
  paths?: string[];
}

export interface OavResult {
  /** Operations oav matched at least one payload to. */
  covered: Set<string>;
  /** Covered operations all of whose payloads validated with no error and no runtime exception. */
  passed: Set<string>;
  issues: OavIssue[];
  /** Payloads whose URL matched no operation of the loaded specs. */
  unmatchedPayloads: number;
  /** Failures of oav itself (these abort the rest of its run). */
  runtimeErrors: string[];
  workDir: string;
  logFile: string;
}

const OAV_BIN = path.resolve(__dirname, '../../../node_modules/.bin/oav');

/**
 * Writes one traffic file per exchange (named `<n>-<operationId>.json`) and runs
 * `oav validate-traffic <dir> <specDir> --report "" --jsonReport <file>`.
 */
export async function validateTraffic(exchanges: Exchange[], specDir: string): Promise<OavResult> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oav-traffic-'));
  const trafficDir = path.join(workDir, 'traffic');
  fs.mkdirSync(trafficDir);
  exchanges.forEach((exchange, i) => {
    const name = `${String(i).padStart(4, '0')}-${exchange.operationId ?? 'unknown'}.json`;
    fs.writeFileSync(path.join(trafficDir, name), JSON.stringify(toOavPayload(exchange), null, 2));
  });
  const reportFile = path.join(workDir, 'report.json');
  const logFile = path.join(workDir, 'oav.log');
  const args = ['validate-traffic', trafficDir, specDir, '--report', '', '--jsonReport', reportFile];
  args.push('--logLevel', 'warn', '--logFilepath', path.join(workDir, 'oav-internal.log'));
  const output = await new Promise<string>((resolve) => {
    // oav exits 1 when it found errors; the JSON report says which.
    execFile(OAV_BIN, args, { maxBuffer: 64 * 1024 * 1024 }, (_error, stdout, stderr) =>
      resolve(`${stdout}\n${stderr}`),
    );
  });
  fs.writeFileSync(logFile, output);
  if (!fs.existsSync(reportFile)) {
    throw new Error(`oav wrote no report; its output is in ${logFile}:\n${output.slice(0, 2000)}`);
  }
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));

  const covered = new Set<string>();
  for (const spec of report.coveredSpecFiles as string[]) {
    const uncovered = new Set(
      report.unCoveredOperationsList.find((u: any) => u.spec === spec)?.operationIds ?? [],
    );
    for (const operationId of operationIdsOf(spec)) {
      if (!uncovered.has(operationId)) covered.add(operationId);
    }
  }
  const passed = new Set<string>(report.passedOperationsList.flatMap((p: any) => p.operationIds));
  return {
    covered,
    passed,
    issues: withPayloadDetails(
      report.errors.map((e: any) => ({
        operationId: e.operationId,
        issueSource: e.issueSource,
        errorCode: e.errorCode,
        errorMessage: e.errorMessage,
      })),
      output,
    ),
    unmatchedPayloads: (output.match(/Undefined operation/g) ?? []).length,
    runtimeErrors: output.match(/(Detail error message:|"runtimeExceptions":\[\{).{0,400}/g) ?? [],
    workDir,
    logFile,
  };
}

function operationIdsOf(specFile: string): string[] {
  const spec = JSON.parse(fs.readFileSync(specFile, 'utf8'));
  return Object.values<any>(spec.paths).flatMap((item) =>
    Object.values<any>(item)
      .map((operation) => operation?.operationId)
      .filter(Boolean),
  );
}

/**
 * The JSON report does not say which payload or field an error is about; oav's error log lines
 * (one JSON result per failing payload) do. Used only when they account for every reported error.
 */
function withPayloadDetails(issues: OavIssue[], output: string): OavIssue[] {
  const detailed: OavIssue[] = [];
  for (const [, text] of output.matchAll(/message: '(\{"specFilePath".*\})',?$/gm)) {
    try {
      // undo util.inspect's quoting of the string: \' and \\ (a \" in the JSON is logged as \\")
      const result = JSON.parse(text.replace(/\\(['\\])/g, '$1'));
      for (const e of result.errors ?? []) {
        detailed.push({
          operationId: result.operationInfo?.operationId,
          issueSource: e.issueSource,
          errorCode: e.code,
          errorMessage: e.message,
          payload: path.basename(result.payloadFilePath),
          paths: e.jsonPathsInPayload,
        });
      }
    } catch {
      return issues;
    }
  }
  return detailed.length === issues.length ? detailed : issues;
}
