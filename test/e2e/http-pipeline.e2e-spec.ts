import { ProbeModule } from '../utils/probe.module';
import { useTestApp } from '../utils/test-app';

describe('HTTP pipeline: headers, CORS, request ids', () => {
  const t = useTestApp(
    { CORS_ORIGINS: 'https://app.example.com, https://admin.example.com' },
    { imports: [ProbeModule] },
  );

  describe('security headers', () => {
    it.each([
      ['a success', '/health', 200],
      ['an error', '/api/v1/nope', 404],
    ])('are on %s', async (_label, path, status) => {
      const res = await t.http.get(path).expect(status);
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-powered-by']).toBeUndefined();
    });
  });

  describe('CORS', () => {
    it('echoes an allowed origin with credentials, never *', async () => {
      const res = await t.http.get('/health').set('Origin', 'https://app.example.com').expect(200);
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers['access-control-expose-headers']).toContain('X-Request-Id');
    });

    it('gives no CORS headers to other origins', async () => {
      const res = await t.http.get('/health').set('Origin', 'https://evil.example.net').expect(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    });

    it('answers an allowed preflight', async () => {
      const res = await t.http
        .options('/api/v1/_probe/echo')
        .set('Origin', 'https://admin.example.com')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'Content-Type, Authorization');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('https://admin.example.com');
      expect(res.headers['access-control-allow-methods']).toContain('POST');
    });

    it('gives a preflight from another origin nothing to go on', async () => {
      const res = await t.http
        .options('/api/v1/_probe/echo')
        .set('Origin', 'https://evil.example.net')
        .set('Access-Control-Request-Method', 'POST');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('X-Request-Id', () => {
    it('keeps a sane incoming id, on success and in error bodies', async () => {
      const ok = await t.http.get('/health').set('X-Request-Id', 'abc.DEF_123-x').expect(200);
      expect(ok.headers['x-request-id']).toBe('abc.DEF_123-x');
      const err = await t.http.get('/api/v1/nope').set('X-Request-Id', 'trace-42').expect(404);
      expect(err.headers['x-request-id']).toBe('trace-42');
      expect(err.body.requestId).toBe('trace-42');
    });

    it.each([
      ['too long', 'a'.repeat(129)],
      ['with spaces', 'has space'],
      ['with injection characters', 'x"}<script>'],
    ])('replaces an id that is %s with a fresh UUID', async (_label, id) => {
      const res = await t.http.get('/health').set('X-Request-Id', id).expect(200);
      expect(res.headers['x-request-id']).not.toBe(id);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('mints a different id for every request', async () => {
      const a = await t.http.get('/health');
      const b = await t.http.get('/health');
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });
  });

  describe('routing', () => {
    it('serves business routes under /api/v1 only', async () => {
      await t.http.get('/api/v1/_probe/db').expect(200);
      await t.http.get('/_probe/db').expect(404);
      await t.http.get('/api/_probe/db').expect(404);
    });

    it('keeps operational routes unversioned at the root', async () => {
      await t.http.get('/health').expect(200);
      await t.http.get('/api/v1/health').expect(404);
    });
  });
});
