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
import type { Response } from 'express';

import { IdParam, Public, Roles, type Page } from '@app/core';

import { CatalogService } from './catalog.service';
import { CreateProductDto } from './dto/create-product.dto';
import { ListProductsQuery } from './dto/list-products.query';
import type { ProductResponse } from './dto/product.response';
import { UpdateProductDto } from './dto/update-product.dto';

@Controller('products')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Public()
  @Get()
  list(@Query() query: ListProductsQuery): Promise<Page<ProductResponse>> {
    return this.catalog.list(query);
  }

  @Public()
  @Get(':id')
  get(@IdParam() id: string): Promise<ProductResponse> {
    return this.catalog.get(id);
  }

  @Roles('admin')
  @Post()
  @HttpCode(HttpStatus.CREATED)
  async create(
    @Body() dto: CreateProductDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ProductResponse> {
    const product = await this.catalog.create(dto);
    res.location(`/api/v1/products/${product.id}`);
    return product;
  }

  @Roles('admin')
  @Patch(':id')
  update(@IdParam() id: string, @Body() dto: UpdateProductDto): Promise<ProductResponse> {
    return this.catalog.update(id, dto);
  }
}
