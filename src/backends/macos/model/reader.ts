/**
 * A small reader for the SBPL subset cordon emits: lists, symbols, strings with escapes,
 * `#"regex"` literals and `;` comments. It is strict on purpose: anything it cannot read
 * is an error, so a generator bug shows up as a failing test rather than as a profile that
 * sandbox-exec would reject (or, worse, read differently) on a Mac.
 */

export type Node =
  | { type: 'list'; items: Node[]; offset: number }
  | { type: 'symbol'; value: string; offset: number }
  | { type: 'string'; value: string; offset: number }
  | { type: 'regex'; value: string; offset: number };

export class SbplSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
  }
}

const STRING_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t' };

/** Parses a whole profile into its top-level forms. Throws SbplSyntaxError. */
export function readSbpl(text: string): Node[] {
  let i = 0;
  const skip = () => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i]!)) i += 1;
      if (text[i] !== ';') return;
      while (i < text.length && text[i] !== '\n') i += 1;
    }
  };
  const readString = (start: number, raw: boolean): string => {
    let out = '';
    for (;;) {
      if (i >= text.length) throw new SbplSyntaxError(raw ? 'unterminated regex literal' : 'unterminated string', start);
      const c = text[i]!;
      i += 1;
      if (c === '"') return out;
      if (c === '\\' && !raw) {
        const e = text[i];
        if (e === undefined || !(e in STRING_ESCAPES)) throw new SbplSyntaxError(`unknown string escape \\${e ?? ''}`, i - 1);
        out += STRING_ESCAPES[e];
        i += 1;
      } else if (c === '\\' && raw) {
        // A regex keeps its backslashes; `\"` would not end the literal, so forbid it.
        if (text[i] === '"') throw new SbplSyntaxError('escaped quote inside a regex literal', i - 1);
        out += c + (text[i] ?? '');
        i += 1;
      } else out += c;
    }
  };
  const readNode = (): Node => {
    skip();
    const start = i;
    const c = text[i];
    if (c === undefined) throw new SbplSyntaxError('unexpected end of input', i);
    if (c === '(') {
      i += 1;
      const items: Node[] = [];
      for (;;) {
        skip();
        if (i >= text.length) throw new SbplSyntaxError('unbalanced "(": missing ")"', start);
        if (text[i] === ')') {
          i += 1;
          return { type: 'list', items, offset: start };
        }
        items.push(readNode());
      }
    }
    if (c === ')') throw new SbplSyntaxError('unbalanced ")"', i);
    if (c === '"') {
      i += 1;
      return { type: 'string', value: readString(start, false), offset: start };
    }
    if (c === '#' && text[i + 1] === '"') {
      i += 2;
      return { type: 'regex', value: readString(start, true), offset: start };
    }
    let value = '';
    while (i < text.length && !/[\s()";]/.test(text[i]!)) value += text[i++];
    if (value === '') throw new SbplSyntaxError(`unexpected character ${JSON.stringify(c)}`, i);
    return { type: 'symbol', value, offset: start };
  };
  const forms: Node[] = [];
  for (;;) {
    skip();
    if (i >= text.length) return forms;
    forms.push(readNode());
  }
}

/** Helpers for walking the tree. */
export const isList = (n: Node | undefined): n is Extract<Node, { type: 'list' }> => n?.type === 'list';
export const head = (n: Node | undefined): string | undefined => (isList(n) && n.items[0]?.type === 'symbol' ? n.items[0].value : undefined);

export function* walk(node: Node): Generator<Node> {
  yield node;
  if (node.type === 'list') for (const child of node.items) yield* walk(child);
}

/** Renders a node back to text (for error messages). */
export function show(node: Node): string {
  switch (node.type) {
    case 'list':
      return `(${node.items.map(show).join(' ')})`;
    case 'symbol':
      return node.value;
    case 'string':
      return JSON.stringify(node.value);
    case 'regex':
      return `#"${node.value}"`;
  }
}
