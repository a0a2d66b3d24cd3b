import type { ApiPropertyOptions } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsString,
  Length,
  MaxLength,
} from 'class-validator';

import { Field, OptionalNotNull } from '@app/core';

import { ORDER_EVENT_TYPES } from '../../orders';
import { DELIVERY_STATUSES } from '../webhook-delivery.entity';
import { MAX_WEBHOOK_URL_LENGTH } from '../webhook-url-policy';

/**
 * A webhook's fields: each schema once, documented as is on `Webhook` (responses) and, with
 * its validators, on the request bodies. The URL's rules (https, no credentials, public
 * addresses) depend on configuration and DNS, so the service checks them after these.
 */

/** The event types a webhook can subscribe to. */
export const WEBHOOK_EVENT_TYPES: readonly string[] = ORDER_EVENT_TYPES;

const EVENTS = { min: 1, max: 10 } as const;
const EVENTS_MESSAGE = `events must contain ${EVENTS.min} to ${EVENTS.max} entries`;
const DESCRIPTION_MAX = 500;

interface FieldOptions {
  /** May be left out (never sent as null). */
  readonly optional?: boolean;
  readonly description?: string;
}

const optionality = (optional: boolean): PropertyDecorator[] =>
  optional ? [OptionalNotNull()] : [];

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

export const WEBHOOK_EVENT_TYPE_SCHEMA = {
  enum: [...ORDER_EVENT_TYPES],
  enumName: 'WebhookEventType',
  enumSchema: { description: 'A type of event a webhook can subscribe to.' },
};

export const DELIVERY_STATUS_SCHEMA = {
  enum: [...DELIVERY_STATUSES],
  enumName: 'WebhookDeliveryStatus',
  enumSchema: {
    description:
      '`pending` (queued, or being sent), `succeeded` (a 2xx came back), `failed` (the last ' +
      'attempt failed; it will be retried) or `dead` (no attempts left, the failure cannot be ' +
      'retried, or the webhook was disabled). A `failed` or `dead` delivery can be retried by hand.',
  },
};

export const WEBHOOK_FIELDS = {
  url: ({
    optional = false,
    description = 'Where deliveries are POSTed.',
  }: FieldOptions = {}): ApiPropertyOptions => ({
    type: String,
    required: !optional,
    format: 'uri',
    minLength: 1,
    maxLength: MAX_WEBHOOK_URL_LENGTH,
    description,
    example: 'https://hooks.example.com/orders',
  }),
  events: ({
    optional = false,
    description = 'The event types delivered to this webhook.',
  }: FieldOptions = {}): ApiPropertyOptions => ({
    ...WEBHOOK_EVENT_TYPE_SCHEMA,
    isArray: true,
    required: !optional,
    minItems: EVENTS.min,
    maxItems: EVENTS.max,
    uniqueItems: true,
    description,
    example: ['order.placed', 'order.cancelled'],
  }),
  enabled: ({
    optional = false,
    description = 'A disabled webhook gets no new deliveries; its queued ones go `dead`.',
  }: FieldOptions = {}): ApiPropertyOptions => ({
    type: Boolean,
    required: !optional,
    description,
    example: true,
  }),
  description: ({
    optional = false,
    description = 'A note for admins.',
  }: FieldOptions = {}): ApiPropertyOptions => ({
    type: String,
    required: !optional,
    maxLength: DESCRIPTION_MAX,
    description,
    example: 'ERP order sync',
  }),
};

// ---- Request fields: the same schemas, validated ----

export const WebhookUrl = (options: FieldOptions = {}): PropertyDecorator =>
  Field(
    WEBHOOK_FIELDS.url(options),
    Length(1, MAX_WEBHOOK_URL_LENGTH, {
      message: `url must be 1 to ${MAX_WEBHOOK_URL_LENGTH} characters`,
    }),
    IsString(),
    ...optionality(options.optional ?? false),
  );

export const WebhookEvents = (options: FieldOptions = {}): PropertyDecorator =>
  Field(
    WEBHOOK_FIELDS.events(options),
    IsIn(WEBHOOK_EVENT_TYPES, {
      each: true,
      message: `each of events must be one of: ${WEBHOOK_EVENT_TYPES.join(', ')}`,
    }),
    ArrayUnique({ message: 'events must not name the same type twice' }),
    ArrayMaxSize(EVENTS.max, { message: EVENTS_MESSAGE }),
    ArrayMinSize(EVENTS.min, { message: EVENTS_MESSAGE }),
    IsArray(),
    ...optionality(options.optional ?? false),
  );

export const WebhookEnabled = (options: FieldOptions = {}): PropertyDecorator =>
  Field(
    WEBHOOK_FIELDS.enabled(options),
    IsBoolean({ message: 'enabled must be true or false' }),
    ...optionality(options.optional ?? false),
  );

export const WebhookDescription = (options: FieldOptions = {}): PropertyDecorator =>
  Field(
    WEBHOOK_FIELDS.description(options),
    Transform(trim),
    IsString(),
    MaxLength(DESCRIPTION_MAX, {
      message: `description must be at most ${DESCRIPTION_MAX} characters`,
    }),
    ...optionality(options.optional ?? false),
  );

export const DeliveryStatusField = (
  schema: ApiPropertyOptions,
  ...rules: readonly PropertyDecorator[]
): PropertyDecorator =>
  Field(
    { ...DELIVERY_STATUS_SCHEMA, ...schema },
    IsIn(DELIVERY_STATUSES, {
      message: `status must be one of: ${DELIVERY_STATUSES.join(', ')}`,
    }),
    ...rules,
  );
