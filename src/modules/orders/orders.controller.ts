import {
  Body,
  Controller,
  Query,
  Res,
  createParamDecorator,
  type ExecutionContext,
} from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { Request, Response } from 'express';

import {
  ApiTag,
  CurrentUser,
  IdParam,
  Route,
  documentedParam,
  formatDuration,
  type AuthenticatedUser,
  type Page,
  locationOf,
} from '@app/core';

import { CatalogErrorCode } from '../catalog';
import { UserRole, UsersErrorCode } from '../users';
import { ChangeStatusDto, ORDER_STATUS_MACHINE } from './dto/change-status.dto';
import { ListOrdersQuery } from './dto/list-orders.query';
import { ORDER_ETAG, OrderResponse, orderEtag as etag } from './dto/order.response';
import { PlaceOrderDto } from './dto/place-order.dto';
import { IDEMPOTENT_REPLAYED, IdempotencyKey } from './idempotency-key.decorator';
import { OrdersConfig } from './orders.config';
import { OrdersErrorCode } from './orders.errors';
import { ChangeOrderStatus } from './change-order-status';
import { OrderQueries } from './order-queries';
import { PlaceOrder } from './place-order';

/** `"3"`, `W/"3"` or `3` → 3; anything else can never match (412). */
function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) {
    return undefined;
  }
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim());
  return match?.[1] === undefined ? -1 : Number(match[1]);
}

const readIfMatch = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): number | undefined =>
    parseIfMatch(ctx.switchToHttp().getRequest<Request>().headers['if-match']),
);

/** The version a change is conditional on (`If-Match`), or undefined without the header. */
const IfMatchVersion = (): ParameterDecorator =>
  documentedParam(
    readIfMatch(),
    ApiHeader({
      name: 'If-Match',
      required: false,
      description:
        'The `ETag` the change is based on: `"3"`, `W/"3"` or `3`. Any other value never matches (412).',
      schema: { type: 'string', maxLength: 16, pattern: '^(W/)?"?[0-9]{1,9}"?$' },
    }),
  );

@ApiTag('Orders', 'Placing orders (idempotently), reading them, and their status machine.')
@Controller('orders')
export class OrdersController {
  constructor(
    private readonly placeOrder: PlaceOrder,
    private readonly changeOrderStatus: ChangeOrderStatus,
    private readonly orders: OrderQueries,
  ) {}

