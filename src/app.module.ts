import { Module, type DynamicModule, type Type } from '@nestjs/common';

import { ApiDocumentInfo, CoreModule, type CoreModuleOptions } from '@app/core';

import { API_DOCUMENT_INFO } from './api-document';
import { AuthModule } from './modules/auth';
import { CatalogModule } from './modules/catalog';
import { OrdersModule } from './modules/orders';
import { UsersModule } from './modules/users';
import { WebhooksModule } from './modules/webhooks';

/**
 * The composition root: the platform (CoreModule) and the domain modules, nothing else.
 * `npm run g:module -- <name>` adds new domain modules to `imports` below.
 */
@Module({
  imports: [UsersModule, AuthModule, CatalogModule, OrdersModule, WebhooksModule],
  // What the OpenAPI document says about the service (src/api-document.ts).
  providers: [{ provide: ApiDocumentInfo, useValue: API_DOCUMENT_INFO }],
})
export class AppModule {
  static forRoot(
    options: CoreModuleOptions,
    extraImports: ReadonlyArray<Type | DynamicModule> = [],
  ): DynamicModule {
    return { module: AppModule, imports: [CoreModule.forRoot(options), ...extraImports] };
  }
}
