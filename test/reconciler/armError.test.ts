import { RestError } from '@azure/core-rest-pipeline';
import { classifyRetry, isNotFound, ArmError, toArmError } from '../../src/reconciler/armError';

describe('ARM error classification', () => {
  it.each([
    ['AnotherOperationInProgress', 409, 'retryable'],
    ['AnotherOperationInProgress', 429, 'retryable'],
    ['RetryableError', 500, 'retryable'],
    ['SubscriptionRequestsThrottled', 429, 'retryable'],
    ['InternalServerError', 500, 'retryable'],
    ['ScopeLocked', 409, 'slow'],
    ['RequestDisallowedByPolicy', 403, 'slow'],
    ['AuthorizationFailed', 403, 'slow'],
    ['LinkedAuthorizationFailed', 403, 'slow'],
    ['ExpiredAuthenticationToken', 401, 'retryable'],
    ['ResourceNotFound', 404, 'fatal'],
    ['ParentResourceNotFound', 404, 'fatal'],
    // also integration into a subnet another plan uses: fixed only by changing the policy or the other plan
    ['BadRequest', 400, 'fatal'],
    ['InvalidRequestContent', 400, 'fatal'],
    ['SubnetMissingRequiredDelegation', 400, 'fatal'],
    ['InUseSubnetCannotBeUpdated', 400, 'fatal'],
    ['PreconditionFailed', 412, 'slow'],
    // a plan that already uses another subnet: App Service's Conflict never clears by itself within a tick
    ['Conflict', 409, 'slow'],
  ] as const)('classifies code %s (status %d) as %s', (code, status, expected) => {
    expect(classifyRetry(code, status)).toBe(expected);
  });

  it.each([
    [undefined, 503, 'retryable'],
    [undefined, 502, 'retryable'],
    [undefined, 429, 'retryable'],
    [undefined, 408, 'retryable'],
    [undefined, 412, 'slow'],
    [undefined, 401, 'slow'],
    [undefined, 403, 'slow'],
    [undefined, 400, 'fatal'],
    [undefined, 404, 'fatal'],
    ['SomethingNew', 500, 'retryable'],
    ['SomethingNew', 422, 'fatal'],
    [undefined, undefined, 'retryable'],
  ] as const)('falls back to the status when the code is %s (status %s): %s', (code, status, expected) => {
    expect(classifyRetry(code, status)).toBe(expected);
  });

  it('matches codes without regard to case', () => {
    expect(classifyRetry('anotheroperationinprogress', 400)).toBe('retryable');
  });

  it('tells a missing resource from other failures', () => {
    expect(isNotFound(new ArmError('x', 'ResourceNotFound', 404, 'fatal'))).toBe(true);
    expect(isNotFound(new ArmError('x', 'ParentResourceNotFound', 404, 'fatal'))).toBe(true);
    expect(isNotFound(new ArmError('x', 'AuthorizationFailed', 403, 'slow'))).toBe(false);
  });

  describe('toArmError, the one converter of anything thrown', () => {
    it('passes an ArmError through unchanged', () => {
      const error = new ArmError('x', 'Conflict', 409, 'slow');
      expect(toArmError(error)).toBe(error);
    });

    it('classifies an SDK error by its code and status and keeps Retry-After', () => {
      const headers = { get: (name: string) => (name === 'retry-after' ? '7' : undefined) };
      const error = toArmError(Object.assign(new RestError('busy', { code: 'AnotherOperationInProgress', statusCode: 409 }), { response: { headers } }), '/subscriptions/s/x');
      expect(error).toMatchObject({ name: 'ArmError', code: 'AnotherOperationInProgress', statusCode: 409, retry: 'retryable', retryAfterInMs: 7000, resourceId: '/subscriptions/s/x' });
    });

    it('names an error that has only a status after it', () => {
      expect(toArmError(new RestError('gone', { statusCode: 404 }))).toMatchObject({ code: 'Http404', retry: 'fatal' });
    });

    it('treats an answerless failure as network trouble (retryable), a string thrown included', () => {
      expect(toArmError(new RestError('socket hang up', { code: 'ECONNRESET' }))).toMatchObject({ code: 'ECONNRESET', retry: 'retryable' });
      expect(toArmError(new Error('no token'))).toMatchObject({ code: 'NetworkError', statusCode: undefined, retry: 'retryable', message: 'no token' });
      expect(toArmError('boom')).toMatchObject({ code: 'NetworkError', message: 'boom' });
    });
  });
});
