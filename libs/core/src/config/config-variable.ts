/**
 * One environment variable: how it is read and checked, its default, and the line that
 * documents it (README's table and `.env.example` are generated from these). A section
 * (`defineConfigSection`) names its variables; the name is the key it is declared under.
 */
export interface ConfigVariable<T> {
  /** What it does, one line of Markdown. */
  readonly doc: string;
  /** The default as README shows it (Markdown): the literal, words, or `unset`. */
  readonly defaultDoc: string;
  /** What `.env.example` shows after `NAME=`: the default literal, an example, or nothing. */
  readonly exampleValue: string;
  /** The value of `raw` (undefined: unset), or the one problem line naming the variable. */
  read(name: string, raw: string | undefined): VariableReading<T>;
}

export type VariableReading<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

interface Documented {
  /** What it does, one line of Markdown. */
  readonly doc: string;
  /** How README shows the default when the section computes it (Markdown). */
  readonly defaultDoc?: string;
  /** Shown in `.env.example` for a variable without a literal default. */
  readonly example?: string;
}

type WithDefault<O, T> = O & { readonly default: T };

/** The checked value, or what was read (for the message) and why it is refused. */
type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly shown: string; readonly reasons: readonly string[] };

function variable<T>(
  options: Documented & { readonly default?: T; readonly secret?: boolean },
  parse: (name: string, text: string) => Parsed<T>,
): ConfigVariable<T> {
  const literal = options.default === undefined ? undefined : String(options.default);
  return {
    doc: options.doc,
    defaultDoc: options.defaultDoc ?? (literal === undefined ? 'unset' : `\`${literal}\``),
    exampleValue: literal ?? options.example ?? '',
    read(name, raw) {
      // An empty variable (`FOO=`) means "not set", as in most deployment tools.
      if (raw === undefined || raw.trim() === '') {
        return { ok: true, value: options.default as T };
      }
      const parsed = parse(name, raw);
      if (parsed.ok) {
        return parsed;
      }
      const shown =
        options.secret === true ? `(${raw.length} characters, not shown)` : parsed.shown;
      return { ok: false, problem: `${name}=${shown}: ${parsed.reasons.join('; ')}` };
    },
  };
}

interface IntOptions extends Documented {
  readonly min?: number;
  readonly max?: number;
  /** Replaces the default message for a value below `min`. */
  readonly minMessage?: string;
}

/** A whole number (decimal digits, optional sign), within `min`..`max`. */
export function int(options: WithDefault<IntOptions, number>): ConfigVariable<number>;
export function int(options: IntOptions): ConfigVariable<number | undefined>;
export function int(options: IntOptions & { readonly default?: number }) {
  return variable(options, (name, text): Parsed<number> => {
    const trimmed = text.trim();
    if (!/^-?\d+$/.test(trimmed)) {
      return {
        ok: false,
        shown: JSON.stringify(text),
        reasons: [`${name} must be an integer number`],
      };
    }
    const value = Number(trimmed);
    const reasons: string[] = [];
    if (options.min !== undefined && value < options.min) {
      reasons.push(options.minMessage ?? `${name} must not be less than ${options.min}`);
    }
    if (options.max !== undefined && value > options.max) {
      reasons.push(`${name} must not be greater than ${options.max}`);
    }
    return reasons.length === 0
      ? { ok: true, value }
      : { ok: false, shown: String(value), reasons };
  });
}

/** `true`/`1` or `false`/`0`, in any case. */
export function bool(options: WithDefault<Documented, boolean>): ConfigVariable<boolean>;
export function bool(options: Documented): ConfigVariable<boolean | undefined>;
export function bool(options: Documented & { readonly default?: boolean }) {
  return variable(options, (name, text): Parsed<boolean> => {
    const v = text.trim().toLowerCase();
    if (v === 'true' || v === '1') {
      return { ok: true, value: true };
    }
    if (v === 'false' || v === '0') {
      return { ok: true, value: false };
    }
    return { ok: false, shown: JSON.stringify(text), reasons: [`${name} must be a boolean value`] };
  });
}

/** One of the listed words, exactly. */
export function oneOf<const V extends readonly string[]>(
  values: V,
  options: WithDefault<Documented, V[number]>,
): ConfigVariable<V[number]>;
export function oneOf<const V extends readonly string[]>(
  values: V,
  options: Documented,
): ConfigVariable<V[number] | undefined>;
export function oneOf(
  values: readonly string[],
  options: Documented & { readonly default?: string },
) {
  return variable(options, (name, text): Parsed<string> =>
    values.includes(text)
      ? { ok: true, value: text }
      : {
          ok: false,
          shown: JSON.stringify(text),
          reasons: [`${name} must be one of the following values: ${values.join(', ')}`],
        },
  );
}

interface TextOptions extends Documented {
  readonly pattern?: RegExp;
  /** A check beyond the pattern (e.g. class-validator's `isEmail`). */
  readonly test?: (value: string) => boolean;
  /** Why a value that fails `pattern` or `test` is refused. */
  readonly message?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  /** Why a value outside `minLength`..`maxLength` is refused. */
  readonly lengthMessage?: string;
  /** Applied before the checks (e.g. trimming and lower-casing an email). */
  readonly normalise?: (value: string) => string;
  /** A refused value is not echoed in the error (keys, passwords). */
  readonly secret?: boolean;
}

/** A string, checked against a pattern, a test and length bounds. */
export function text(options: WithDefault<TextOptions, string>): ConfigVariable<string>;
export function text(options: TextOptions): ConfigVariable<string | undefined>;
export function text(options: TextOptions & { readonly default?: string }) {
  return variable(options, (name, raw): Parsed<string> => {
    const value = options.normalise === undefined ? raw : options.normalise(raw);
    const reasons: string[] = [];
    const fitsPattern = options.pattern === undefined || options.pattern.test(value);
    if (!fitsPattern || (options.test !== undefined && !options.test(value))) {
      reasons.push(
        options.message ??
          (fitsPattern
            ? `${name} is not valid`
            : `${name} must match ${String(options.pattern)} regular expression`),
      );
    }
    if (options.minLength !== undefined && value.length < options.minLength) {
      reasons.push(
        options.lengthMessage ??
          `${name} must be longer than or equal to ${options.minLength} characters`,
      );
    } else if (options.maxLength !== undefined && value.length > options.maxLength) {
      reasons.push(
        options.lengthMessage ??
          `${name} must be shorter than or equal to ${options.maxLength} characters`,
      );
    }
    return reasons.length === 0
      ? { ok: true, value }
      : { ok: false, shown: JSON.stringify(value), reasons };
  });
}
