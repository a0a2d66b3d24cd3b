import { STATUS_CODES } from 'node:http';

import type { FieldError } from './app-error';

/** RFC 9457 problem details, with this service's `code` and `requestId` extensions. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly code: string;
  readonly requestId: string;
  readonly errors?: readonly FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

/** `Not Found` → `not-found`: the problem type is named after its HTTP category. */
export function problemType(baseUri: string, status: number): string {
  const slug = reasonPhrase(status)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `${baseUri}/${slug}`;
}
