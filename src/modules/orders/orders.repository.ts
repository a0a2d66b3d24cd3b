import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';

import type { Keyset, Transaction } from '@app/core';

import { OrderItemEntity } from './order-item.entity';
import { OrderEntity } from './order.entity';
import type { OrderStatus } from './order-status';
import type { PricedLine } from './pricing';

export interface NewOrder {
  readonly userId: string;
  readonly currency: string;
  readonly totalCents: number;
  readonly lines: readonly PricedLine[];
}

export interface OrderFilter {
  readonly userId?: string;
  readonly status?: OrderStatus;
}

@Injectable()
export class OrdersRepository {
  constructor(
    @InjectRepository(OrderEntity) private readonly orders: Repository<OrderEntity>,
    @InjectRepository(OrderItemEntity) private readonly items: Repository<OrderItemEntity>,
  ) {}

  /**
   * The order and its items, in the caller's transaction (with the stock it reserved).
   * The saved entity already carries what the database generated (ids, timestamps,
   * version): no re-read while the product rows are still locked.
   */
  async insert(tx: Transaction, order: NewOrder): Promise<OrderEntity> {
    const repo = tx.manager.getRepository(OrderEntity);
    return repo.save(
      repo.create({
        userId: order.userId,
        status: 'pending',
        currency: order.currency,
        totalCents: order.totalCents,
        items: order.lines.map((line, position) => ({ ...line, position })),
      }),
    );
  }

  /** Ownership-scoped read: another user's order is simply not found. */
  findById(id: string, ownerId: string | null): Promise<OrderEntity | null> {
    return this.orders.findOne({
      where: ownerId === null ? { id } : { id, userId: ownerId },
      relations: { items: true },
    });
  }

  /** Locks the order row for a status change; items are loaded for stock release. */
  async lockById(tx: Transaction, id: string): Promise<OrderEntity | null> {
    const locked = await tx.manager
      .getRepository(OrderEntity)
      .createQueryBuilder('o')
      .setLock('pessimistic_write')
      .where('o.id = :id', { id })
      .getOne();
    if (locked === null) {
      return null;
    }
    locked.items = await tx.manager.getRepository(OrderItemEntity).findBy({ orderId: id });
    return locked;
  }

  /**
   * Conditional on the version read under lock, so a status change can never be lost
   * or applied twice. Returns the updated order, or null if the version moved.
   */
  async updateStatus(
    tx: Transaction,
    id: string,
    expectedVersion: number,
    status: OrderStatus,
  ): Promise<OrderEntity | null> {
    const result = await tx.manager
      .getRepository(OrderEntity)
      .createQueryBuilder()
      .update()
      .set({ status, version: () => 'version + 1' })
      .where('id = :id AND version = :expectedVersion', { id, expectedVersion })
      .execute();
    return (result.affected ?? 0) === 1 ? this.requireWithItems(tx, id) : null;
  }

  /** Newest first with items, `limit + 1` rows so the caller knows about a next page. */
  async listPage(filter: OrderFilter, after: Keyset | null, limit: number): Promise<OrderEntity[]> {
    const query = this.orders
      .createQueryBuilder('o')
      .orderBy('o.createdAt', 'DESC')
      .addOrderBy('o.id', 'DESC')
      .limit(limit + 1);
    if (filter.userId !== undefined) {
      query.andWhere('o.userId = :userId', { userId: filter.userId });
    }
    if (filter.status !== undefined) {
      query.andWhere('o.status = :status', { status: filter.status });
    }
    if (after !== null) {
      query.andWhere('(o.createdAt, o.id) < (:createdAt, :id)', after);
    }
    const orders = await query.getMany();
    if (orders.length === 0) {
      return orders;
    }
    const items = await this.items.find({
      where: { orderId: In(orders.map((order) => order.id)) },
      order: { position: 'ASC' },
    });
    for (const order of orders) {
      order.items = items.filter((item) => item.orderId === order.id);
    }
    return orders;
  }

  private async requireWithItems(tx: Transaction, id: string): Promise<OrderEntity> {
    return tx.manager
      .getRepository(OrderEntity)
      .findOneOrFail({ where: { id }, relations: { items: true } });
  }
}
