/**
 * How a value from a policy file appears in a report. Reports end up in pull-request
 * comments and logs, and a file may hold a secret where a value should be: a report shows
 * at most a short prefix, escaped so it can neither break out of its line or code block
 * nor drive a terminal.
 */

/** Characters of a value a report shows; a token or password is longer than this. */
export const QUOTED_PREFIX_LENGTH = 16;

/** `'value'`, or `'first 16 characters…'`, with everything but printable ASCII escaped. */
export function quoteValue(value: string): string {
  const characters = [...value];
  const shown = characters.slice(0, QUOTED_PREFIX_LENGTH).map(escapeCharacter).join('');
  return `'${shown}${characters.length > QUOTED_PREFIX_LENGTH ? '…' : ''}'`;
}

/** Free text from a library message, escaped the same way and bounded. */
export function escapeText(text: string, maxLength = 120): string {
  const characters = [...text];
  return characters.slice(0, maxLength).map(escapeCharacter).join('') + (characters.length > maxLength ? '…' : '');
}

/** A file path as given, with control characters and backticks escaped (a file name may hold them). */
export function printablePath(file: string): string {
  return file.replace(/[\p{Cc}\p{Cf}`]/gu, escapeCharacter);
}

function escapeCharacter(character: string): string {
  if (character === '\\' || character === "'" || character === '`') return `\\${character}`;
  if (character === '\n') return '\\n';
  if (character === '\r') return '\\r';
  if (character === '\t') return '\\t';
  const code = character.codePointAt(0)!;
  if (code >= 0x20 && code <= 0x7e) return character;
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\u{${code.toString(16)}}`;
}
