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
          useFactory: () => ({ type: 'postgres', autoLoadEntities: true, migrations }),
          dataSourceFactory: async (options) => {
            const schema: SchemaSources = { entities: options?.entities ?? [], migrations };
            return openDataSource(createDataSource(config, schema), config);
          },
        }),
      ],
    };
  }
}
