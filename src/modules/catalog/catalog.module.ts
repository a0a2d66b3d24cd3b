import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { CatalogController } from './catalog.controller';
import { CatalogService } from './catalog.service';
import { ProductEntity } from './product.entity';
import { ProductsRepository } from './products.repository';

/** Products and their stock. Exports CatalogService (reads, reservations) only. */
@Module({
  imports: [TypeOrmModule.forFeature([ProductEntity])],
  controllers: [CatalogController],
  providers: [CatalogService, ProductsRepository],
  exports: [CatalogService],
})
export class CatalogModule {}
