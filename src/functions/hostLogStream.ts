/**
 * A pino destination that hands each line to the Functions host through the invocation
 * context, so the host and Application Insights get it at the right level with the
 * invocation id attached.
 */
import type { InvocationContext } from '@azure/functions';
import type { DestinationStream } from 'pino';

export function hostLogStream(context: InvocationContext): DestinationStream {
  return {
    write(line: string): void {
      const text = line.trimEnd();
      let level = 30;
      try {
        level = (JSON.parse(text) as { level?: number }).level ?? 30;
      } catch {
        // not JSON: log as info
      }
      if (level >= 50) context.error(text);
      else if (level >= 40) context.warn(text);
      else if (level >= 30) context.info(text);
      else context.debug(text);
    },
  };
}
