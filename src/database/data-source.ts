import { join } from 'node:path';

import { createDataSource, loadConfig } from '@app/core';

import { MIGRATIONS } from './migrations';

/**
 * The DataSource the TypeORM CLI uses (`npm run migration:*`), built from the same
 * validated configuration as the service: PostgreSQL with DATABASE_URL, PGlite without.
 */
export default createDataSource(loadConfig(), {
  entities: [join(__dirname, '..', 'modules', '**', '*.entity.{ts,js}')],
  migrations: MIGRATIONS,
});
