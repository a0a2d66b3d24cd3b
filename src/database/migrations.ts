import { join } from 'node:path';

/** Every migration of the service (timestamp-named files next to this one). */
export const MIGRATIONS = [join(__dirname, 'migrations', '*.{ts,js}')];
