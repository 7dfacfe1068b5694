/**
 * `lockdownStatus`: GET, function-key auth. The same JSON as `lockdown status --output json`:
 * every pair's conditions, last reconcile time and observed generation, from Table Storage.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { errorFields } from '../reconciler/logger';
import { readStatus } from '../reconciler/status/history';
import { readAlertSettings } from '../reconciler/alerts/settings';
import { storeFromSettings, type AlertStore } from '../reconciler/state/store';

export async function statusHttp(_request: HttpRequest, context: InvocationContext, store?: AlertStore): Promise<HttpResponseInit> {
  const stateStore = store ?? storeFromSettings(readAlertSettings());
  if (!stateStore) return { status: 503, jsonBody: { error: { code: 'NoStateStorage', message: 'set AzureWebJobsStorage or LOCKDOWN_STATE_CONNECTION' } } };
  try {
    return { status: 200, jsonBody: await readStatus(stateStore), headers: { 'Cache-Control': 'no-store' } };
  } catch (error) {
    const fields = errorFields(error);
    context.error(JSON.stringify({ event: 'lockdown.statusFailed', error: { name: fields.name, code: fields.code, statusCode: fields.statusCode } }));
    return { status: 502, jsonBody: { error: { code: 'StateStorageUnavailable', message: 'the status table could not be read' } } };
  }
}
