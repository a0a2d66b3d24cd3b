/**
 * The webhooks module's public entry: the only file other modules (and the app) import.
 * Its Nest module, its settings and its error codes; it reacts to outbox events and offers no
 * service to other modules.
 */
export { WebhooksConfig } from './webhooks.config';
export { WebhooksErrorCode } from './webhooks.errors';
export { WebhooksModule } from './webhooks.module';
