import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  UnprocessableError,
} from '@app/core';

import type { OrderStatus } from './order-status';

export const OrdersErrorCode = {
  ORDER_NOT_FOUND: 'ORDER_NOT_FOUND',
  ORDER_ILLEGAL_TRANSITION: 'ORDER_ILLEGAL_TRANSITION',
  ORDER_VERSION_MISMATCH: 'ORDER_VERSION_MISMATCH',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  ORDER_FILTER_FORBIDDEN: 'ORDER_FILTER_FORBIDDEN',
} as const;

export class OrderNotFoundError extends NotFoundError {
  readonly code = OrdersErrorCode.ORDER_NOT_FOUND;
  constructor(id: string) {
    super(`Order ${id} not found`);
  }
}

export class IllegalTransitionError extends ConflictError {
  readonly code = OrdersErrorCode.ORDER_ILLEGAL_TRANSITION;
  constructor(from: OrderStatus, to: OrderStatus) {
    super(`An order cannot go from ${from} to ${to}`);
  }
}

export class VersionMismatchError extends PreconditionFailedError {
  readonly code = OrdersErrorCode.ORDER_VERSION_MISMATCH;
  constructor(current: number) {
    super(`If-Match does not match the current version ("${String(current)}"); reload and retry`);
  }
}

export class IdempotencyKeyReusedError extends UnprocessableError {
  readonly code = OrdersErrorCode.IDEMPOTENCY_KEY_REUSED;
  constructor() {
    super('This Idempotency-Key was already used with a different request body');
  }
}

export class OtherUsersOrdersError extends ForbiddenError {
  readonly code = OrdersErrorCode.ORDER_FILTER_FORBIDDEN;
  constructor() {
    super('Only admins may list other users’ orders');
  }
}
