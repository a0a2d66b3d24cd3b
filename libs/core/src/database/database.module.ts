import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import type { AppConfig } from '../config/app-config';
import { createDataSource, openDataSource, type SchemaSources } from './data-source.factory';

/**
 * TypeORM wiring. Entities are registered by the domain modules (`forFeature`,
 * `autoLoadEntities`); migrations are handed in by the application.
 */
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig, migrations: SchemaSources['migrations']): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            type: 'postgres',
            autoLoadEntities: true,
            migrations,
            // A PostgreSQL that is not up yet is waited for (DB_CONNECT_RETRIES × 3 s); an
            // embedded database that fails (in use, corrupt) will not get better by retrying.
            retryAttempts: config.database.connectRetries,
            retryDelay: 3_000,
          }),
          dataSourceFactory: async (options) => {
            const schema: SchemaSources = { entities: options?.entities ?? [], migrations };
            return openDataSource(createDataSource(config, schema), config);
          },
        }),
      ],
    };
  }
}
