/** Thrown at boot when the environment is invalid; lists every bad variable at once. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
    this.name = 'ConfigValidationError';
  }
}
