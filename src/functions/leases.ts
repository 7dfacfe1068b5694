/** Where the Functions keep their leases: the state storage, else (one instance only) this process. */
import type { AlertSettings } from '../reconciler/alerts/settings';
import { MemoryLeaseStore, TableLeaseStore, type LeaseStore } from '../reconciler/events/lease';

const inProcess = new MemoryLeaseStore();

export function leaseStoreFromSettings(settings: Pick<AlertSettings, 'state' | 'tables'>): LeaseStore {
  return settings.state ? new TableLeaseStore(settings.state, settings.tables.lease) : inProcess;
}
