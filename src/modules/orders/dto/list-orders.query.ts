import { IsUUID } from 'class-validator';

import { Field, OptionalNotNull, PageQueryDto } from '@app/core';

import type { OrderStatus } from '../order-status';
import { OrderStatusField } from './change-status.dto';

export class ListOrdersQuery extends PageQueryDto {
  @OrderStatusField(
    { required: false, description: 'Only orders in this status.' },
    OptionalNotNull(),
  )
  readonly status?: OrderStatus;

  /** Admins only: another user's orders. */
  @Field(
    {
      type: String,
      required: false,
      format: 'uuid',
      maxLength: 36,
      description:
        "Admins: only this user's orders. Customers may pass only their own id " +
        '(403 `ORDER_FILTER_FORBIDDEN` otherwise).',
    },
    IsUUID('all', { message: 'userId must be a UUID' }),
    OptionalNotNull(),
  )
  readonly userId?: string;
}
