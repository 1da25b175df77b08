/**
 * The few SBPL text forms cordon emits, and the parameter table behind them.
 *
 * Invariant this file exists to keep: no path ever becomes profile text. A path enters the
 * profile only as `(param "NAME")`, with its value passed to sandbox-exec as `-DNAME=VALUE`
 * (an argv element, never parsed as SBPL). The only strings written into the text are our
 * own constants and validated tokens, and `sbplString` refuses anything else.
 */

/** A filter expression, already rendered (`(subpath (param "X"))`, `(require-all ...)`). */
export type FilterText = string;

/** SBPL string literal for constants we wrote ourselves (service names, message tags). */
export function sbplString(value: string): string {
  // Printable ASCII without `"` or `\`: nothing in it can end the literal or escape.
  if (!/^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/.test(value)) {
    throw new TypeError(`internal: ${JSON.stringify(value)} is not a safe SBPL string constant`);
  }
  return `"${value}"`;
}

/** `#"..."` regex literal; the regex comes from globToSbplRegex or a constant. */
export function sbplRegex(regex: string): string {
  // The reader ends the literal at the first `"`; glob conversion already rejects it.
  if (regex.includes('"') || /[\0-\x1f\x7f]/.test(regex)) {
    throw new TypeError(`internal: regex ${JSON.stringify(regex)} cannot be an SBPL literal`);
  }
  return `#"${regex}"`;
}

export const subpath = (param: string): FilterText => `(subpath (param ${sbplString(param)}))`;
export const literal = (param: string): FilterText => `(literal (param ${sbplString(param)}))`;
export const regex = (re: string): FilterText => `(regex ${sbplRegex(re)})`;
/** `(regex (param "X"))`: a regex built from a path travels as a -D value, like the path itself. */
export const regexParam = (param: string): FilterText => `(regex (param ${sbplString(param)}))`;
export const requireAll = (parts: readonly FilterText[]): FilterText => (parts.length === 1 ? parts[0]! : `(require-all ${parts.join(' ')})`);

/**
 * One `(allow|deny ops... filters... [(with message "...")])` form. Several filters in one
 * rule are alternatives (any may match); an empty list matches every target.
 */
export function rule(action: 'allow' | 'deny', operations: readonly string[], filters: readonly FilterText[], message?: string): string {
  const head = `(${action} ${operations.join(' ')}`;
  const tail = message === undefined ? ')' : ` (with message ${sbplString(message)}))`;
  if (filters.length <= 1) return `${head}${filters.length ? ` ${filters[0]}` : ''}${tail}`;
  return `${head}\n${filters.map((f) => `  ${f}`).join('\n')}${tail}`;
}

/** `; text` lines; comments are ours, but keep them to one line each anyway. */
export function comment(text: string): string {
  return text
    .split('\n')
    .map((line) => `; ${line}`.trimEnd())
    .join('\n');
}

/**
 * Parameter names and their values, in first-use order. One name per distinct value, so a
 * path used by several rules is passed once. Names are ours (`[A-Z0-9_]`), values are any
 * path: they travel as `-DNAME=VALUE` argv elements, which sandbox-exec splits at the
 * first `=` and never parses as SBPL.
 */
export class ParamTable {
  readonly #byValue = new Map<string, string>();
  readonly #counters = new Map<string, number>();
  readonly #entries: Array<[string, string]> = [];

  /** The parameter holding `value`, created under `prefix` on first use. */
  name(prefix: string, value: string): string {
    if (!/^[A-Z][A-Z0-9_]*$/.test(prefix)) throw new TypeError(`internal: bad parameter prefix ${prefix}`);
    const known = this.#byValue.get(value);
    if (known !== undefined) return known;
    const n = this.#counters.get(prefix) ?? 0;
    this.#counters.set(prefix, n + 1);
    const name = `${prefix}_${n}`;
    this.#byValue.set(value, name);
    this.#entries.push([name, value]);
    return name;
  }

  /** `-DNAME=VALUE` arguments in first-use order. */
  defines(): string[] {
    return this.#entries.map(([name, value]) => `-D${name}=${value}`);
  }

  entries(): ReadonlyArray<readonly [string, string]> {
    return this.#entries;
  }
}
