import { Injectable } from '@nestjs/common';

import { AppConfig, decodeCursor, toPage, type AuthenticatedUser, type Page } from '@app/core';

import { isAdmin } from '../users';
import type { ListOrdersQuery } from './dto/list-orders.query';
import { toOrderResponse, type OrderResponse } from './dto/order.response';
import { scopeOf } from './order-scope';
import { OrderNotFoundError, OtherUsersOrdersError } from './orders.errors';
import { OrdersRepository } from './orders.repository';

/** Reading orders, within the viewer's scope: `GET /orders/:id` and `GET /orders`. */
@Injectable()
export class OrderQueries {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly config: AppConfig,
  ) {}

  async get(id: string, viewer: AuthenticatedUser): Promise<OrderResponse> {
    const order = await this.orders.findById(id, scopeOf(viewer));
    if (order === null) {
      throw new OrderNotFoundError(id);
    }
    return toOrderResponse(order);
  }

  /** Newest first; an owner sees their own (asking for another user's is a 403). */
  async list(viewer: AuthenticatedUser, query: ListOrdersQuery): Promise<Page<OrderResponse>> {
    if (!isAdmin(viewer) && query.userId !== undefined && query.userId !== viewer.id) {
      throw new OtherUsersOrdersError();
    }
    const owner = scopeOf(viewer).ownerId ?? query.userId;
    const rows = await this.orders.listPage(
      { userId: owner, status: query.status },
      decodeCursor(query.cursor, this.config.pagination),
      query.limit,
    );
    return toPage(rows, query.limit, toOrderResponse, this.config.pagination);
  }
}
