/**
 * Bounds on a YAML text's shape, checked from the lexer's tokens (no recursion, stopping at
 * the first excess) before the text is parsed:
 * - depth: the YAML composer recurses once per level; a few hundred `[` in a small file
 *   exhaust the stack, and a stack overflow inside V8's regular-expression compiler aborts
 *   the whole process;
 * - tokens: parsing costs tens of microseconds a token, so a file of a million tiny values
 *   would take seconds; a policy has a few dozen.
 */

import { CST, Lexer } from 'yaml';

export interface OutOfBounds {
  /** Offset of the token where a bound is first exceeded. */
  offset: number;
  bound: 'depth' | 'tokens';
}

export interface YamlBounds {
  maxDepth: number;
  maxTokens: number;
}

/** Tokens the lexer emits that are not part of the source. */
const MARKERS = new Set(['\x02', '\x18', '\x1f']);
const BLOCK_INDICATORS = new Set(['seq-item-ind', 'explicit-key-ind', 'map-value-ind']);

/**
 * The first place where the text goes over a bound, or undefined. Flow collections are
 * counted exactly; block collections by indentation and by indicators sharing a line
 * (`- - x`), which errs on the deep side (a `key: value` line counts as two levels).
 */
export function firstOutOfBounds(text: string, bounds: YamlBounds): OutOfBounds | undefined {
  let offset = 0;
  let tokens = 0;
  let flowDepth = 0;
  let lineStart = true;
  let sameLine = 0;
  const indents: number[] = [];
  let lineOffset = 0;
  const startLine = (at: number, opensFlow: boolean) => {
    const column = at - lineOffset;
    while (indents.length > 0 && indents[indents.length - 1] >= column) indents.pop();
    // A flow collection is counted as flow; were it a key, its `:` would count the mapping.
    if (!opensFlow) indents.push(column);
    lineStart = false;
    sameLine = 0;
  };
  for (const token of new Lexer().lex(text)) {
    if (MARKERS.has(token)) continue;
    const at = offset;
    offset += token.length;
    if (++tokens > bounds.maxTokens) return { offset: at, bound: 'tokens' };
    const type = CST.tokenType(token);
    if (type === 'newline') {
      if (flowDepth === 0) lineStart = true;
      lineOffset = offset;
      continue;
    }
    if (type === 'space' || type === 'comment' || type === 'byte-order-mark' || type === 'directive-line') continue;
    if (type === 'doc-start' || type === 'doc-end') {
      indents.length = 0;
      flowDepth = 0;
      lineStart = false;
      sameLine = 0;
      continue;
    }
    const opensFlow = type === 'flow-seq-start' || type === 'flow-map-start';
    if (flowDepth === 0 && lineStart) startLine(at, opensFlow);
    else if (flowDepth === 0 && type && BLOCK_INDICATORS.has(type)) sameLine++;
    if (opensFlow) flowDepth++;
    else if (type === 'flow-seq-end' || type === 'flow-map-end') flowDepth = Math.max(0, flowDepth - 1);
    const depth = indents.length + sameLine + flowDepth;
    if (depth > bounds.maxDepth) return { offset: at, bound: 'depth' };
    // A scalar may span lines; a block scalar's body ends with its line break.
    const lastBreak = token.lastIndexOf('\n');
    if (lastBreak >= 0) lineOffset = at + lastBreak + 1;
    if (flowDepth === 0 && lastBreak === token.length - 1) lineStart = true;
  }
  return undefined;
}
