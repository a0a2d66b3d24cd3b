import { ApiSchema } from '@nestjs/swagger';

import { WebhookDescription, WebhookEvents, WebhookUrl } from './webhook-fields';

@ApiSchema({ name: 'CreateWebhook', description: 'A new webhook; it starts enabled.' })
export class CreateWebhookDto {
  @WebhookUrl({
    description:
      'An absolute `https` URL without credentials or fragment. A host that is, or resolves ' +
      'to, a loopback, private, link-local or metadata address is refused (422 ' +
      '`WEBHOOK_URL_FORBIDDEN`), here and again before every delivery.',
  })
  readonly url!: string;

  @WebhookEvents()
  readonly events!: string[];

  @WebhookDescription({ optional: true, description: 'A note for admins (trimmed).' })
  readonly description?: string;
}