  @Route.Post({
    operationId: 'placeOrder',
    summary: 'Place an order',
    description: ({ config }) =>
      'Reserves stock for every line or for none and copies the current prices. Send an ' +
      '`Idempotency-Key` to retry safely: the same key with the same body returns the first ' +
      'response (same order, same status, `Idempotent-Replayed: true`) and creates nothing; ' +
      'with a different body it is a 422; while the first request is still running, a 409. ' +
      'Keys are scoped to the caller, remembered for at least ' +
      `${formatDuration(config(OrdersConfig).idempotencyTtlMs)}, and only for ` +
      'successful placements (a failed request can be retried with the same key).',
    response: {
      type: OrderResponse,
      description:
        'The order, `pending`; or, for a replayed `Idempotency-Key`, the first response.',
      headers: ['Location', ORDER_ETAG, IDEMPOTENT_REPLAYED],
    },
    errors: [
      CatalogErrorCode.ORDER_INSUFFICIENT_STOCK,
      CatalogErrorCode.ORDER_UNKNOWN_PRODUCT,
      CatalogErrorCode.ORDER_CURRENCY_MISMATCH,
      OrdersErrorCode.IDEMPOTENCY_KEY_REUSED,
      UsersErrorCode.EMAIL_NOT_VERIFIED,
    ],
  })
  async place(
    @CurrentUser() user: AuthenticatedUser,
    @Body() dto: PlaceOrderDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<OrderResponse> {
    const result = await this.placeOrder.execute(user, dto, idempotencyKey);
    res.location(locationOf(res, result.order.id)).setHeader('ETag', etag(result.order));
    if (result.replayed) {
      res.setHeader('Idempotent-Replayed', 'true');
    }
    return result.order;
  }

  @Route.Get({
    operationId: 'listOrders',
    summary: 'List orders',
    description: "The caller's own orders; admins see everyone's and may filter by `userId`.",
    response: {
      page: OrderResponse,
      schema: 'OrderPage',
      description: 'A page of orders, newest first.',
    },
    errors: [OrdersErrorCode.ORDER_FILTER_FORBIDDEN],
  })
  list(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: ListOrdersQuery,
  ): Promise<Page<OrderResponse>> {
    return this.orders.list(user, query);
  }

  @Route.Get(':id', {
    operationId: 'getOrder',
    summary: 'Get an order',
    description: 'The owner or an admin; 404 for anyone else.',
    response: {
      type: OrderResponse,
      description: 'The order; `ETag` is its version.',
      headers: [ORDER_ETAG],
    },
    errors: [OrdersErrorCode.ORDER_NOT_FOUND],
  })
  async get(
    @IdParam('The order.') id: string,
    @CurrentUser() user: AuthenticatedUser,
    @Res({ passthrough: true }) res: Response,
  ): Promise<OrderResponse> {
    const order = await this.orders.get(id, user);
    res.setHeader('ETag', etag(order));
    return order;
  }

  @Route.Post(':id/cancel', {
    operationId: 'cancelOrder',
    summary: 'Cancel an order',
    description:
      'The owner or an admin (404 for anyone else). Only `pending` and `paid` orders can be ' +
      'cancelled (409 `ORDER_ILLEGAL_TRANSITION` otherwise); the stock goes back to the catalog. ' +
      'With `If-Match`, the order is cancelled only if it is still at that version (412 ' +
      `\`ORDER_VERSION_MISMATCH\` otherwise, and nothing changes).\n\n${ORDER_STATUS_MACHINE}`,
    status: 200,
    response: { type: OrderResponse, description: 'The cancelled order.', headers: [ORDER_ETAG] },
    errors: [
      OrdersErrorCode.ORDER_NOT_FOUND,
      OrdersErrorCode.ORDER_ILLEGAL_TRANSITION,
      OrdersErrorCode.ORDER_VERSION_MISMATCH,
    ],
  })
  async cancel(
    @IdParam('The order.') id: string,
    @IfMatchVersion() expectedVersion: number | undefined,
    @CurrentUser() user: AuthenticatedUser,
    @Res({ passthrough: true }) res: Response,
  ): Promise<OrderResponse> {
    const order = await this.changeOrderStatus.cancel(id, user, expectedVersion);
    res.setHeader('ETag', etag(order));
    return order;
  }

  @Route.Patch(':id/status', {
    operationId: 'changeOrderStatus',
    summary: "Change an order's status",
    description:
      'Admins only. The transition must be allowed by the status machine (409 ' +
      '`ORDER_ILLEGAL_TRANSITION` otherwise); cancelling gives the stock back. With ' +
      '`If-Match`, the change happens only if the order is still at that version (412 ' +
      '`ORDER_VERSION_MISMATCH` otherwise); without it, the transition is still checked ' +
      `atomically against the current status.\n\n${ORDER_STATUS_MACHINE}`,
    roles: [UserRole.ADMIN],
    response: {
      type: OrderResponse,
      description: 'The order in its new status.',
      headers: [ORDER_ETAG],
    },
    errors: [
      OrdersErrorCode.ORDER_NOT_FOUND,
      OrdersErrorCode.ORDER_ILLEGAL_TRANSITION,
      OrdersErrorCode.ORDER_VERSION_MISMATCH,
    ],
  })
  async changeStatus(
    @IdParam('The order.') id: string,
    @Body() dto: ChangeStatusDto,
    @IfMatchVersion() expectedVersion: number | undefined,
    @CurrentUser() user: AuthenticatedUser,
    @Res({ passthrough: true }) res: Response,
  ): Promise<OrderResponse> {
    const order = await this.changeOrderStatus.execute(id, dto.status, user, expectedVersion);
    res.setHeader('ETag', etag(order));
    return order;
  }
}
