import { join } from 'node:path';

import { createDataSource } from '@app/core';

import { loadAppConfig } from '../config';
import { MIGRATIONS } from './migrations';

/**
 * The DataSource the TypeORM CLI uses (`npm run migration:*`), built from the same
 * validated configuration as the service: PostgreSQL with DATABASE_URL, PGlite without.
 */
export default createDataSource(loadAppConfig(), {
  entities: [join(__dirname, '..', 'modules', '**', '*.entity.{ts,js}')],
  migrations: MIGRATIONS,
});
