import { ProbeModule } from '../utils/probe.module';
import { eventually } from '../utils/server-process';
import { useTestApp } from '../utils/test-app';

describe('structured logs', () => {
  const t = useTestApp(
    { LOG_LEVEL: 'debug', DB_STATEMENT_TIMEOUT_MS: '1000' },
    { imports: [ProbeModule], freshLogs: true },
  );

  it('puts the request id on every line of a request', async () => {
    await t.http
      .post('/api/v1/_probe/echo')
      .set('X-Request-Id', 'req-lines-1')
      .send({ name: 'a', items: [{ quantity: 1 }] })
      .expect(200);
    const lines = t.logs.lines.filter((l) => l.requestId === 'req-lines-1');
    expect(lines).toHaveLength(2);
    expect(lines[0]?.msg).toBe('echo');
    expect(lines[1]?.msg).toMatch(/^POST \/api\/v1\/_probe\/echo 200 \d+ms$/);
  });

  it('logs errors with the request id and the code', async () => {
    await t.http.get('/api/v1/_probe/app-error').set('X-Request-Id', 'req-err-1').expect(409);
    const line = t.logs.lines.find((l) => l.msg === 'Probe is in a conflicting state');
    expect(line).toMatchObject({
      level: 'warn',
      requestId: 'req-err-1',
      code: 'PROBE_CONFLICT',
      status: 409,
    });
    expect(line?.meta).toEqual({ internalId: 'secret-internal-id' });
  });

  it('redacts passwords, tokens and credentials wherever they appear', async () => {
    await t.http
      .post('/api/v1/_probe/echo')
      .set('Authorization', 'Bearer very-secret-token')
      .set('Cookie', 'sid=cookie-secret')
      .send({ name: 'a', items: [{ quantity: 1 }] })
      .expect(200);
    const text = t.logs.text();
    expect(text).not.toMatch(
      /hunter2-secret|rt-secret|very-secret-token|cookie-secret|mfa-token-secret|recovery-secret|totp-secret/,
    );
    const echo = t.logs.lines.find((l) => l.msg === 'echo');
    expect(echo).toMatchObject({
      password: '[Redacted]',
      nested: { refreshToken: '[Redacted]' },
      login: { mfaToken: '[Redacted]', recoveryCodes: '[Redacted]' },
      setup: { secret: '[Redacted]', otpauthUrl: '[Redacted]' },
    });
  });

  it('logs probes below info on success', async () => {
    await t.http.get('/health').expect(200);
    await t.http.get('/ready').expect(200);
    const probeLines = t.logs.lines.filter((l) => /\/(health|ready) /.test(String(l.msg)));
    expect(probeLines).toHaveLength(2);
    expect(probeLines.every((l) => l.level === 'debug')).toBe(true);
  });

  it('logs business requests at info with method, path, status and duration', async () => {
    await t.http.get('/api/v1/_probe/db?secret=query-value').expect(200);
    const line = t.logs.lines.find((l) => String(l.msg).startsWith('GET /api/v1/_probe/db 200'));
    expect(line?.level).toBe('info');
    expect(line?.req).toEqual({
      id: line?.requestId,
      method: 'GET',
      path: '/api/v1/_probe/db',
      remoteAddress: expect.stringMatching(/127\.0\.0\.1/),
    });
    expect(line?.res).toEqual({ statusCode: 200 });
    expect(line?.responseTime).toEqual(expect.any(Number));
    expect(t.logs.text()).not.toContain('query-value');
  });

  it('says so, at warn, when the connection closed before the response, with no status', async () => {
    await expect(
      t.http.get('/api/v1/_probe/db-slow').set('X-Request-Id', 'req-gone-1').timeout(200),
    ).rejects.toThrow(/Timeout/);
    await eventually(
      () => t.logs.lines.some((l) => l.requestId === 'req-gone-1' && 'res' in l),
      2_000,
      'the access log line of the abandoned request',
    );
    const line = t.logs.lines.find((l) => l.requestId === 'req-gone-1' && 'res' in l);
    expect(line?.msg).toMatch(
      /^GET \/api\/v1\/_probe\/db-slow connection closed before the response finished \(\d+ms\)$/,
    );
    expect(line?.level).toBe('warn');
    expect(line?.res).toEqual({ statusCode: null });
  });
});
