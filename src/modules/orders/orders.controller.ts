import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';

import { CurrentUser, IdParam, Roles, type AuthenticatedUser, type Page } from '@app/core';

import { ChangeStatusDto } from './dto/change-status.dto';
import { ListOrdersQuery } from './dto/list-orders.query';
import type { OrderResponse } from './dto/order.response';
import { PlaceOrderDto } from './dto/place-order.dto';
import { IdempotencyKey } from './idempotency-key.decorator';
import { OrdersService } from './orders.service';

/** `"3"`, `W/"3"` or `3` → 3; anything else can never match (412). */
function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) {
    return undefined;
  }
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim());
  return match?.[1] === undefined ? -1 : Number(match[1]);
}

const etag = (order: OrderResponse): string => `"${String(order.version)}"`;

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  async place(
    @CurrentUser() user: AuthenticatedUser,
    @Body() dto: PlaceOrderDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<OrderResponse> {
    const result = await this.orders.place(user, dto, idempotencyKey);
    res
      .status(result.status)
      .location(`/api/v1/orders/${result.order.id}`)
      .setHeader('ETag', etag(result.order));
    if (result.replayed) {
      res.setHeader('Idempotent-Replayed', 'true');
    }
    return result.order;
  }

  @Get()
  list(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: ListOrdersQuery,
  ): Promise<Page<OrderResponse>> {
    return this.orders.list(user, query);
  }

  @Get(':id')
  async get(
    @IdParam() id: string,
    @CurrentUser() user: AuthenticatedUser,
    @Res({ passthrough: true }) res: Response,
  ): Promise<OrderResponse> {
    const order = await this.orders.get(id, user);
    res.setHeader('ETag', etag(order));
    return order;
  }

  @Post(':id/cancel')
  @HttpCode(HttpStatus.OK)
  async cancel(
    @IdParam() id: string,
    @CurrentUser() user: AuthenticatedUser,
    @Res({ passthrough: true }) res: Response,
  ): Promise<OrderResponse> {
    const order = await this.orders.cancel(id, user);
    res.setHeader('ETag', etag(order));
    return order;
  }

  @Roles('admin')
  @Patch(':id/status')
  async changeStatus(
    @IdParam() id: string,
    @Body() dto: ChangeStatusDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentUser() user: AuthenticatedUser,
    @Res({ passthrough: true }) res: Response,
  ): Promise<OrderResponse> {
    const order = await this.orders.changeStatus(id, dto.status, user, parseIfMatch(ifMatch));
    res.setHeader('ETag', etag(order));
    return order;
  }
}
