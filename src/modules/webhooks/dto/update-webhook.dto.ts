import { ApiSchema } from '@nestjs/swagger';

import { RequireAnyOf } from '@app/core';

import { WebhookDescription, WebhookEnabled, WebhookEvents, WebhookUrl } from './webhook-fields';

@ApiSchema({
  name: 'UpdateWebhook',
  description:
    'The fields to change, at least one (an empty body is a 400). The secret cannot be changed.',
})
@RequireAnyOf<UpdateWebhookDto>('url', 'events', 'enabled', 'description')
export class UpdateWebhookDto {
  @WebhookUrl({
    optional: true,
    description: 'Checked as at creation; queued deliveries go to the new URL.',
  })
  readonly url?: string;

  @WebhookEvents({ optional: true, description: 'Replaces the subscribed event types.' })
  readonly events?: string[];

  @WebhookEnabled({ optional: true })
  readonly enabled?: boolean;

  @WebhookDescription({
    optional: true,
    description: 'A note for admins (trimmed); `""` clears it.',
  })
  readonly description?: string;
}
