import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

import { ProbeModule } from '../utils/probe.module';
import { useTestApp } from '../utils/test-app';

const PROBLEM_JSON = 'application/problem+json; charset=utf-8';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('problem details for every error class', () => {
  const t = useTestApp(
    { DB_STATEMENT_TIMEOUT_MS: '300', PROBLEM_TYPE_BASE_URI: 'https://errors.test' },
    { imports: [ProbeModule] },
  );

  it('unknown route → 404 ROUTE_NOT_FOUND', async () => {
    const res = await t.http.get('/api/v1/nope?x=1').expect(404);
    expect(res.headers['content-type']).toBe(PROBLEM_JSON);
    expect(res.body).toEqual({
      type: 'https://errors.test/not-found',
      title: 'Not Found',
      status: 404,
      detail: 'No route for GET /api/v1/nope',
      instance: '/api/v1/nope',
      code: 'ROUTE_NOT_FOUND',
      requestId: res.headers['x-request-id'],
    });
    expect(res.body.requestId).toMatch(UUID);
  });

  it('malformed JSON → 400 MALFORMED_JSON, never a 500', async () => {
    const res = await t.http
      .post('/api/v1/_probe/echo')
      .set('Content-Type', 'application/json')
      .send('{"name": "a",')
      .expect(400);
    expect(res.headers['content-type']).toBe(PROBLEM_JSON);
    expect(res.body).toEqual({
      type: 'https://errors.test/bad-request',
      title: 'Bad Request',
      status: 400,
      detail: 'Request body is not valid JSON',
      instance: '/api/v1/_probe/echo',
      code: 'MALFORMED_JSON',
      requestId: res.headers['x-request-id'],
    });
  });

  it('body over 100 kB → 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await t.http
      .post('/api/v1/_probe/echo')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ name: 'x'.repeat(101 * 1024) }))
      .expect(413);
    expect(res.body).toEqual({
      type: 'https://errors.test/payload-too-large',
      title: 'Payload Too Large',
      status: 413,
      detail: 'Request body exceeds 102400 bytes',
      instance: '/api/v1/_probe/echo',
      code: 'PAYLOAD_TOO_LARGE',
      requestId: res.headers['x-request-id'],
    });
  });

  it('a body that is not JSON → 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await t.http
      .post('/api/v1/_probe/echo')
      .set('Content-Type', 'text/plain')
      .send('name=a')
      .expect(415);
    expect(res.body).toEqual({
      type: 'https://errors.test/unsupported-media-type',
      title: 'Unsupported Media Type',
      status: 415,
      detail: 'Content-Type text/plain is not supported; send application/json (UTF-8)',
      instance: '/api/v1/_probe/echo',
      code: 'UNSUPPORTED_MEDIA_TYPE',
      requestId: res.headers['x-request-id'],
    });
  });

  describe('Content-Encoding and charset of a JSON body', () => {
    const VALID = { name: 'ok', items: [{ quantity: 2 }] };
    /** What the client sees: status, media type, Accept-Encoding and the whole body. */
    const post = async (headers: Record<string, string>, body: Buffer) => {
      const res = await t.http
        .post('/api/v1/_probe/echo')
        .set({ 'Content-Type': 'application/json', ...headers })
        // As bytes: superagent would JSON-encode a Buffer sent as application/json.
        .serialize(() => body as unknown as string)
        .send(body);
      return {
        status: res.status,
        contentType: res.headers['content-type'],
        acceptEncoding: res.headers['accept-encoding'],
        body: res.body as unknown,
      };
    };
    const problem = (
      status: number,
      slug: string,
      title: string,
      detail: string,
      code: string,
    ): unknown =>
      expect.objectContaining({
        status,
        contentType: PROBLEM_JSON,
        body: {
          type: `https://errors.test/${slug}`,
          title,
          status,
          detail,
          instance: '/api/v1/_probe/echo',
          code,
          requestId: expect.stringMatching(UUID),
        },
      });

    it.each([
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['GZIP', gzipSync],
    ])('accepts valid %s JSON', async (encoding, compress) => {
      expect(await post({ 'Content-Encoding': encoding }, compress(JSON.stringify(VALID)))).toEqual(
        {
          status: 200,
          contentType: 'application/json; charset=utf-8',
          acceptEncoding: undefined,
          body: VALID,
        },
      );
    });

    it.each([
      ['gzip', 'plain JSON', Buffer.from('{"name":"not compressed"}')],
      ['deflate', 'plain JSON', Buffer.from('{"name":"not compressed"}')],
      ['gzip', 'a truncated stream', gzipSync(JSON.stringify(VALID)).subarray(0, 12)],
      ['deflate', 'a truncated stream', deflateSync(JSON.stringify(VALID)).subarray(0, 6)],
    ])('a %s body holding %s → 400 MALFORMED_JSON, not a 500', async (encoding, _, body) => {
      const res = await post({ 'Content-Encoding': encoding }, body);
      expect(res).toEqual(
        problem(
          400,
          'bad-request',
          'Bad Request',
          `Request body is not valid ${encoding} data`,
          'MALFORMED_JSON',
        ),
      );
    });

    it('valid gzip around malformed JSON → 400 MALFORMED_JSON', async () => {
      const res = await post({ 'Content-Encoding': 'gzip' }, gzipSync('{"name": "a",'));
      expect(res).toEqual(
        problem(
          400,
          'bad-request',
          'Bad Request',
          'Request body is not valid JSON',
          'MALFORMED_JSON',
        ),
      );
    });

    it('a 20 MB gzip bomb → 413 PAYLOAD_TOO_LARGE (the limit counts decoded bytes)', async () => {
      const bomb = gzipSync(`{"name":"${' '.repeat(20 * 1024 * 1024)}"}`);
      expect(bomb.length).toBeLessThan(100 * 1024);
      const res = await post({ 'Content-Encoding': 'gzip' }, bomb);
      expect(res).toEqual(
        problem(
          413,
          'payload-too-large',
          'Payload Too Large',
          'Request body exceeds 102400 bytes',
          'PAYLOAD_TOO_LARGE',
        ),
      );
    });

    it.each([
      ['br', brotliCompressSync(JSON.stringify(VALID))],
      ['x-foo', Buffer.from(JSON.stringify(VALID))],
      ['gzip, gzip', gzipSync(gzipSync(JSON.stringify(VALID)))],
    ])('Content-Encoding %s → 415 naming the accepted ones', async (encoding, body) => {
      const res = await post({ 'Content-Encoding': encoding }, body);
      expect(res).toEqual(
        problem(
          415,
          'unsupported-media-type',
          'Unsupported Media Type',
          `Content-Encoding ${encoding} is not supported; send gzip, deflate or none`,
          'UNSUPPORTED_MEDIA_TYPE',
        ),
      );
      expect(res.acceptEncoding).toBe('gzip, deflate');
    });

    it('a charset other than UTF-8 → 415 naming it', async () => {
      const res = await post(
        { 'Content-Type': 'application/json; charset=iso-8859-1' },
        Buffer.from(JSON.stringify(VALID)),
      );
      expect(res).toEqual(
        problem(
          415,
          'unsupported-media-type',
          'Unsupported Media Type',
          'Charset iso-8859-1 is not supported; send application/json in UTF-8',
          'UNSUPPORTED_MEDIA_TYPE',
        ),
      );
    });
  });

  it('JSON nested deeper than 32 levels → 400 JSON_TOO_DEEP, not a stack overflow', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const res = await t.http
      .post('/api/v1/_probe/echo')
      .set('Content-Type', 'application/json')
      .send(deep)
      .expect(400);
    expect(res.body).toMatchObject({
      status: 400,
      code: 'JSON_TOO_DEEP',
      detail: 'Request body is nested deeper than 32 levels',
    });
  });

  it('accepts a body nested exactly to the limit (validation then judges it)', async () => {
    let nested: unknown = 1;
    for (let i = 0; i < 31; i += 1) {
      nested = { n: nested };
    }
    const res = await t.http
      .post('/api/v1/_probe/echo')
      .send({ name: 'a', items: [{ quantity: 1 }], x: nested });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
  });

  it('failed validation → 400 with one entry per field and dotted paths', async () => {
    const res = await t.http
      .post('/api/v1/_probe/echo')
      .send({ name: '', items: [{ quantity: 1 }, { quantity: 9 }] })
      .expect(400);
    expect(res.body).toEqual({
      type: 'https://errors.test/bad-request',
      title: 'Bad Request',
      status: 400,
      detail: 'Validation failed for 2 fields',
      instance: '/api/v1/_probe/echo',
      code: 'VALIDATION_FAILED',
      requestId: res.headers['x-request-id'],
      errors: [
        { field: 'name', message: 'name must be longer than or equal to 1 characters' },
        { field: 'items.1.quantity', message: 'quantity must not be greater than 5' },
      ],
    });
  });

  it('unknown fields are rejected, not silently dropped', async () => {
    const res = await t.http
      .post('/api/v1/_probe/echo')
      .send({ name: 'a', items: [{ quantity: 1 }], role: 'admin' })
      .expect(400);
    expect(res.body.errors).toEqual([{ field: 'role', message: 'property role should not exist' }]);
  });

  it('a valid body passes through transformed', async () => {
    await t.http
      .post('/api/v1/_probe/echo')
      .send({ name: 'ok', items: [{ quantity: 2 }] })
      .expect(200, { name: 'ok', items: [{ quantity: 2 }] });
  });

  it('malformed id in a path → 400 naming the parameter', async () => {
    const res = await t.http.get('/api/v1/_probe/items/not-a-uuid').expect(400);
    expect(res.body).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      detail: 'Validation failed: id must be a UUID',
      errors: [{ field: 'id', message: 'id must be a UUID' }],
    });
  });

  it('accepts v4 and v7 UUIDs', async () => {
    await t.http.get('/api/v1/_probe/items/0d3a5a3e-8f2b-4c4e-9d7a-1b2c3d4e5f60').expect(200);
    await t.http.get('/api/v1/_probe/items/0190c4b2-7d3e-7a1b-8c2d-3e4f5a6b7c8d').expect(200);
  });

  it('an AppError keeps its code and status; its meta never leaves the server', async () => {
    const res = await t.http.get('/api/v1/_probe/app-error').expect(409);
    expect(res.body).toEqual({
      type: 'https://errors.test/conflict',
      title: 'Conflict',
      status: 409,
      detail: 'Probe is in a conflicting state',
      instance: '/api/v1/_probe/app-error',
      code: 'PROBE_CONFLICT',
      requestId: res.headers['x-request-id'],
    });
    expect(res.text).not.toContain('secret-internal-id');
  });

  it('an unexpected error → 500 INTERNAL with nothing internal in the body', async () => {
    const res = await t.http.get('/api/v1/_probe/boom').expect(500);
    expect(res.body).toEqual({
      type: 'https://errors.test/internal-server-error',
      title: 'Internal Server Error',
      status: 500,
      detail: 'Internal server error',
      instance: '/api/v1/_probe/boom',
      code: 'INTERNAL',
      requestId: res.headers['x-request-id'],
    });
    expect(res.text).not.toMatch(/secret_table|stack|Error:/);
    const logged = t.logs.lines.find(
      (l) => l.msg === 'Unhandled error' && l.requestId === res.body.requestId,
    );
    expect(logged?.level).toBe('error');
    expect(JSON.stringify(logged?.err)).toContain('secret_table');
  });

  it('a SQL error → 500 without SQL, table or driver text', async () => {
    const res = await t.http.get('/api/v1/_probe/db-bad-sql').expect(500);
    expect(res.body).toMatchObject({ code: 'INTERNAL', detail: 'Internal server error' });
    expect(res.text).not.toMatch(/secret_column|SELEC|syntax error|QueryFailed/);
  });

  it('an unclaimed unique violation → 409 RESOURCE_CONFLICT', async () => {
    const res = await t.http.get('/api/v1/_probe/db-unique').expect(409);
    expect(res.body).toEqual({
      type: 'https://errors.test/conflict',
      title: 'Conflict',
      status: 409,
      detail: 'The resource conflicts with an existing one',
      instance: '/api/v1/_probe/db-unique',
      code: 'RESOURCE_CONFLICT',
      requestId: res.headers['x-request-id'],
    });
    expect(res.text).not.toContain('probe_u');
  });

  it('a statement timeout → 503 DEPENDENCY_UNAVAILABLE with Retry-After', async () => {
    const res = await t.http.get('/api/v1/_probe/db-slow').expect(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toEqual({
      type: 'https://errors.test/service-unavailable',
      title: 'Service Unavailable',
      status: 503,
      detail: 'Service unavailable; retry later',
      instance: '/api/v1/_probe/db-slow',
      code: 'DEPENDENCY_UNAVAILABLE',
      requestId: res.headers['x-request-id'],
    });
  });
});
