import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsUUID } from 'class-validator';

import { OptionalNotNull, PageQueryDto } from '@app/core';

import { ORDER_STATUSES, type OrderStatus } from '../order-status';
import { ORDER_STATUS_SCHEMA } from './change-status.dto';

export class ListOrdersQuery extends PageQueryDto {
  @ApiProperty({
    ...ORDER_STATUS_SCHEMA,
    required: false,
    description: 'Only orders in this status.',
  })
  @OptionalNotNull()
  @IsIn(ORDER_STATUSES, { message: `status must be one of: ${ORDER_STATUSES.join(', ')}` })
  readonly status?: OrderStatus;

  /** Admins only: another user's orders. */
  @ApiProperty({
    type: String,
    required: false,
    format: 'uuid',
    maxLength: 36,
    description:
      "Admins: only this user's orders. Customers may pass only their own id " +
      '(403 `ORDER_FILTER_FORBIDDEN` otherwise).',
  })
  @OptionalNotNull()
  @IsUUID('all', { message: 'userId must be a UUID' })
  readonly userId?: string;
}
