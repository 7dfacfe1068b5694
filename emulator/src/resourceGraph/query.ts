/**
 * The KQL subset of the queries Lockdown sends to Resource Graph, and nothing more:
 *
 *   <table> | where <column> in~ ('a', 'b') | where <column> =~ 'a' | project <columns> | order by id asc
 *
 * Anything else is refused the way Resource Graph refuses a query it cannot parse (400,
 * BadRequest with InvalidQuery and ParserFailure details). Only this subset is emulated.
 */
import { ArmError } from '../errors';

export type ResourceGraphTable = 'resources' | 'appserviceresources';

export interface ColumnFilter {
  column: string;
  /** Compared case-insensitively (=~ and in~). */
  values: string[];
}

export interface ParsedQuery {
  table: ResourceGraphTable;
  filters: ColumnFilter[];
  /** undefined: every column. */
  project?: string[];
  orderById: boolean;
}

const TABLES: ResourceGraphTable[] = ['resources', 'appserviceresources'];
export const COLUMNS = ['id', 'name', 'type', 'location', 'kind', 'sku', 'etag', 'tags', 'properties', 'subscriptionId', 'resourceGroup', 'tenantId'];
const FILTER_COLUMNS = ['type', 'name', 'subscriptionId', 'resourceGroup', 'location', 'id'];
const STRING = `'((?:[^'\\\\]|\\\\.)*)'`;
const IN_LIST = new RegExp(`^where\\s+(\\w+)\\s+in~\\s*\\(\\s*(${STRING}(?:\\s*,\\s*${STRING})*)\\s*\\)$`, 'i');
const EQUALS = new RegExp(`^where\\s+(\\w+)\\s*=~\\s*${STRING}$`, 'i');
const PROJECT = /^project\s+(\w+(?:\s*,\s*\w+)*)$/i;
const ORDER = /^(?:order|sort)\s+by\s+id(?:\s+asc)?$/i;

/** Resource Graph's answer to a query it does not understand (the emulator: outside its subset). */
export function invalidQuery(detail: string, token: string): ArmError {
  return new ArmError(400, 'BadRequest', 'Please provide below info when asking for support: timestamp = ' + new Date().toISOString() + '. Query is invalid.', {}, [
    { code: 'InvalidQuery', message: 'Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying.' },
    // The spec's ErrorDetails admits only object-valued extra fields: the token goes into the message.
    { code: 'ParserFailure', message: `${detail}${token ? ` at '${token}'` : ''} (the emulator serves only the query shapes Lockdown sends)` },
  ]);
}

function strings(list: string): string[] {
  return [...list.matchAll(new RegExp(STRING, 'g'))].map((match) => match[1].replace(/\\(.)/g, '$1'));
}

function knownColumn(column: string, allowed: string[], operator: string): string {
  const found = allowed.find((name) => name.toLowerCase() === column.toLowerCase());
  if (!found) throw invalidQuery(`'${operator}' operator: Failed to resolve column or scalar expression named '${column}'`, column);
  return found;
}

export function parseQuery(text: unknown): ParsedQuery {
  if (typeof text !== 'string' || text.trim() === '') throw invalidQuery('the query is empty', '');
  const [head, ...operators] = text.split('|').map((part) => part.trim());
  const table = TABLES.find((name) => name === head.toLowerCase());
  if (!table) throw invalidQuery(`Table '${head}' could not be found`, head);
  const parsed: ParsedQuery = { table, filters: [], orderById: false };
  for (const operator of operators) {
    const inList = IN_LIST.exec(operator);
    const equals = EQUALS.exec(operator);
    const project = PROJECT.exec(operator);
    if (inList) parsed.filters.push({ column: knownColumn(inList[1], FILTER_COLUMNS, 'where'), values: strings(inList[2]) });
    else if (equals) parsed.filters.push({ column: knownColumn(equals[1], FILTER_COLUMNS, 'where'), values: strings(`'${equals[2]}'`) });
    else if (project) parsed.project = project[1].split(',').map((column) => knownColumn(column.trim(), COLUMNS, 'project'));
    else if (ORDER.test(operator)) parsed.orderById = true;
    else throw invalidQuery(`Syntax error or unsupported operator near '${operator.slice(0, 40)}'`, operator.split(/\s+/)[0] ?? '');
  }
  return parsed;
}
