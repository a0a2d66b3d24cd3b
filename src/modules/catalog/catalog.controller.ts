import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

import {
  ApiAuthenticated,
  ApiIdParam,
  ApiPageOkResponse,
  ApiProblems,
  IdParam,
  PARAMETER_PROBLEMS,
  Public,
  ROLE_PROBLEMS,
  Roles,
  responseHeaders,
  type Page,
  locationOf,
} from '@app/core';

import { UserRole } from '../users';
import { CatalogErrorCode } from './catalog.errors';
import { CatalogService } from './catalog.service';
import { CreateProductDto } from './dto/create-product.dto';
import { ListProductsQuery } from './dto/list-products.query';
import { ProductResponse } from './dto/product.response';
import { UpdateProductDto } from './dto/update-product.dto';

@ApiTags('Catalog')
@Controller('products')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @ApiOperation({
    operationId: 'listProducts',
    summary: 'List products',
    description: 'Public. Newest first; `q` filters on name or SKU.',
  })
  @ApiPageOkResponse(ProductResponse, 'ProductPage', 'A page of products, newest first.')
  @ApiProblems(PARAMETER_PROBLEMS)
  @Public()
  @Get()
  list(@Query() query: ListProductsQuery): Promise<Page<ProductResponse>> {
    return this.catalog.list(query);
  }

  @ApiOperation({ operationId: 'getProduct', summary: 'Get a product', description: 'Public.' })
  @ApiIdParam('The product.')
  @ApiOkResponse({ type: ProductResponse, description: 'The product.' })
  @ApiProblems(PARAMETER_PROBLEMS, { 404: [CatalogErrorCode.PRODUCT_NOT_FOUND] })
  @Public()
  @Get(':id')
  get(@IdParam() id: string): Promise<ProductResponse> {
    return this.catalog.get(id);
  }

  @ApiOperation({
    operationId: 'createProduct',
    summary: 'Create a product',
    description: 'Admins only.',
  })
  @ApiCreatedResponse({
    type: ProductResponse,
    description: 'The new product; `Location` is its path.',
    headers: responseHeaders('Location'),
  })
  @ApiProblems(ROLE_PROBLEMS, {
    409: [CatalogErrorCode.PRODUCT_SKU_TAKEN],
  })
  @ApiAuthenticated()
  @Roles(UserRole.ADMIN)
  @Post()
  @HttpCode(HttpStatus.CREATED)
  async create(
    @Body() dto: CreateProductDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ProductResponse> {
    const product = await this.catalog.create(dto);
    res.location(locationOf(res, product.id));
    return product;
  }

  @ApiOperation({
    operationId: 'updateProduct',
    summary: 'Update a product',
    description:
      'Admins only. Sets the given fields; `stock` is the new level, not a delta. An empty ' +
      'body is a 400.',
  })
  @ApiIdParam('The product.')
  @ApiOkResponse({ type: ProductResponse, description: 'The updated product.' })
  @ApiProblems(ROLE_PROBLEMS, {
    404: [CatalogErrorCode.PRODUCT_NOT_FOUND],
  })
  @ApiAuthenticated()
  @Roles(UserRole.ADMIN)
  @Patch(':id')
  update(@IdParam() id: string, @Body() dto: UpdateProductDto): Promise<ProductResponse> {
    return this.catalog.update(id, dto);
  }
}
