import type { ConfigVariable } from './config-variable';

export type RawEnvironment = Readonly<Record<string, string | undefined>>;

export const NODE_ENVS = ['development', 'test', 'production'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

/** What every section may depend on: NODE_ENV (declared by the platform's Runtime section). */
export interface ConfigRuntime {
  readonly nodeEnv: NodeEnv;
  readonly isProduction: boolean;
}

export type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

type Variables = Readonly<Record<string, ConfigVariable<unknown>>>;

/** The checked value of each variable (undefined when unset and without a default). */
export type VariableValues<V extends Variables> = {
  readonly [K in keyof V]: V[K] extends ConfigVariable<infer T> ? T : never;
};

export interface ConfigSectionDefinition<V extends Variables, T> {
  /** Heading of its variables in `.env.example`; README lists sections in load order. */
  readonly title: string;
  /** Every variable the section reads, by name: its one declaration. */
  readonly variables: V;
  /** The typed value the section's token is injected as. */
  readonly build: (values: VariableValues<V>, runtime: ConfigRuntime) => T;
  /**
   * Rules across variables (each problem names them), on the built value. Run only when
   * every variable of the section is valid.
   */
  readonly check?: (value: T, values: VariableValues<V>, runtime: ConfigRuntime) => string[];
}

export type SectionReading<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problems: readonly string[] };

/** The static side of a section's token class: what loading and the docs need. */
export interface ConfigSectionStatics<T> {
  readonly title: string;
  readonly variables: Variables;
  /** Reads and checks the section's variables: its value, or every problem found. */
  read(raw: RawEnvironment, runtime: ConfigRuntime): SectionReading<DeepReadonly<T>>;
}

/**
 * A section's token: extend it (`export class OrdersConfig extends defineConfigSection(…) {}`)
 * and inject the subclass; its instances are the section's value (a plain object, provided
 * as the value of the class).
 */
export type ConfigSectionClass<T> = (abstract new () => DeepReadonly<T>) & ConfigSectionStatics<T>;

/** Any section, for lists of them. */
export type AnyConfigSection = (abstract new () => object) & ConfigSectionStatics<unknown>;

/**
 * Declares a config section: its variables (name, parsing and checks, default, doc line),
 * the typed value built from them, and the rules across them. The result is the base class
 * of the section's DI token; `loadConfig()` reads every listed section into one error.
 */
export function defineConfigSection<const V extends Variables, T>(
  definition: ConfigSectionDefinition<V, T>,
): ConfigSectionClass<T> {
  const statics: ConfigSectionStatics<T> = {
    title: definition.title,
    variables: definition.variables,
    read(raw, runtime) {
      const problems: string[] = [];
      const values: Record<string, unknown> = {};
      for (const [name, declared] of Object.entries(definition.variables)) {
        const reading = declared.read(name, raw[name]);
        if (reading.ok) {
          values[name] = reading.value;
        } else {
          problems.push(reading.problem);
        }
      }
      if (problems.length > 0) {
        return { ok: false, problems };
      }
      const checked = values as VariableValues<V>;
      const value = definition.build(checked, runtime);
      const rules = definition.check?.(value, checked, runtime) ?? [];
      return rules.length > 0
        ? { ok: false, problems: rules }
        : { ok: true, value: value as DeepReadonly<T> };
    },
  };
  // Only ever extended, never constructed: the subclass is the DI token of a plain value.
  const base = Object.assign(function ConfigSection(): void {
    throw new Error(`The config section "${definition.title}" is provided as a value, not built`);
  }, statics);
  return base as unknown as ConfigSectionClass<T>;
}
