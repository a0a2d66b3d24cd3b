import { Module, type DynamicModule, type Type } from '@nestjs/common';

import { CoreModule, type CoreModuleOptions } from '@app/core';

import { AuthModule } from './modules/auth';
import { CatalogModule } from './modules/catalog';
import { OrdersModule } from './modules/orders';
import { UsersModule } from './modules/users';

/**
 * The composition root: the platform (CoreModule) and the domain modules, nothing else.
 * `nest g module <name>` adds new domain modules to `imports` below.
 */
@Module({
  imports: [UsersModule, AuthModule, CatalogModule, OrdersModule],
})
export class AppModule {
  static forRoot(
    options: CoreModuleOptions,
    extraImports: ReadonlyArray<Type | DynamicModule> = [],
  ): DynamicModule {
    return { module: AppModule, imports: [CoreModule.forRoot(options), ...extraImports] };
  }
}
