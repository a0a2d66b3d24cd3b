import { Injectable } from '@nestjs/common';

import { AppConfig, decodeCursor, toPage, type Page, type PageQueryDto } from '@app/core';

import type { CreateWebhookDto } from './dto/create-webhook.dto';
import type { UpdateWebhookDto } from './dto/update-webhook.dto';
import {
  toCreatedWebhookResponse,
  toWebhookResponse,
  type CreatedWebhookResponse,
  type WebhookResponse,
} from './dto/webhook.response';
import { newWebhookSecret } from './webhook-secret';
import { WebhookUrlCheck } from './webhook-url-check';
import type { WebhookEntity } from './webhook.entity';
import { WebhookNotFoundError } from './webhooks.errors';
import { WebhooksRepository, type WebhookChanges } from './webhooks.repository';

/** Registering, reading, changing and removing webhooks (admins). */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly urls: WebhookUrlCheck,
    private readonly config: AppConfig,
  ) {}

  async create(dto: CreateWebhookDto): Promise<CreatedWebhookResponse> {
    await this.urls.check(dto.url);
    const webhook = await this.webhooks.insert({
      url: dto.url,
      events: dto.events,
      description: emptyToNull(dto.description),
      secret: newWebhookSecret(),
    });
    return toCreatedWebhookResponse(webhook);
  }

  async get(id: string): Promise<WebhookResponse> {
    return toWebhookResponse(await this.getEntity(id));
  }

  async list(query: PageQueryDto): Promise<Page<WebhookResponse>> {
    const key = this.config.pagination;
    const rows = await this.webhooks.listPage(decodeCursor(query.cursor, key), query.limit);
    return toPage(rows, query.limit, toWebhookResponse, key);
  }

  async update(id: string, dto: UpdateWebhookDto): Promise<WebhookResponse> {
    await this.getEntity(id);
    if (dto.url !== undefined) {
      await this.urls.check(dto.url);
    }
    const changes: WebhookChanges = {
      ...(dto.url === undefined ? {} : { url: dto.url }),
      ...(dto.events === undefined ? {} : { events: dto.events }),
      ...(dto.enabled === undefined ? {} : { enabled: dto.enabled }),
      ...(dto.description === undefined ? {} : { description: emptyToNull(dto.description) }),
    };
    if (!(await this.webhooks.update(id, changes))) {
      throw new WebhookNotFoundError(id);
    }
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    if (!(await this.webhooks.delete(id))) {
      throw new WebhookNotFoundError(id);
    }
  }

  /** The webhook, or its 404. */
  async getEntity(id: string): Promise<WebhookEntity> {
    const webhook = await this.webhooks.findById(id);
    if (webhook === null) {
      throw new WebhookNotFoundError(id);
    }
    return webhook;
  }
}

const emptyToNull = (text: string | undefined): string | null =>
  text === undefined || text === '' ? null : text;
