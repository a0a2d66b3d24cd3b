import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  UnprocessableError,
  defineErrorCodes,
} from '@app/core';

import type { OrderStatus } from './order-status';

export const OrdersErrorCode = defineErrorCodes({
  ORDER_NOT_FOUND: { status: 404 },
  ORDER_ILLEGAL_TRANSITION: { status: 409 },
  ORDER_VERSION_MISMATCH: { status: 412 },
  IDEMPOTENCY_KEY_REUSED: { status: 422 },
  ORDER_FILTER_FORBIDDEN: { status: 403 },
});

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
