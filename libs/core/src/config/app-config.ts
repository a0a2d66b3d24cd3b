import type { mergePlatformValues } from './platform.config';

export type { NodeEnv } from './config-section';
export type { AppRole, DatabaseTarget, LogLevel } from './platform.config';

type PlatformValues = ReturnType<typeof mergePlatformValues>;

/** Only a DI token: the provided value is a plain object of this shape. */
const PlatformToken = Object as unknown as abstract new () => PlatformValues;

/**
 * The platform's typed, validated configuration (the values of its sections,
 * platform.config.ts), built once by `loadConfig()` and injected as `AppConfig`. A domain
 * module's settings are its own section, injected as that section's class.
 */
export abstract class AppConfig extends PlatformToken {}
