/** Helpers for reading app settings (environment variables), shared by the Function app, alerting and the CLI. */

export type Env = Record<string, string | undefined>;

const TRUE_VALUES = ['true', '1', 'yes', 'on'];
const FALSE_VALUES = ['false', '0', 'no', 'off'];

/**
 * A boolean app setting, parsed strictly: trimmed, any case, true/false, 1/0, yes/no, on/off;
 * empty or unset is the default. Anything else throws, naming the setting and the accepted
 * values: a mistyped switch must stop the tick, not silently mean "false".
 */
export function booleanSetting(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  const value = (raw ?? '').trim().toLowerCase();
  if (value === '') return fallback;
  if (TRUE_VALUES.includes(value)) return true;
  if (FALSE_VALUES.includes(value)) return false;
  throw new Error(
    `${name} must be one of ${TRUE_VALUES.map((yes, index) => `${yes}/${FALSE_VALUES[index]}`).join(', ')} (any case; empty or unset means ${fallback}), not ${JSON.stringify(raw)}`,
  );
}
