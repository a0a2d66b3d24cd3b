import { OptionalNotNull, PageQueryDto } from '@app/core';

import type { DeliveryStatus } from '../webhook-delivery.entity';
import { DeliveryStatusField } from './webhook-fields';

export class ListDeliveriesQuery extends PageQueryDto {
  @DeliveryStatusField(
    { required: false, description: 'Only deliveries in this status.' },
    OptionalNotNull(),
  )
  readonly status?: DeliveryStatus;
}
