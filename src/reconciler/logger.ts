/**
 * Logging: pino everywhere, one child logger per tick (`tickId`). Secrets never reach a line:
 * known secret fields are redacted by path, and any string that looks like a bearer token,
 * a signed URL or a webhook URL is masked by the `scrubSecrets` formatter.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACTED = '[redacted]';

const REDACT_PATHS = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'webhookUrl',
  '*.webhookUrl',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'connectionString',
  '*.connectionString',
];

const SECRET_PATTERNS: RegExp[] = [
  /Bearer\s+[A-Za-z0-9\-._~+/]+=*/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*/g, // JWT
  /([?&](sig|code|token|key)=)[^&\s"]+/gi,
  /https:\/\/[^\s"]*(webhook|hooks\.slack\.com|logic\.azure\.com|workflows)[^\s"]*/gi,
  /(AccountKey|SharedAccessKey|SharedAccessSignature)=[^;\s"]+/gi,
];

export function scrubSecrets(text: string): string {
  return SECRET_PATTERNS.reduce(
    (result, pattern) => result.replace(pattern, (match, prefix?: string) => (typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}${REDACTED}` : REDACTED)),
    text,
  );
}

/** An error as log fields, only what helps: SDK errors carry the request (and its signed headers), which must not be logged. */
export function errorFields(error: unknown): { name: string; code?: string; statusCode?: number; message: string } {
  const value = error as { name?: string; code?: string; statusCode?: number; message?: string };
  return { name: value?.name ?? 'Error', code: value?.code, statusCode: value?.statusCode, message: String(value?.message ?? error) };
}

function scrubDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => scrubDeep(item, depth + 1));
  if (value instanceof Error) return { name: value.name, message: scrubSecrets(value.message), code: (value as { code?: unknown }).code };
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = scrubDeep(item, depth + 1);
  return copy;
}

export interface CreateLoggerOptions {
  level?: string;
  /** Where JSON lines go; default stdout. */
  destination?: DestinationStream;
}

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  return pino(
    {
      name: 'lockdown',
      level: options.level ?? process.env.LOCKDOWN_LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      formatters: { log: (object) => scrubDeep(object) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubSecrets(arg) : arg)) as Parameters<typeof method>;
          method.apply(this, scrubbed);
        },
      },
    },
    options.destination,
  );
}
