import { IsIn, IsOptional, IsUUID } from 'class-validator';

import { PageQueryDto } from '@app/core';

import { ORDER_STATUSES, type OrderStatus } from '../order-status';

export class ListOrdersQuery extends PageQueryDto {
  @IsOptional()
  @IsIn(ORDER_STATUSES, { message: `status must be one of: ${ORDER_STATUSES.join(', ')}` })
  readonly status?: OrderStatus;

  /** Admins only: another user's orders. */
  @IsOptional()
  @IsUUID('all', { message: 'userId must be a UUID' })
  readonly userId?: string;
}
