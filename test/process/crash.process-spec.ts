import {
  ServerProcess,
  errorCode,
  httpRequest,
  processSuiteDatabase,
  sleep,
  within,
} from '../utils/server-process';

/**
 * A crash (a rejection nobody handled, an exception nobody caught) is logged at fatal with
 * the error, the process drains like on SIGTERM (requests already running still get their
 * answer) and exits 1 for its supervisor to replace.
 */
describe('crash of the built server', () => {
  const suiteDb = processSuiteDatabase('process_crash');

  it.each([
    {
      scenario: 'an unhandled promise rejection',
      kind: 'unhandledRejection',
      fault: '/api/v1/_faults/unhandled-rejection',
      message: 'Injected unhandled rejection',
    },
    {
      scenario: 'an uncaught exception',
      kind: 'uncaughtException',
      fault: '/api/v1/_faults/uncaught-exception',
      message: 'Injected uncaught exception',
    },
  ])(
    '$scenario is logged at fatal, the request already in flight still gets 200, and the process exits 1',
    async ({ kind, fault, message }) => {
      const server = await ServerProcess.start({
        env: {
          DATABASE_URL: suiteDb.url,
          FAULT_INJECTION: 'true',
          // Shorter than the in-flight request: it is still running when the server stops accepting.
          SHUTDOWN_READY_DELAY_MS: '300',
          SHUTDOWN_TIMEOUT_MS: '15000',
        },
      });

      const inFlight = httpRequest(server.port, '/api/v1/_faults/delay?ms=1000', {
        method: 'POST',
        timeoutMs: 30_000,
      }).then(
        (res) => ({ status: res.status, body: res.body, error: null }),
        (error: unknown) => ({ status: null, body: null, error: errorCode(error) }),
      );
      await sleep(200); // The delay request has reached its handler.

      const trigger = await httpRequest(server.port, fault, { method: 'POST', timeoutMs: 10_000 });
      expect(trigger.status).toBe(202);

      const exit = await within(server.exited, 30_000, 'server did not exit after the crash');
      const answered = await within(inFlight, 10_000, 'in-flight request did not settle');

      expect(answered).toEqual({
        status: 200,
        body: JSON.stringify({ delayedMs: 1000 }),
        error: null,
      });
      expect(exit).toMatchObject({ code: 1, signal: null });

      const fatal = server.logs.filter((l) => l.level === 'fatal');
      expect(fatal).toHaveLength(1);
      expect(fatal[0]).toMatchObject({
        kind,
        msg: `Process crashed (${kind}); shutting down`,
        err: { type: 'Error', message },
      });
      // The stack is logged too: where it came from is the first thing an on-call engineer needs.
      expect((fatal[0]?.err as { stack?: unknown } | undefined)?.stack).toEqual(
        expect.stringContaining(`Error: ${message}\n    at `),
      );

      // Then the same drain as on SIGTERM, ending with exit code 1.
      const messages = server.messages();
      const crashed = messages.indexOf(`Process crashed (${kind}); shutting down`);
      const started = messages.indexOf('Shutdown started: readiness is now 503');
      const drained = messages.indexOf('HTTP server drained');
      const complete = server.logs.find((l) => l.msg === 'Shutdown complete');
      expect(started).toBeGreaterThan(crashed);
      expect(server.logs[started]).toMatchObject({ reason: kind });
      expect(drained).toBeGreaterThan(started);
      expect(complete).toMatchObject({ exitCode: 1 });
      expect(messages.filter((m) => m.startsWith('Shutdown deadline passed'))).toEqual([]);
      // The in-flight request was answered during the drain (access log: "... 200 1003ms").
      const delayLine = messages.findIndex((m) => m.startsWith('POST /api/v1/_faults/delay 200 '));
      expect(delayLine).toBeGreaterThan(started);
      expect(delayLine).toBeLessThan(drained);
    },
    90_000,
  );

  it('a crash while already draining after SIGTERM still ends with exit 1, not 0', async () => {
    const server = await ServerProcess.start({
      env: {
        DATABASE_URL: suiteDb.url,
        FAULT_INJECTION: 'true',
        SHUTDOWN_READY_DELAY_MS: '2000',
        SHUTDOWN_TIMEOUT_MS: '15000',
      },
    });

    server.kill('SIGTERM');
    await server.waitForLog((l) => l.msg === 'Shutdown started: readiness is now 503', 15_000);
    // The ready delay still accepts requests: this one makes the process crash mid-drain.
    const trigger = await httpRequest(server.port, '/api/v1/_faults/unhandled-rejection', {
      method: 'POST',
      timeoutMs: 10_000,
    });
    expect(trigger.status).toBe(202);
    const exit = await within(server.exited, 30_000, 'server did not exit');

    expect(server.logs.filter((l) => l.level === 'fatal')).toMatchObject([
      { kind: 'unhandledRejection', err: { message: 'Injected unhandled rejection' } },
    ]);
    // One drain (the one SIGTERM started), but the crash decides the exit code.
    expect(server.messages().filter((m) => m.startsWith('Shutdown started'))).toHaveLength(1);
    expect(server.logs.find((l) => l.msg === 'Shutdown complete')).toMatchObject({ exitCode: 1 });
    expect(exit).toMatchObject({ code: 1, signal: null });
  }, 90_000);
});
