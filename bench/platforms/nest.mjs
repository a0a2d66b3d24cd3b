// @ts-check
/**
 * Targets (b) and (c) of `npm run bench:platforms`: the same Nest 11 application on
 * @nestjs/platform-express (Express 5, what the service runs on) or on
 * @nestjs/platform-fastify (Fastify 5), chosen by the first argument: `express` | `fastify`.
 *
 * One module, one controller (`GET /products/:id` with ParseUUIDPipe, 404 through
 * NotFoundException), one provider holding the pg Pool. Plain JavaScript, no build step:
 * the decorators are applied as functions, with the constructor dependency named through
 * @Inject (there is no emitDecoratorMetadata here). Logger off on both platforms.
 * Only the chosen platform's adapter is loaded.
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

import { HOST, createPool, findProduct } from './db.mjs';

const platform = process.argv[2];
if (platform !== 'express' && platform !== 'fastify') {
  process.stderr.write('usage: nest.mjs express|fastify\n');
  process.exit(2);
}

class ProductsRepository {
  constructor() {
    this.pool = createPool();
  }

  /** @param {string} id */
  findById(id) {
    return findProduct(this.pool, id);
  }

  async onModuleDestroy() {
    await this.pool.end();
  }
}
Injectable()(ProductsRepository);

class ProductsController {
  /** @param {ProductsRepository} products */
  constructor(products) {
    this.products = products;
  }

  /** @param {string} id */
  async findOne(id) {
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
  const descriptor = /** @type {PropertyDescriptor} */ (
    Object.getOwnPropertyDescriptor(proto, 'findOne')
  );
  Param('id', ParseUUIDPipe)(proto, 'findOne', 0);
  Get(':id')(proto, 'findOne', descriptor);
}

class AppModule {}
Module({ controllers: [ProductsController], providers: [ProductsRepository] })(AppModule);

async function bootstrap() {
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

bootstrap().catch((error) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
