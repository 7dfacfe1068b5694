/**
 * State across ticks, behind a small interface: drift records (with the alert being
 * delivered), the last time each resource was seen in sync, pair status and history.
 *
 * Every write that decides something is conditional: create-if-absent for a new drift,
 * If-Match (ETag) for every change to an existing one. Two overlapping runs therefore
 * never both open, claim or resolve the same drift: the loser gets `conflict` and skips,
 * and what it skipped is derived again from the actual state on the next tick.
 *
 * The drift records one alert lists (one change: see `alertGroupKey`) are written together,
 * all or nothing (`writeDrifts`: one entity group transaction, the records share a
 * partition), so no run ever sees, opens or claims part of a change.
 */
import { createHash } from 'node:crypto';
import type { TableClient, TableEntity, TableEntityResult, TransactionAction } from '@azure/data-tables';
import type { TokenCredential } from '@azure/core-auth';
import { LazyDefaultAzureCredential } from '../azure/connection';
import { dataTablesSdk } from '../azure/sdk';
import type { Actor, AlertKind, DriftFacts } from '../alerts/types';
import type { HistoryEntry, PairStatus } from '../status/types';

export type SinkDeliveryState = 'pending' | 'delivered' | 'abandoned';

export interface SinkDelivery {
  state: SinkDeliveryState;
  attempts: number;
  lastError?: string;
  deliveredAt?: string;
  /**
   * What this sink is sent when it differs from the alert's kind: a "resolved" alert is sent
   * as "opened" (the record carries `resolvedAt`, so it says both) to a sink that never got
   * the opened alert of the same drift.
   */
  kind?: AlertKind;
}

/** The notification a drift record is delivering, or delivered last. */
export interface AlertDelivery {
  alertId: string;
  kind: AlertKind;
  createdAt: string;
  /** open: waiting to be sent; notifying: claimed by a run; sent: every sink delivered or given up. */
  status: 'open' | 'notifying' | 'sent';
  claimedBy?: string;
  /** A claim older than this is considered abandoned (the run died) and may be taken over. */
  claimedUntil?: string;
  sinks: Record<string, SinkDelivery>;
}

export interface DriftRecord extends DriftFacts {
  symbol: '+' | '~' | '-';
  firstDetectedAt: string;
  lastDetectedAt: string;
  lastTickId: string;
  /** Set once the drift is gone (repaired or fixed by hand); the record stays as a tombstone for a while. */
  resolvedAt?: string;
  /**
   * The last observation that matched the policy before this drift was found, as the store
   * knew it when the record was opened (unset: never seen in sync). The actor lookup searches
   * from here; the store's own value moves on once the drift is repaired or gone.
   */
  lastInSyncAt?: string;
  actor?: Actor;
  alert?: AlertDelivery;
}

export interface Stored<T> {
  value: T;
  etag: string;
}

export type WriteResult = { ok: true; etag: string } | { ok: false; conflict: true };

/** One write of `writeDrifts`: create-if-absent without an etag, If-Match with one. */
export interface DriftWrite {
  record: DriftRecord;
  etag?: string;
}

export type WriteAllResult = { ok: true; etags: string[] } | { ok: false; conflict: true };

/** The most records one `writeDrifts` takes (Table Storage's limit on a transaction). */
export const MAX_DRIFT_WRITES = 100;

export interface AlertStore {
  listDrift(): Promise<Stored<DriftRecord>[]>;
  /** Create-if-absent. */
  createDrift(record: DriftRecord): Promise<WriteResult>;
  /** If-Match. */
  replaceDrift(record: DriftRecord, etag: string): Promise<WriteResult>;
  deleteDrift(key: string, etag: string): Promise<boolean>;
  /**
   * All or nothing: every write succeeds (answers the new etags, in order) or none does (a
   * create found its record, or an If-Match its etag changed). Distinct keys, at most
   * `MAX_DRIFT_WRITES`.
   */
  writeDrifts(writes: DriftWrite[]): Promise<WriteAllResult>;

