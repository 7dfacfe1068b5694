/** The resource-event Function's settings: defaults, and a clear error for a value it cannot read. */
import { DEFAULT_COALESCE_MS, DEFAULT_LEASE_WAIT_SECONDS, readEventSettings } from '../../src/functions/eventSettings';

it('defaults to a 2 s coalescing window and a 30 s lease wait', () => {
  expect(readEventSettings({})).toEqual({ coalesceWindowInMs: DEFAULT_COALESCE_MS, leaseWaitInMs: DEFAULT_LEASE_WAIT_SECONDS * 1000 });
  expect(readEventSettings({ LOCKDOWN_EVENT_COALESCE_MS: '0', LOCKDOWN_EVENT_LEASE_WAIT_SECONDS: '1.5' })).toEqual({ coalesceWindowInMs: 0, leaseWaitInMs: 1500 });
});

it.each([
  ['LOCKDOWN_EVENT_COALESCE_MS', '-1', /LOCKDOWN_EVENT_COALESCE_MS must be a number of milliseconds \(0 or more\), not "-1"/],
  ['LOCKDOWN_EVENT_LEASE_WAIT_SECONDS', 'half a minute', /LOCKDOWN_EVENT_LEASE_WAIT_SECONDS must be a number of seconds/],
])('%s=%s is refused, naming the setting', (name, value, message) => {
  expect(() => readEventSettings({ [name]: value })).toThrow(message);
});
