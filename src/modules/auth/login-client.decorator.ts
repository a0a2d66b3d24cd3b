import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

import type { LoginClient } from './auth.service';

const USER_AGENT_MAX = 512;

/**
 * Who is logging in or refreshing: the client address as Express resolves it (behind
 * `TRUST_PROXY`, the forwarded one, as the rate limits count it) and the User-Agent, cut to
 * what the session list keeps.
 */
export const Client = createParamDecorator((_data: unknown, ctx: ExecutionContext): LoginClient => {
  const request = ctx.switchToHttp().getRequest<Request>();
  const userAgent = request.headers['user-agent'];
  return {
    ipAddress: request.ip ?? request.socket.remoteAddress ?? 'unknown',
    userAgent:
      typeof userAgent === 'string' && userAgent !== '' ? userAgent.slice(0, USER_AGENT_MAX) : null,
  };
});
