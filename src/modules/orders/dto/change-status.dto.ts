import { IsIn } from 'class-validator';

import { ORDER_STATUSES, type OrderStatus } from '../order-status';

export class ChangeStatusDto {
  @IsIn(ORDER_STATUSES, { message: `status must be one of: ${ORDER_STATUSES.join(', ')}` })
  readonly status!: OrderStatus;
}
