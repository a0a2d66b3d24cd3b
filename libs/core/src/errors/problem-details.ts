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

/** What a problem says; `type` and `title` follow from the status and the base URI. */
export type ProblemInput = Omit<ProblemDetails, 'type' | 'title'> & { readonly baseUri: string };

/** The one place a problem body is shaped: `type` and `title` follow from the status. */
export function buildProblem(input: ProblemInput): ProblemDetails {
  return {
    type: problemType(input.baseUri, input.status),
    title: reasonPhrase(input.status),
    status: input.status,
    detail: input.detail,
    instance: input.instance,
    code: input.code,
    requestId: input.requestId,
    ...(input.errors === undefined ? {} : { errors: input.errors }),
  };
}
