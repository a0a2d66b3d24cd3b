import { ConflictError, NotFoundError, UnprocessableError, defineErrorCodes } from '@app/core';

import type { DeliveryStatus } from './webhook-delivery.entity';

export const WebhooksErrorCode = defineErrorCodes({
  WEBHOOK_NOT_FOUND: { status: 404 },
  WEBHOOK_DELIVERY_NOT_FOUND: { status: 404 },
  WEBHOOK_URL_FORBIDDEN: { status: 422 },
  WEBHOOK_DELIVERY_NOT_RETRYABLE: { status: 409 },
});

export class WebhookNotFoundError extends NotFoundError {
  readonly code = WebhooksErrorCode.WEBHOOK_NOT_FOUND;
  constructor(id: string) {
    super(`Webhook ${id} not found`);
  }
}

export class WebhookDeliveryNotFoundError extends NotFoundError {
  readonly code = WebhooksErrorCode.WEBHOOK_DELIVERY_NOT_FOUND;
  constructor(id: string) {
    super(`Delivery ${id} not found`);
  }
}

/** A well-formed URL whose host is, or resolves to, an address we must not reach (SSRF). */
export class WebhookUrlForbiddenError extends UnprocessableError {
  readonly code = WebhooksErrorCode.WEBHOOK_URL_FORBIDDEN;
  constructor(reason: string) {
    super(`The webhook URL is refused: ${reason}`);
  }
}

export class WebhookDeliveryNotRetryableError extends ConflictError {
  readonly code = WebhooksErrorCode.WEBHOOK_DELIVERY_NOT_RETRYABLE;
  constructor(status: DeliveryStatus) {
    super(`Only a failed or dead delivery can be retried; this one is ${status}`);
  }
}
