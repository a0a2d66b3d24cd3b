import { promises as dns } from 'node:dns';

import { Injectable } from '@nestjs/common';

import { RequestValidationError } from '@app/core';

import { WebhookUrlForbiddenError } from './webhooks.errors';
import { WebhooksConfig } from './webhooks.config';
import {
  checkWebhookUrlSyntax,
  resolveAllowedAddresses,
  type AddressLookup,
} from './webhook-url-policy';

/** A registration waits this long for DNS, then refuses the host: the request stays fast. */
const LOOKUP_TIMEOUT_MS = 3_000;

const boundedLookup: AddressLookup = (hostname, options) => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error('DNS lookup timed out'));
    }, LOOKUP_TIMEOUT_MS);
  });
  return Promise.race([dns.lookup(hostname, options), timeout]).finally(() => {
    clearTimeout(timer);
  });
};

/**
 * The registration-time check of a webhook URL (API.md): a URL that is not an absolute https
 * URL (http too with WEBHOOK_ALLOW_HTTP), or carries credentials or a fragment, is a 400 on
 * `url`; one whose host is, or resolves to, a non-public address (or does not resolve) is a 422
 * `WEBHOOK_URL_FORBIDDEN`. Deliveries check again, after their own resolution.
 */
@Injectable()
export class WebhookUrlCheck {
  constructor(private readonly config: WebhooksConfig) {}

  async check(raw: string): Promise<void> {
    const rules = this.config.rules;
    // Addresses are judged below, so that a literal private address is a 422 like a resolved one.
    const syntax = checkWebhookUrlSyntax(raw, { ...rules, allowPrivateNetworks: true });
    if (!syntax.ok) {
      throw new RequestValidationError([
        { field: 'url', message: `url is refused: ${syntax.reason}` },
      ]);
    }
    const resolved = await resolveAllowedAddresses(syntax.url, rules, boundedLookup);
    if (!resolved.ok) {
      throw new WebhookUrlForbiddenError(safeReason(syntax.url, resolved.reason));
    }
  }
}

/**
 * What a name resolves to inside our network is not the admin's business (it would make this
 * route a DNS oracle): the range is told, the address only when the admin wrote it.
 */
function safeReason(url: URL, reason: string): string {
  const literal = url.hostname.startsWith('[') || /^[\d.]+$/.test(url.hostname);
  return literal ? reason : reason.replace(/ \([^)]*\)$/, '');
}
