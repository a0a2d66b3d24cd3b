/**
 * Targets (b) and (c) of `npm run bench:platforms`: the same Nest 11 application on
 * @nestjs/platform-express (Express 5, what the service runs on) or on
 * @nestjs/platform-fastify (Fastify 5), chosen by the first argument: `express` | `fastify`.
 *
 * One module, one controller (`GET /products/:id` with ParseUUIDPipe, 404 through
 * NotFoundException), one provider holding the pg Pool. Run by Node as it is (types
 * stripped, no build step): Node runs no decorator syntax, so the decorators are applied as
 * functions, with the constructor dependency named through @Inject (there is no
 * emitDecoratorMetadata here). Logger off on both platforms. Only the chosen platform's
 * adapter is loaded.
 * Env: PORT, DATABASE_URL.
 */
import 'reflect-metadata';

import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  NotFoundException,
  Param,
  ParseUUIDPipe,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type pg from 'pg';

import { errorStack } from '../../scripts/lib/cli.ts';

import { HOST, createPool, findProduct } from './db.ts';

const platform = process.argv[2];
if (platform !== 'express' && platform !== 'fastify') {
  process.stderr.write('usage: nest.ts express|fastify\n');
  process.exit(2);
}

class ProductsRepository {
  readonly pool: pg.Pool = createPool();

  findById(id: string): Promise<Record<string, unknown> | undefined> {
    return findProduct(this.pool, id);
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.end();
  }
}
Injectable()(ProductsRepository);

class ProductsController {
  private readonly products: ProductsRepository;

  constructor(products: ProductsRepository) {
    this.products = products;
  }

  async findOne(id: string): Promise<Record<string, unknown>> {
    const product = await this.products.findById(id);
    if (product === undefined) {
      throw new NotFoundException('Product not found');
    }
    return product;
  }
}
Controller('products')(ProductsController);
Inject(ProductsRepository)(ProductsController, undefined, 0);
{
  const proto = ProductsController.prototype;
  const descriptor = Object.getOwnPropertyDescriptor(proto, 'findOne');
  if (descriptor === undefined) {
    throw new Error('ProductsController.findOne is missing');
  }
  Param('id', ParseUUIDPipe)(proto, 'findOne', 0);
  Get(':id')(proto, 'findOne', descriptor);
}

// Its decorator is applied as a function just below, which the rule cannot see.
// eslint-disable-next-line @typescript-eslint/no-extraneous-class
class AppModule {}
Module({ controllers: [ProductsController], providers: [ProductsRepository] })(AppModule);

async function bootstrap(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  if (platform === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    const app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
    app.enableShutdownHooks();
    await app.listen(port, HOST);
  } else {
    const app = await NestFactory.create(AppModule, { logger: false });
    app.enableShutdownHooks();
    await app.listen(port, HOST);
  }
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`${errorStack(error)}\n`);
  process.exit(1);
});
