/**
 * Turns a policy file's bytes into text. YAML 1.2 allows UTF-8, UTF-16 and UTF-32; a
 * byte-order mark says which (Windows PowerShell 5 writes UTF-16LE with one). Without a
 * mark the file must be UTF-8. Anything else is undecodable: its text, and so the
 * resources it names, are unknown.
 */

export type DecodedText =
  | { ok: true; text: string; encoding: PolicyEncoding; otherReadings?: () => string[] }
  | { ok: false; message: string; hint: string; line: number; column: number };

export type PolicyEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'utf-32le' | 'utf-32be';

interface ByteOrderMark {
  bytes: readonly number[];
  encoding: PolicyEncoding;
}

/** UTF-32LE first: its mark starts with UTF-16LE's. */
const BYTE_ORDER_MARKS: readonly ByteOrderMark[] = [
  { bytes: [0xff, 0xfe, 0x00, 0x00], encoding: 'utf-32le' },
  { bytes: [0x00, 0x00, 0xfe, 0xff], encoding: 'utf-32be' },
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'utf-8' },
  { bytes: [0xff, 0xfe], encoding: 'utf-16le' },
  { bytes: [0xfe, 0xff], encoding: 'utf-16be' },
];

const SAVE_AS_UTF8 = 'save the file as UTF-8 (or UTF-16/UTF-32 with a byte-order mark)';

export function decodePolicyBytes(bytes: Uint8Array): DecodedText {
  const mark = BYTE_ORDER_MARKS.find((candidate) => candidate.bytes.every((byte, index) => bytes[index] === byte));
  const encoding = mark?.encoding ?? 'utf-8';
  const body = bytes.subarray(mark?.bytes.length ?? 0);
  let text: string;
  try {
    text = encoding.startsWith('utf-32') ? decodeUtf32(body, encoding === 'utf-32le') : new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    return {
      ok: false,
      message: `the file is not valid ${mark ? `${encoding.toUpperCase()} (it starts with that byte-order mark)` : 'UTF-8 and has no byte-order mark'}`,
      hint: SAVE_AS_UTF8,
      line: 1,
      column: 1,
    };
  }
  const checked = checkPrintable(text, encoding);
  return checked.ok && encoding !== 'utf-8' ? { ...checked, otherReadings: () => misalignedReadings(body, encoding) } : checked;
}

/**
 * A stray byte in a UTF-16 or UTF-32 file shifts every character after it: that part still
 * decodes, to other characters. Read at every other alignment, each such part reads right
 * in one of them, so the ids it names can still be found.
 */
function misalignedReadings(body: Uint8Array, encoding: PolicyEncoding): string[] {
  const width = encoding.startsWith('utf-32') ? 4 : 2;
  const readings: string[] = [];
  for (let shift = 1; shift < width; shift++) {
    const shifted = body.subarray(shift, shift + Math.floor((body.length - shift) / width) * width);
    readings.push(width === 4 ? decodeUtf32(shifted, encoding === 'utf-32le', false) : new TextDecoder(encoding).decode(shifted));
  }
  return readings;
}

/** Text that is already a string (tests, tools): only the YAML character set is checked. */
export function checkPolicyText(text: string): DecodedText {
  return checkPrintable(text.startsWith('\uFEFF') ? text.slice(1) : text, 'utf-8');
}

function decodeUtf32(bytes: Uint8Array, littleEndian: boolean, fatal = true): string {
  if (bytes.length % 4 !== 0) throw new Error('truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: string[] = [];
  const codePoints: number[] = [];
  for (let offset = 0; offset < bytes.length; offset += 4) {
    const codePoint = view.getUint32(offset, littleEndian);
    const valid = codePoint <= 0x10ffff && (codePoint < 0xd800 || codePoint > 0xdfff);
    if (!valid && fatal) throw new Error('not a code point');
    codePoints.push(valid ? codePoint : 0xfffd);
    if (codePoints.length === 8192) chunks.push(String.fromCodePoint(...codePoints.splice(0)));
  }
  chunks.push(String.fromCodePoint(...codePoints));
  return chunks.join('');
}

/**
 * YAML's printable set: TAB, LF, CR, NEL and everything from space up, less DEL, the C1
 * controls, lone surrogates, U+FFFE and U+FFFF. A NUL is what a UTF-16 file without a mark
 * looks like once read as UTF-8.
 */
const NOT_PRINTABLE = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkPrintable(text: string, encoding: PolicyEncoding): DecodedText {
  const match = NOT_PRINTABLE.exec(text);
  if (!match) return { ok: true, text, encoding };
  const before = text.slice(0, match.index);
  const line = before.split(/\r\n|\r|\n/).length;
  const column = match.index - Math.max(before.lastIndexOf('\n'), before.lastIndexOf("\r"));
  const code = match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  return {
    ok: false,
    message: `the file contains the control character U+${code}, which YAML does not allow`,
    hint: code === '0000' ? `a file full of U+0000 is usually UTF-16 without a byte-order mark: ${SAVE_AS_UTF8}` : 'remove it, or write it as an escape (\\x..) inside double quotes',
    line,
    column,
  };
}
