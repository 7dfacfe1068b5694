/**
 * The Table Storage store on Azurite: conditional writes are what keep two overlapping runs
 * from double-alerting or overwriting each other.
 */
import { TableAlertStore, type DriftRecord } from '../../src/reconciler/state/store';
import type { HistoryEntry, PairStatus } from '../../src/reconciler/status/types';
import { testStateConnection, testTables } from '../support/azurite';
import { driftRecord, historyEntry, ORDERS_TO_PAYMENTS, PAYMENTS_ID } from '../support/driftFixtures';

const PAYMENTS = PAYMENTS_ID;
const pair = ORDERS_TO_PAYMENTS;
const record = (overrides: Partial<DriftRecord> = {}): DriftRecord => driftRecord({ lastTickId: 'tick-1', ...overrides });
const history = (when: string, overrides: Partial<HistoryEntry> = {}): HistoryEntry => historyEntry(when, { key: 'k', ...overrides });

let store: TableAlertStore;
beforeEach(() => {
  store = new TableAlertStore({ connectionString: testStateConnection() }, { tables: testTables('store') });
});

describe('Table Storage store (Azurite)', () => {
  it('creates a drift record once: the second create is a conflict', async () => {
    expect((await store.createDrift(record())).ok).toBe(true);
    expect(await store.createDrift(record({ lastTickId: 'other-run' }))).toEqual({ ok: false, conflict: true });
    const rows = await store.listDrift();
    expect(rows.map((row) => row.value.lastTickId)).toEqual(['tick-1']);
  });

  it('replaces only with the current ETag', async () => {
    const created = await store.createDrift(record());
    if (!created.ok) throw new Error('create failed');
    const first = await store.replaceDrift(record({ lastTickId: 'run-a' }), created.etag);
    const second = await store.replaceDrift(record({ lastTickId: 'run-b' }), created.etag);
    expect(first.ok).toBe(true);
    expect(second).toEqual({ ok: false, conflict: true });
    expect((await store.listDrift())[0].value.lastTickId).toBe('run-a');
  });

  it('deletes only with the current ETag', async () => {
    const created = await store.createDrift(record());
    if (!created.ok) throw new Error('create failed');
    await store.replaceDrift(record({ lastTickId: 'newer' }), created.etag);
    expect(await store.deleteDrift(record().key, created.etag)).toBe(false);
    const [row] = await store.listDrift();
    expect(await store.deleteDrift(record().key, row.etag)).toBe(true);
    expect(await store.listDrift()).toEqual([]);
  });

  it('writes the records of one change all or nothing', async () => {
    const a = record({ key: 'change|a', field: 'a' });
    const b = record({ key: 'change|b', field: 'b' });
    const c = record({ key: 'change|c', field: 'c' });
    const opened = await store.writeDrifts([{ record: a }, { record: b }]);
    if (!opened.ok) throw new Error('create failed');
    // Another run's create of the same change: b exists, so c is not created either.
    expect(await store.writeDrifts([{ record: c }, { record: b }])).toEqual({ ok: false, conflict: true });
    expect((await store.listDrift()).map((row) => row.value.key).sort()).toEqual(['change|a', 'change|b']);
    // A claim of both with the etags of the create.
    const claimed = await store.writeDrifts([
      { record: { ...a, lastTickId: 'run-a' }, etag: opened.etags[0] },
      { record: { ...b, lastTickId: 'run-a' }, etag: opened.etags[1] },
    ]);
    if (!claimed.ok) throw new Error('claim failed');
    // A run with one stale etag changes nothing, not even the record whose etag is current.
    expect(
      await store.writeDrifts([
        { record: { ...a, lastTickId: 'run-b' }, etag: claimed.etags[0] },
        { record: { ...b, lastTickId: 'run-b' }, etag: opened.etags[1] },
      ]),
    ).toEqual({ ok: false, conflict: true });
    expect((await store.listDrift()).map((row) => [row.value.key, row.value.lastTickId]).sort()).toEqual([
      ['change|a', 'run-a'],
      ['change|b', 'run-a'],
    ]);
    // The etags answered are the rows' own.
    const rows = await store.listDrift();
    expect(rows.map((row) => row.etag).sort()).toEqual([...claimed.etags].sort());
  });

  it('moves lastInSyncAt forward only', async () => {
    await store.markInSync('/subscriptions/x/resourcegroups/fn/providers/microsoft.web/sites/a', '2026-11-28T12:05:00.000Z');
    await store.markInSync('/subscriptions/x/resourcegroups/fn/providers/microsoft.web/sites/a', '2026-11-28T12:00:00.000Z');
    expect((await store.listInSync()).get('/subscriptions/x/resourcegroups/fn/providers/microsoft.web/sites/a')).toBe('2026-11-28T12:05:00.000Z');
    await Promise.all([store.markInSync('r', '2026-11-28T12:10:00.000Z'), store.markInSync('r', '2026-11-28T12:20:00.000Z'), store.markInSync('r', '2026-11-28T12:15:00.000Z')]);
    expect((await store.listInSync()).get('r')).toBe('2026-11-28T12:20:00.000Z');
  });

  it('keeps history newest first, by policy, and writes an id once', async () => {
    await store.putHistory('a', history('2026-11-28T12:00:00.000Z'));
    await store.putHistory('b', history('2026-11-28T13:00:00.000Z', { kind: 'resolved' }));
    await store.putHistory('b', history('2026-11-28T13:00:00.000Z', { kind: 'resolved' }));
    await store.putHistory('c', history('2026-11-28T12:30:00.000Z', { policy: 'other' }));
    expect((await store.listHistory({ policy: 'orders-to-payments' })).map((entry) => entry.at)).toEqual(['2026-11-28T13:00:00.000Z', '2026-11-28T12:00:00.000Z']);
    expect((await store.listHistory({ limit: 2 })).map((entry) => entry.policy)).toEqual(['orders-to-payments', 'other']);
  });

  it('writes pair status create-if-absent, then If-Match', async () => {
    const status: PairStatus = { ...pair, conditions: [], lastReconcileTime: '2026-11-28T12:00:00.000Z', observedGeneration: 'g1', tickId: 't1' };
    const created = await store.writeStatus(status, undefined);
    expect(created.ok).toBe(true);
    expect((await store.writeStatus(status, undefined)).ok).toBe(false);
    if (!created.ok) return;
    expect((await store.writeStatus({ ...status, tickId: 't2' }, created.etag)).ok).toBe(true);
    expect((await store.writeStatus({ ...status, tickId: 't3' }, created.etag)).ok).toBe(false);
    expect((await store.listStatus()).map((row) => row.value.tickId)).toEqual(['t2']);
  });
});
