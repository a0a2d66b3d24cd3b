import { ApiSchema, type ApiPropertyOptions } from '@nestjs/swagger';
import { IsIn } from 'class-validator';

import { Field } from '@app/core';

import { ORDER_STATUSES, ORDER_TRANSITIONS, type OrderStatus } from '../order-status';

/** The status machine as a Markdown table, generated from the one transition table. */
export const ORDER_STATUS_MACHINE = [
  '| from | allowed next statuses |',
  '| --- | --- |',
  ...Object.entries(ORDER_TRANSITIONS).map(([from, to]: [string, readonly string[]]) => {
    const next = to.length === 0 ? '(final)' : to.map((status) => `\`${status}\``).join(', ');
    return `| \`${from}\` | ${next} |`;
  }),
].join('\n');

/** The `OrderStatus` schema, shared by every property that holds a status. */
export const ORDER_STATUS_SCHEMA = {
  enum: ORDER_STATUSES,
  enumName: 'OrderStatus',
  enumSchema: { description: `The status of an order. Transitions:\n\n${ORDER_STATUS_MACHINE}` },
};

/** A status in a request: one of `OrderStatus` (400 otherwise). */
export const OrderStatusField = (
  schema: ApiPropertyOptions,
  ...rules: readonly PropertyDecorator[]
): PropertyDecorator =>
  Field(
    { ...ORDER_STATUS_SCHEMA, ...schema },
    IsIn(ORDER_STATUSES, { message: `status must be one of: ${ORDER_STATUSES.join(', ')}` }),
    ...rules,
  );

@ApiSchema({ name: 'ChangeOrderStatus', description: 'The status to move the order to.' })
export class ChangeStatusDto {
  @OrderStatusField({
    description:
      'Must be allowed from the current status by the transitions of `OrderStatus` ' +
      '(409 `ORDER_ILLEGAL_TRANSITION` otherwise).',
    example: 'paid',
  })
  readonly status!: OrderStatus;
}
