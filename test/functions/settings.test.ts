/** Strict boolean settings and the tick's one deadline, bounded by host.json's functionTimeout. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ABORT_GRACE_MS, tickDeadline } from '../../src/functions/reconcileTimer';
import { DEFAULT_FUNCTION_TIMEOUT_MS, parseFunctionTimeout, readSchedule, readSettings } from '../../src/functions/settings';

describe('boolean settings', () => {
  it.each([
    ['on', true],
    ['True ', true],
    ['off', false],
    ['0', false],
    ['', false],
  ])('LOCKDOWN_DRY_RUN=%j is %s', (value, expected) => {
    expect(readSettings({ LOCKDOWN_DRY_RUN: value }).dryRun).toBe(expected);
  });

  it.each([['enable'], ['dry'], ['tru']])('LOCKDOWN_DRY_RUN=%j refuses to run at all', (value) => {
    expect(() => readSettings({ LOCKDOWN_DRY_RUN: value })).toThrow(/LOCKDOWN_DRY_RUN must be one of .*on\/off/);
  });

  it('follows links that leave the policy folder only when LOCKDOWN_FOLLOW_EXTERNAL_LINKS says so, parsed as strictly', () => {
    expect(readSettings({}).followExternalLinks).toBe(false);
    expect(readSettings({ LOCKDOWN_FOLLOW_EXTERNAL_LINKS: 'true' }).followExternalLinks).toBe(true);
    expect(() => readSettings({ LOCKDOWN_FOLLOW_EXTERNAL_LINKS: 'sometimes' })).toThrow(/LOCKDOWN_FOLLOW_EXTERNAL_LINKS must be one of/);
  });

  it('reads the schedule alone without judging the other settings (the Function registers; the tick fails)', () => {
    expect(readSchedule({ LOCKDOWN_SCHEDULE: '0 */2 * * * *', LOCKDOWN_DRY_RUN: 'maybe' })).toBe('0 */2 * * * *');
  });
});

describe('the time budget and host.json functionTimeout', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'lockdown-host-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const host = (content: object) => writeFileSync(path.join(root, 'host.json'), JSON.stringify({ version: '2.0', ...content }));

  it('keeps a budget at least 60 s below functionTimeout', () => {
    host({ functionTimeout: '00:10:00' });
    const settings = readSettings({ LOCKDOWN_TIME_BUDGET_SECONDS: '540' }, root);
    expect(settings).toMatchObject({ timeBudgetInMs: 540_000, functionTimeoutInMs: 600_000, adjustments: [] });
  });

  it('clips a budget that is not 60 s below functionTimeout, with a warning naming both settings', () => {
    host({ functionTimeout: '00:10:00' });
    const settings = readSettings({ LOCKDOWN_TIME_BUDGET_SECONDS: '590' }, root);
    expect(settings.timeBudgetInMs).toBe(540_000);
    expect(settings.adjustments).toEqual([expect.stringMatching(/LOCKDOWN_TIME_BUDGET_SECONDS \(590\).*host\.json functionTimeout \(600 s\).*clipped to 540 s/)]);
  });

  it('clips the default budget to a shorter functionTimeout', () => {
    host({ functionTimeout: '00:05:00' });
    expect(readSettings({}, root)).toMatchObject({ timeBudgetInMs: 240_000, adjustments: [expect.stringContaining('clipped to 240 s')] });
  });

  it('assumes the Consumption default (5 min) when host.json does not say, and no limit for -1', () => {
    host({});
    expect(readSettings({}, root)).toMatchObject({ functionTimeoutInMs: DEFAULT_FUNCTION_TIMEOUT_MS, timeBudgetInMs: 240_000 });
    host({ functionTimeout: -1 });
    expect(readSettings({ LOCKDOWN_TIME_BUDGET_SECONDS: '3600' }, root)).toMatchObject({ functionTimeoutInMs: undefined, timeBudgetInMs: 3_600_000, adjustments: [] });
  });

  it('refuses a functionTimeout it cannot read, or one that leaves no room', () => {
    host({ functionTimeout: 'ten minutes' });
    expect(() => readSettings({}, root)).toThrow(/host\.json functionTimeout/);
    host({ functionTimeout: '00:00:45' });
    expect(() => readSettings({}, root)).toThrow(/functionTimeout.*LOCKDOWN_TIME_BUDGET_SECONDS/);
  });

  it.each([
    ['00:10:00', 600_000],
    ['01:00:00', 3_600_000],
    ['1.00:00:00', 86_400_000],
    ['00:02:30.5', 150_500],
  ])('reads functionTimeout %s', (value, ms) => {
    expect(parseFunctionTimeout(value)).toBe(ms);
  });

  it('aborts in-flight work 60 s after the deadline, but never past functionTimeout minus 15 s', () => {
    expect(tickDeadline(1_000, { timeBudgetInMs: 300_000, functionTimeoutInMs: 600_000 })).toEqual({ deadlineInMs: 301_000, abortAt: 301_000 + ABORT_GRACE_MS });
    expect(tickDeadline(1_000, { timeBudgetInMs: 540_000, functionTimeoutInMs: 600_000 })).toEqual({ deadlineInMs: 541_000, abortAt: 586_000 });
    expect(tickDeadline(1_000, { timeBudgetInMs: 1, functionTimeoutInMs: undefined })).toEqual({ deadlineInMs: 1_001, abortAt: 61_001 });
  });
});
