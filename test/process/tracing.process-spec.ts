import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { createTestDatabase, type TestDatabase } from '../utils/database';

interface ProbeSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  attributes: Record<string, unknown>;
}

const SERVER = 1;
const CLIENT = 2;

describe('OpenTelemetry tracing (built server, in-memory exporter)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('tracing');
  });

  afterAll(async () => {
    await db.drop();
  });

  it('turns one request into an HTTP server span with a child pg span in the same trace', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(__dirname, 'fixtures', 'trace-probe.js')],
      {
        env: { ...process.env, DATABASE_URL: db.url },
        timeout: 60_000,
      },
    );
    const { status, spans } = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
      status: number;
      spans: ProbeSpan[];
    };
    expect(status).toBe(200);
    const server = spans.find((s) => s.kind === SERVER && s.name.startsWith('GET'));
    expect(server).toBeDefined();
    const inTrace = spans.filter((s) => s.traceId === server?.traceId);
    const pg = inTrace.find(
      (s) =>
        s.kind === CLIENT &&
        String(s.attributes['db.system'] ?? s.attributes['db.system.name']) === 'postgresql',
    );
    expect(pg).toBeDefined();
    // Walk up from the pg span: it must descend from the HTTP server span.
    const byId = new Map(inTrace.map((s) => [s.spanId, s]));
    let cursor = pg;
    const chain: string[] = [];
    while (cursor?.parentSpanId) {
      chain.push(cursor.name);
      cursor = byId.get(cursor.parentSpanId);
      if (cursor?.spanId === server?.spanId) {
        break;
      }
    }
    expect(cursor?.spanId).toBe(server?.spanId);
    expect(spans.some((s) => s.name.includes('/health'))).toBe(false);
  }, 90_000);
});
