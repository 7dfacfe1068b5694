/**
 * ARM errors, classified once where they enter the program (the port) so every later step
 * decides on `retry` alone. The table is keyed on the ARM error code first, then the status.
 */

export type RetryClass = 'retryable' | 'fatal' | 'slow';

export class ArmError extends Error {
  override readonly name = 'ArmError';
  constructor(
    message: string,
    readonly code: string,
    readonly statusCode: number | undefined,
    readonly retry: RetryClass,
    readonly resourceId?: string,
    readonly retryAfterInMs?: number,
  ) {
    super(message);
  }
}

/** Codes whose meaning does not depend on the status they came with. */
const BY_CODE: Record<string, RetryClass> = {
  anotheroperationinprogress: 'retryable',
  retryableerror: 'retryable',
  toomanyrequests: 'retryable',
  subscriptionrequeststhrottled: 'retryable',
  operationnotallowed: 'fatal',
  // App Service's Conflict is a standing clash (e.g. "Adding this VNET would exceed the App Service
  // Plan VNET limit of 1"), not a busy resource: that one is AnotherOperationInProgress.
  conflict: 'slow',
  internalservererror: 'retryable',
  serviceunavailable: 'retryable',
  gatewaytimeout: 'retryable',
  requesttimeout: 'retryable',
  econnreset: 'retryable',
  etimedout: 'retryable',
  econnrefused: 'retryable',
  request_send_error: 'retryable',
  // A lock or a policy assignment will not go away on its own within a tick.
  scopelocked: 'slow',
  requestdisallowedbypolicy: 'slow',
  authorizationfailed: 'slow',
  linkedauthorizationfailed: 'slow',
  invalidauthenticationtoken: 'slow',
  authenticationfailed: 'slow',
  expiredauthenticationtoken: 'retryable',
  resourcenotfound: 'fatal',
  parentresourcenotfound: 'fatal',
  notfound: 'fatal',
  badrequest: 'fatal',
  invalidrequestcontent: 'fatal',
  linkedinvalidpropertyid: 'fatal',
  invalidparameter: 'fatal',
  subnetmissingrequireddelegation: 'fatal',
  inusesubnetcannotbeupdated: 'fatal',
  subnetdelegationsnotsupported: 'fatal',
  // The resource changed after it was observed: only a new observation (next tick) helps.
  precondition_failed: 'slow',
  preconditionfailed: 'slow',
};

export function classifyRetry(code: string | undefined, statusCode: number | undefined): RetryClass {
  const byCode = code ? BY_CODE[code.toLowerCase()] : undefined;
  if (byCode) return byCode;
  if (statusCode === undefined) return 'retryable'; // no answer at all: network trouble
  if (statusCode === 412) return 'slow';
  if (statusCode === 408 || statusCode === 409 || statusCode === 429) return 'retryable';
  if (statusCode >= 500) return 'retryable';
  if (statusCode === 401 || statusCode === 403) return 'slow';
  return 'fatal';
}

/**
 * The one converter from anything thrown to an ArmError (the port promises to throw only these):
 * an ArmError passes through; an SDK RestError, or a Node network error, is classified by its
 * code and status, with ARM's Retry-After kept. Anything without a code or a status got no answer
 * from ARM (a dropped connection, a credential that could not fetch a token): retryable, as
 * network trouble is.
 */
export function toArmError(error: unknown, resourceId?: string): ArmError {
  if (error instanceof ArmError || (error instanceof Error && error.name === 'ArmError')) return error as ArmError;
  const restError = error as { code?: unknown; statusCode?: unknown; message?: unknown; response?: { headers?: { get(name: string): string | undefined } } } | undefined;
  const statusCode = typeof restError?.statusCode === 'number' ? restError.statusCode : undefined;
  const code = typeof restError?.code === 'string' && restError.code !== '' ? restError.code : statusCode ? `Http${statusCode}` : 'NetworkError';
  const message = error instanceof Error ? error.message : typeof restError?.message === 'string' ? restError.message : String(error);
  const retryAfter = Number(restError?.response?.headers?.get('retry-after'));
  return new ArmError(message, code, statusCode, classifyRetry(code, statusCode), resourceId, Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : undefined);
}

/** Did this error mean "the resource is not there"? */
export function isNotFound(error: ArmError): boolean {
  return error.statusCode === 404 || /^(resourcenotfound|notfound|parentresourcenotfound|resourcegroupnotfound)$/i.test(error.code);
}
