/** ARM error bodies: always { "error": { "code", "message", ... } }. */

export interface ArmErrorBody {
  error: { code: string; message: string; target?: string; details?: { code: string; message: string; target?: string }[] };
}

export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly details?: { code: string; message: string; target?: string }[],
    /** Microsoft.Insights' own errors use its ErrorResponse shape { code, message } (activityLogs_API.json) */
    readonly flat = false,
  ) {
    super(message);
  }

  body(): ArmErrorBody | { code: string; message: string } {
    if (this.flat) return { code: this.code, message: this.message };
    const error: ArmErrorBody['error'] = { code: this.code, message: this.message };
    if (this.details) error.details = this.details;
    return { error };
  }
}

export const AKA_NOT_FOUND = 'For more details please go to https://aka.ms/ARMResourceNotFoundFix';

export const errors = {
  missingApiVersion: () =>
    new ArmError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests."),
  invalidApiVersion: (v: string, supported: string[]) =>
    new ArmError(
      400,
      'InvalidApiVersionParameter',
      `The api-version '${v}' is invalid. The supported versions are '${supported.join(',')}'.`,
    ),
  authMissing: () =>
    new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", {
      'WWW-Authenticate':
        'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The authentication failed because of missing \'Authorization\' header."',
    }),
  authInvalid: () =>
    new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is provided in an invalid format.", {
      'WWW-Authenticate':
        'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The access token is invalid."',
    }),
  subscriptionNotFound: (sub: string) => new ArmError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`),
  resourceGroupNotFound: (rg: string) => new ArmError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`),
  /** ARM's answer when the resource group exists but the resource does not */
  resourceNotFound: (type: string, name: string, rg: string) =>
    new ArmError(404, 'ResourceNotFound', `The Resource '${type}/${name}' under resource group '${rg}' was not found. ${AKA_NOT_FOUND}`),
  /** Microsoft.Network's answer for a missing child resource */
  networkNotFound: (id: string) => new ArmError(404, 'NotFound', `Resource ${id} not found.`),
  parentNotFound: (parentName: string) =>
    new ArmError(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${parentName}' not found.`),
  invalidContent: (detail: string) =>
    new ArmError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: '${detail}'.`),
  badRequest: (message: string, code = 'BadRequest') => new ArmError(400, code, message),
  insightsBadRequest: (message: string) => new ArmError(400, 'BadRequest', message, {}, undefined, true),
  notFoundPath: (path: string) =>
    new ArmError(404, 'NotFound', `No HTTP resource was found that matches the request URI '${path}' (not served by the ARM emulator).`),
  methodNotAllowed: (method: string, path: string) =>
    new ArmError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}' (${path}; not served by the ARM emulator).`),
  anotherOperation: (status: number, statusUrl: string, retryAfter: number) =>
    new ArmError(
      status,
      'AnotherOperationInProgress',
      `Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: ${statusUrl}.`,
      { 'Retry-After': String(retryAfter) },
      [],
    ),
  throttled: (kind: 'read' | 'write', sub: string, objectId: string, retryAfter: number) =>
    new ArmError(
      429,
      'SubscriptionRequestsThrottled',
      `Number of '${kind}' requests for subscription '${sub}' actor '${objectId}' exceeded. Please try again after '${retryAfter}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`,
      { 'Retry-After': String(retryAfter) },
    ),
  internal: () =>
    new ArmError(500, 'InternalServerError', 'An unexpected error occured while processing the request. (injected fault)'),
  /** What a write gets when someone else changed the resource first (the If-Match etag no longer matches). */
  concurrentEdit: () => new ArmError(412, 'PreconditionFailed', 'Precondition failed: the resource was changed by another request. (injected fault)'),
  unavailable: (retryAfter: number) =>
    new ArmError(503, 'ServiceUnavailable', 'The service is temporarily unavailable. Please try again later. (injected fault)', {
      'Retry-After': String(retryAfter),
    }),
};
