import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import type { ValueProvider } from '@nestjs/common';
import { parse as parseDotenv } from 'dotenv';

import type { AppConfig } from './app-config';
import type { AnyConfigSection, ConfigRuntime, RawEnvironment } from './config-section';
import { ConfigValidationError } from './config-validation.error';
import {
  PLATFORM_SECTIONS,
  PaginationSection,
  RuntimeSection,
  mergePlatformValues,
  platformChecks,
} from './platform.config';

export type { RawEnvironment } from './config-section';

/**
 * The process environment, over the values of a `.env` file in the working directory
 * (real environment variables win). This is the only place that reads `process.env`.
 */
export function readEnvironment(overrides: RawEnvironment = {}): RawEnvironment {
  const file = resolve(process.cwd(), '.env');
  const fromFile = existsSync(file) ? parseDotenv(readFileSync(file)) : {};
  return { ...fromFile, ...process.env, ...overrides };
}

/** The loaded values of the domain modules' sections, by section class. */
export class ConfigSections {
  constructor(private readonly values: ReadonlyMap<AnyConfigSection, object>) {}

  get<S extends AnyConfigSection>(section: S): InstanceType<S> {
    const value = this.values.get(section);
    if (value === undefined) {
      throw new Error(`Config section "${section.title}" was not loaded: list it in src/config.ts`);
    }
    return value as InstanceType<S>;
  }

  /** Each section's class provides its value (CoreModule registers these globally). */
  providers(): ValueProvider[] {
    return [...this.values].map(([section, value]) => ({ provide: section, useValue: value }));
  }
}

/** The platform's config (AppConfig) with every module section, as `loadConfig()` returns it. */
export interface LoadedConfig extends AppConfig {
  readonly sections: ConfigSections;
}

export interface LoadConfigOptions {
  /** The domain modules' sections, read after the platform's, in this order. */
  readonly sections: readonly AnyConfigSection[];
  /**
   * The secret the cursor key is derived from when CURSOR_SECRET is unset (so every instance
   * sharing it accepts the others' cursors); null or absent: a random key per process.
   */
  readonly cursorSecretSeed?: (sections: ConfigSections) => string | null;
}

/** Every section the options list, the platform's first: the order of README's table. */
export function allConfigSections(
  options: Pick<LoadConfigOptions, 'sections'>,
): AnyConfigSection[] {
  const all: AnyConfigSection[] = [...PLATFORM_SECTIONS, ...options.sections];
  const owner = new Map<string, string>();
  for (const section of all) {
    for (const name of Object.keys(section.variables)) {
      const first = owner.get(name);
      if (first !== undefined) {
        throw new Error(`${name} is declared twice, by "${first}" and "${section.title}"`);
      }
      owner.set(name, section.title);
    }
  }
  return all;
}

function cursorSecret(configured: string | null, seed: string | null): string {
  if (configured !== null) {
    return configured;
  }
  if (seed !== null) {
    return createHmac('sha256', seed).update('pagination-cursor').digest('base64url');
  }
  return randomBytes(32).toString('base64url');
}

const DEVELOPMENT: ConfigRuntime = { nodeEnv: 'development', isProduction: false };

/**
 * Reads every section (the platform's, then the modules') from the environment into typed
 * values; throws one ConfigValidationError naming every bad variable of every section.
 * A section's rules across variables run when its own variables are valid.
 */
export function loadConfig(raw: RawEnvironment, options: LoadConfigOptions): LoadedConfig {
  const all = allConfigSections(options);
  const runtimeReading = RuntimeSection.read(raw, DEVELOPMENT);
  const runtime = runtimeReading.ok ? runtimeReading.value : DEVELOPMENT;
  const problems: string[] = [];
  const values = new Map<AnyConfigSection, object>();
  for (const section of all) {
    const reading = section === RuntimeSection ? runtimeReading : section.read(raw, runtime);
    if (reading.ok) {
      values.set(section, reading.value as object);
    } else {
      problems.push(...reading.problems);
    }
  }
  const value = <S extends AnyConfigSection>(section: S): InstanceType<S> =>
    values.get(section) as InstanceType<S>;
  if (PLATFORM_SECTIONS.every((section) => values.has(section))) {
    problems.push(...platformChecks(value));
  }
  if (problems.length > 0) {
    throw new ConfigValidationError(problems);
  }

  const sections = new ConfigSections(
    new Map(options.sections.map((section) => [section, value(section)])),
  );
  const seed = options.cursorSecretSeed?.(sections) ?? null;
  const platform = mergePlatformValues(
    value,
    cursorSecret(value(PaginationSection).cursorSecret, seed),
  );
  return { ...platform, sections };
}