  /** Last time each resource (canonical id) was seen matching every policy that mentions it. */
  listInSync(): Promise<Map<string, string>>;
  /** Moves lastInSyncAt forward only (an older run never moves it back). */
  markInSync(resourceId: string, at: string): Promise<void>;

  listStatus(): Promise<Stored<PairStatus>[]>;
  /** etag undefined: create-if-absent. */
  writeStatus(status: PairStatus, etag: string | undefined): Promise<WriteResult>;

  /** Idempotent: the same id written twice is one entry. */
  putHistory(id: string, entry: HistoryEntry): Promise<void>;
  /** Newest first; `matches` filters before `limit` counts. */
  listHistory(options?: HistoryQuery): Promise<HistoryEntry[]>;
}

export interface HistoryQuery {
  policy?: string;
  matches?: (entry: HistoryEntry) => boolean;
  limit?: number;
}

export const DEFAULT_TABLES = { drift: 'lockdowndrift', status: 'lockdownstatus', history: 'lockdownhistory', lease: 'lockdownlease' };

export const hashKey = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 40);

/** PartitionKey / RowKey may not contain / \ # ? or control characters. */
const safeKey = (text: string) => text.replace(/[/\\#?\u0000-\u001f\u007f-\u009f]/g, '_');

/** Sorts newest first as a RowKey prefix. */
export function reverseTime(iso: string): string {
  return String(8_640_000_000_000_000 - Date.parse(iso)).padStart(16, '0');
}

const PARTITION = { drift: 'drift', resource: 'resource', history: 'history' };

interface DataEntity {
  partitionKey: string;
  rowKey: string;
  data: string;
  [column: string]: unknown;
}

export function isStatus(error: unknown, ...codes: number[]): boolean {
  return typeof error === 'object' && error !== null && codes.includes((error as { statusCode?: number }).statusCode ?? -1);
}

export interface TableStoreOptions {
  tables?: Partial<typeof DEFAULT_TABLES>;
}

/** Where state lives: a connection string, or a table service URL with a credential (identity-based AzureWebJobsStorage). */
export type StateConnection = { connectionString: string } | { tableServiceUrl: string; credential: TokenCredential };

/**
 * LOCKDOWN_STATE_CONNECTION, else the Function's own storage: AzureWebJobsStorage (a
 * connection string) or its identity-based form (AzureWebJobsStorage__accountName /
 * __tableServiceUri, with the managed identity).
 */
export function stateConnectionFromSettings(settings: Record<string, string | undefined> = process.env): StateConnection | undefined {
  const connectionString = settings.LOCKDOWN_STATE_CONNECTION || settings.AzureWebJobsStorage;
  if (connectionString) return { connectionString };
  const tableServiceUrl = settings.AzureWebJobsStorage__tableServiceUri || (settings.AzureWebJobsStorage__accountName ? `https://${settings.AzureWebJobsStorage__accountName}.table.core.windows.net` : undefined);
  if (!tableServiceUrl) return undefined;
  const clientId = settings.AzureWebJobsStorage__clientId || settings.LOCKDOWN_MANAGED_IDENTITY_CLIENT_ID || settings.AZURE_CLIENT_ID;
  return { tableServiceUrl, credential: new LazyDefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {}) };
}

/** The Table Storage store the settings name (see `readAlertSettings`), if they name one. */
export function storeFromSettings(settings: { state?: StateConnection; tables: typeof DEFAULT_TABLES }): AlertStore | undefined {
  return settings.state ? new TableAlertStore(settings.state, { tables: settings.tables }) : undefined;
}

/** A client of one table of the state storage (plain HTTP only for the local emulator). */
export function tableClient(connection: StateConnection, table: string): TableClient {
  const { TableClient } = dataTablesSdk();
  if ('connectionString' in connection) {
    const insecure = /^UseDevelopmentStorage=true|DefaultEndpointsProtocol=http;|TableEndpoint=http:/i.test(connection.connectionString);
    return TableClient.fromConnectionString(connection.connectionString, table, { allowInsecureConnection: insecure });
  }
  return new TableClient(connection.tableServiceUrl, table, connection.credential);
}

export class TableAlertStore implements AlertStore {
  readonly #drift: TableClient;
  readonly #status: TableClient;
  readonly #history: TableClient;
  #ready?: Promise<void>;

  constructor(connection: StateConnection, options: TableStoreOptions = {}) {
    const tables = { ...DEFAULT_TABLES, ...options.tables };
    const client = (table: string) => tableClient(connection, table);
    this.#drift = client(tables.drift);
    this.#status = client(tables.status);
    this.#history = client(tables.history);
  }

  /** Creates the tables once (idempotent); a failure is not cached, so the next call tries again. */
  ready(): Promise<void> {
    this.#ready ??= Promise.allSettled([this.#drift, this.#status, this.#history].map((table) => table.createTable())).then((results) => {
      const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failure) {
        this.#ready = undefined;
        throw failure.reason;
      }
    });
    return this.#ready;
  }

  async #list<T>(table: TableClient, filter: string): Promise<Stored<T>[]> {
    await this.ready();
    const rows: Stored<T>[] = [];
    for await (const entity of table.listEntities<DataEntity>({ queryOptions: { filter } })) {
      rows.push({ value: JSON.parse(entity.data) as T, etag: entity.etag });
    }
    return rows;
  }

  async #create(table: TableClient, entity: DataEntity): Promise<WriteResult> {
    await this.ready();
    try {
      const response = await table.createEntity(entity);
      return { ok: true, etag: response.etag ?? '' };
    } catch (error) {
      if (isStatus(error, 409)) return { ok: false, conflict: true };
      throw error;
    }
  }

  async #replace(table: TableClient, entity: DataEntity, etag: string): Promise<WriteResult> {
    await this.ready();
    try {
      const response = await table.updateEntity(entity, 'Replace', { etag });
      return { ok: true, etag: response.etag ?? '' };
    } catch (error) {
      if (isStatus(error, 412, 404)) return { ok: false, conflict: true };
      throw error;
    }
  }

  listDrift(): Promise<Stored<DriftRecord>[]> {
    return this.#list<DriftRecord>(this.#drift, `PartitionKey eq '${PARTITION.drift}'`);
  }

  #driftEntity(record: DriftRecord): DataEntity {
    return { partitionKey: PARTITION.drift, rowKey: hashKey(record.key), policy: record.policy, key: record.key, resolved: record.resolvedAt !== undefined, data: JSON.stringify(record) };
  }

  createDrift(record: DriftRecord): Promise<WriteResult> {
    return this.#create(this.#drift, this.#driftEntity(record));
  }

  replaceDrift(record: DriftRecord, etag: string): Promise<WriteResult> {
    return this.#replace(this.#drift, this.#driftEntity(record), etag);
  }

  async writeDrifts(writes: DriftWrite[]): Promise<WriteAllResult> {
    if (writes.length > MAX_DRIFT_WRITES) throw new Error(`writeDrifts: ${writes.length} records, at most ${MAX_DRIFT_WRITES} in one transaction`);
    if (new Set(writes.map((write) => write.record.key)).size !== writes.length) throw new Error('writeDrifts: a record is written twice');
    if (writes.length === 0) return { ok: true, etags: [] };
    if (writes.length === 1) {
      const [{ record, etag }] = writes;
      const written = etag === undefined ? await this.createDrift(record) : await this.replaceDrift(record, etag);
      return written.ok ? { ok: true, etags: [written.etag] } : written;
    }
    await this.ready();
    const actions: TransactionAction[] = writes.map(({ record, etag }) =>
      etag === undefined ? ['create', this.#driftEntity(record)] : ['update', this.#driftEntity(record), 'Replace', { etag }],
    );
    try {
      // One entity group transaction: the service applies every action or none.
      const response = await this.#drift.submitTransaction(actions);
      // Sub-responses come in the order of the actions (an update's carries no row key).
      return { ok: true, etags: writes.map((_, index) => response.subResponses[index]?.etag ?? '') };
    } catch (error) {
      if (isStatus(error, 409, 412, 404)) return { ok: false, conflict: true };
      throw error;
    }
  }

  async deleteDrift(key: string, etag: string): Promise<boolean> {
    await this.ready();
    try {
      await this.#drift.deleteEntity(PARTITION.drift, hashKey(key), { etag });
      return true;
    } catch (error) {
      if (isStatus(error, 412, 404)) return false;
      throw error;
    }
  }

  async listInSync(): Promise<Map<string, string>> {
    const rows = await this.#list<{ resourceId: string; lastInSyncAt: string }>(this.#status, `PartitionKey eq '${PARTITION.resource}'`);
    return new Map(rows.map((row) => [row.value.resourceId, row.value.lastInSyncAt]));
  }

  async markInSync(resourceId: string, at: string): Promise<void> {
    await this.ready();
    const rowKey = hashKey(resourceId);
    const entity = (): DataEntity => ({ partitionKey: PARTITION.resource, rowKey, data: JSON.stringify({ resourceId, lastInSyncAt: at }) });
    for (let attempt = 0; attempt < 5; attempt++) {
      let current: TableEntityResult<DataEntity> | undefined;
      try {
        current = await this.#status.getEntity<DataEntity>(PARTITION.resource, rowKey);
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
      }
      if (!current) {
        if ((await this.#create(this.#status, entity())).ok) return;
        continue;
      }
      if (Date.parse((JSON.parse(current.data) as { lastInSyncAt: string }).lastInSyncAt) >= Date.parse(at)) return;
      if ((await this.#replace(this.#status, entity(), current.etag)).ok) return;
    }
  }

  listStatus(): Promise<Stored<PairStatus>[]> {
    return this.#list<PairStatus>(this.#status, `PartitionKey ge 'pair.' and PartitionKey lt 'pair/'`);
  }

  writeStatus(status: PairStatus, etag: string | undefined): Promise<WriteResult> {
    const entity: DataEntity = {
      partitionKey: `pair.${safeKey(status.policy)}`,
      rowKey: hashKey(`${status.caller.toLowerCase()}>${status.callee.toLowerCase()}`),
      policy: status.policy,
      data: JSON.stringify(status),
    };
    return etag === undefined ? this.#create(this.#status, entity) : this.#replace(this.#status, entity, etag);
  }

  async putHistory(id: string, entry: HistoryEntry): Promise<void> {
    await this.ready();
    const entity: TableEntity<DataEntity> = {
      partitionKey: PARTITION.history,
      rowKey: `${reverseTime(entry.at)}-${hashKey(id).slice(0, 16)}`,
      policy: entry.policy,
      kind: entry.kind,
      data: JSON.stringify(entry),
    };
    await this.#history.upsertEntity(entity, 'Replace');
  }

  async listHistory(options: HistoryQuery = {}): Promise<HistoryEntry[]> {
    await this.ready();
    const filter = options.policy ? `PartitionKey eq '${PARTITION.history}' and policy eq '${options.policy.replace(/'/g, "''")}'` : `PartitionKey eq '${PARTITION.history}'`;
    const entries: HistoryEntry[] = [];
    // RowKeys sort newest first, and the service returns them in RowKey order.
    for await (const entity of this.#history.listEntities<DataEntity>({ queryOptions: { filter } })) {
      const entry = JSON.parse(entity.data) as HistoryEntry;
      if (options.matches && !options.matches(entry)) continue;
      entries.push(entry);
      if (options.limit !== undefined && entries.length >= options.limit) break;
    }
    return entries;
  }
}
