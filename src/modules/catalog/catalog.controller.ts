import { Body, Controller, Query, Res } from '@nestjs/common';
import type { Response } from 'express';

import { ApiTag, IdParam, Route, locationOf, type Page } from '@app/core';

import { UserRole } from '../users';
import { CatalogErrorCode } from './catalog.errors';
import { CatalogService } from './catalog.service';
import { CreateProductDto } from './dto/create-product.dto';
import { ListProductsQuery } from './dto/list-products.query';
import { ProductResponse } from './dto/product.response';
import { UpdateProductDto } from './dto/update-product.dto';

@ApiTag('Catalog', 'Products: public reads, admin writes.')
@Controller('products')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Route.Get({
    operationId: 'listProducts',
    summary: 'List products',
    description: 'Public. Newest first; `q` filters on name or SKU.',
    public: true,
    response: {
      page: ProductResponse,
      schema: 'ProductPage',
      description: 'A page of products, newest first.',
    },
  })
  list(@Query() query: ListProductsQuery): Promise<Page<ProductResponse>> {
    return this.catalog.list(query);
  }

  @Route.Get(':id', {
    operationId: 'getProduct',
    summary: 'Get a product',
    description: 'Public.',
    public: true,
    response: { type: ProductResponse, description: 'The product.' },
    errors: [CatalogErrorCode.PRODUCT_NOT_FOUND],
  })
  get(@IdParam('The product.') id: string): Promise<ProductResponse> {
    return this.catalog.get(id);
  }

  @Route.Post({
    operationId: 'createProduct',
    summary: 'Create a product',
    description: 'Admins only.',
    roles: [UserRole.ADMIN],
    response: {
      type: ProductResponse,
      description: 'The new product; `Location` is its path.',
      headers: ['Location'],
    },
    errors: [CatalogErrorCode.PRODUCT_SKU_TAKEN],
  })
  async create(
    @Body() dto: CreateProductDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ProductResponse> {
    const product = await this.catalog.create(dto);
    res.location(locationOf(res, product.id));
    return product;
  }

  @Route.Patch(':id', {
    operationId: 'updateProduct',
    summary: 'Update a product',
    description:
      'Admins only. Sets the given fields; `stock` is the new level, not a delta. An empty ' +
      'body is a 400.',
    roles: [UserRole.ADMIN],
    response: { type: ProductResponse, description: 'The updated product.' },
    errors: [CatalogErrorCode.PRODUCT_NOT_FOUND],
  })
  update(
    @IdParam('The product.') id: string,
    @Body() dto: UpdateProductDto,
  ): Promise<ProductResponse> {
    return this.catalog.update(id, dto);
  }
}
