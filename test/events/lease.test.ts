/** Leases in Table Storage (Azurite): one holder at a time, across instances; the tick holds every group. */
import { acquireEveryGroup, acquireGroups, EVERY_GROUP, TableLeaseStore } from '../../src/reconciler/events/lease';
import { testStateConnection, testTables } from '../support/azurite';

const table = () => `${testTables('lease').prefix}lease`;
let clock = Date.parse('2026-12-01T10:00:00Z');
const now = () => clock;

it('one holder at a time; released, it can be taken again', async () => {
  const name = table();
  const instanceA = new TableLeaseStore({ connectionString: testStateConnection() }, name, now);
  const instanceB = new TableLeaseStore({ connectionString: testStateConnection() }, name, now);
  const lease = await instanceA.tryAcquire('group-1', 'a', 60_000);
  expect(lease).toBeDefined();
  expect(await instanceB.tryAcquire('group-1', 'b', 60_000)).toBeUndefined();
  expect(await instanceB.tryAcquire('group-2', 'b', 60_000)).toBeDefined();
  await instanceA.release(lease!);
  expect(await instanceB.tryAcquire('group-1', 'b', 60_000)).toBeDefined();
});

it('of two instances racing for a free lease, exactly one wins', async () => {
  const name = table();
  const stores = Array.from({ length: 6 }, () => new TableLeaseStore({ connectionString: testStateConnection() }, name, now));
  await stores[0].isHeld('warm-up'); // the table exists before the race
  const results = await Promise.all(stores.map((store, index) => store.tryAcquire('group-1', `i${index}`, 60_000)));
  expect(results.filter(Boolean)).toHaveLength(1);
});

it('an expired lease (its holder died) is taken over, and the old holder cannot release the new one', async () => {
  const name = table();
  const store = new TableLeaseStore({ connectionString: testStateConnection() }, name, now);
  const dead = await store.tryAcquire('group-1', 'dead', 1_000);
  clock += 2_000;
  const next = await store.tryAcquire('group-1', 'next', 60_000);
  expect(next).toBeDefined();
  await store.release(dead!);
  expect(await store.isHeld('group-1')).toBe(true);
});

it('a targeted reconcile waits while the tick holds every group, and the tick waits for the groups', async () => {
  const name = table();
  const store = new TableLeaseStore({ connectionString: testStateConnection() }, name, now);
  const tick = await acquireEveryGroup(store, 'tick', 60_000, { waitInMs: 0 });
  expect(tick).toBeDefined();
  expect(await acquireGroups(store, ['group-1'], 'event', 60_000, { waitInMs: 0 })).toBeUndefined();
  expect(await store.heldGroups()).toEqual([]); // it let its group lease go again
  await store.release(tick!);

  const groups = await acquireGroups(store, ['group-1', 'group-2'], 'event', 60_000, { waitInMs: 0 });
  expect(groups).toHaveLength(2);
  expect(await acquireEveryGroup(store, 'tick', 60_000, { waitInMs: 0 })).toBeUndefined();
  expect(await store.isHeld(EVERY_GROUP)).toBe(false);
  for (const lease of groups!) await store.release(lease);
  expect(await acquireEveryGroup(store, 'tick', 60_000, { waitInMs: 0 })).toBeDefined();
});
