import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * nestjs-pino 5 keeps one process-wide root logger ("whoever gets there first"), so in a
 * Jest worker that builds several apps, lines outside a request would go to the first
 * app's log capture. Its own test reset is not in the package's `exports`; it is reached
 * by file path from the resolved entry point.
 */
const requireHere = createRequire(__filename);
const entry = requireHere.resolve('nestjs-pino');
const pinoLogger = requireHere(join(dirname(entry), 'PinoLogger.js')) as {
  __resetOutOfContextForTests: () => void;
};

export const resetNestjsPino = (): void => {
  pinoLogger.__resetOutOfContextForTests();
};
