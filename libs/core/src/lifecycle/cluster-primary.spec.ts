import cluster, { type Worker } from 'node:cluster';

import pino from 'pino';

import { runPrimary } from './cluster-primary';

/**
 * runPrimary against a stand-in for node:cluster: fork() records the environment each child
 * would get and returns a fake worker; exits and signals are driven by the test. Process-level
 * behaviour (real forks, real drains) is in test/process/cluster.process-spec.ts.
 */
interface FakeChild {
  readonly worker: Worker;
  readonly env: Record<string, string> | undefined;
  readonly signals: string[];
}

interface LogLine {
  readonly msg: string;
  readonly [key: string]: unknown;
}

const BASE_DELAY_MS = 100;
const SHUTDOWN_TIMEOUT_MS = 1_000;

describe('runPrimary', () => {
  let children: FakeChild[];
  let logs: LogLine[];
  let handlers: Map<string, () => void>;
  let exit: jest.Mock<undefined, [number]>;

  const live = (): FakeChild[] =>
    children.filter((c) => cluster.workers?.[c.worker.id] !== undefined);
  const roleOf = (child: FakeChild): string | undefined => child.env?.APP_ROLE;
  const messages = (msg: string): LogLine[] => logs.filter((l) => l.msg === msg);

  /** Node's cluster.workers drops a child once it has exited and disconnected. */
  const forget = (child: FakeChild): void => {
    Reflect.deleteProperty(cluster.workers ?? {}, child.worker.id);
  };

  /** The child exits (and disconnects) the way Node reports it to the primary. */
  const die = (child: FakeChild, code: number | null, signal: string | null): void => {
    forget(child);
    cluster.emit('exit', child.worker, code, signal);
    cluster.emit('disconnect', child.worker);
  };

  const start = (workers: number, jobWorkers?: number): void => {
    runPrimary({
      workers,
      jobWorkers,
      shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
      logger: pino(
        { level: 'debug', base: null, timestamp: false },
        { write: (line: string) => logs.push(JSON.parse(line) as LogLine) },
      ),
      baseDelayMs: BASE_DELAY_MS,
      maxDelayMs: 10_000,
      maxCrashes: 3,
      windowMs: 60_000,
      exit,
    });
  };

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    children = [];
    logs = [];
    handlers = new Map();
    exit = jest.fn<undefined, [number]>();
    let nextId = 1;
    jest.spyOn(cluster, 'fork').mockImplementation((env?: Record<string, string>) => {
      const id = nextId;
      nextId += 1;
      const signals: string[] = [];
      const worker = {
        id,
        process: {
          pid: 10_000 + id,
          kill: (signal: string) => {
            signals.push(signal);
            return true;
          },
        },
        isConnected: () => true,
        send: () => true,
      } as unknown as Worker;
      // A primary's cluster.workers always exists; it is undefined only in a cluster child.
      (cluster.workers ?? {})[id] = worker;
      children.push({ worker, env, signals });
      return worker;
    });
    // The primary's SIGTERM/crash handlers are captured, never installed in Jest's process.
    jest.spyOn(process, 'on').mockImplementation(((event: string, listener: () => void) => {
      handlers.set(event, listener);
      return process;
    }) as typeof process.on);
  });

  afterEach(() => {
    for (const event of ['exit', 'disconnect', 'message']) {
      cluster.removeAllListeners(event);
    }
    children.forEach(forget);
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  it('without job workers forks only HTTP children, each keeping the configured APP_ROLE', () => {
    start(2);

    expect(children).toHaveLength(2);
    expect(children.map((c) => c.env)).toEqual([undefined, undefined]);
    expect(messages('Worker started').map((l) => l.kind)).toEqual(['http', 'http']);
    expect(messages('Cluster primary started')).toMatchObject([{ workers: 2, jobWorkers: 0 }]);
  });

  it('with job workers forks HTTP children as APP_ROLE=api and job children as APP_ROLE=worker', () => {
    start(2, 1);

    expect(children.map(roleOf)).toEqual(['api', 'api', 'worker']);
    // Each child is a plain process of its role: it must not split roles again (its config
    // would refuse CLUSTER_JOB_WORKERS with APP_ROLE other than all).
    expect(children.map((c) => c.env?.CLUSTER_JOB_WORKERS)).toEqual(['0', '0', '0']);
    expect(messages('Worker started').map((l) => [l.workerId, l.kind])).toEqual([
      [1, 'http'],
      [2, 'http'],
      [3, 'jobs'],
    ]);
  });

  it('replaces a dead child by one of the same kind, after the backoff', () => {
    start(1, 1);
    const [http, jobs] = children;

    die(jobs!, 1, null);
    expect(messages('Worker died unexpectedly')).toMatchObject([
      { workerId: jobs!.worker.id, kind: 'jobs', respawnInMs: BASE_DELAY_MS },
    ]);
    expect(children).toHaveLength(2);
    jest.advanceTimersByTime(BASE_DELAY_MS);
    expect(children.map(roleOf)).toEqual(['api', 'worker', 'worker']);

    die(http!, null, 'SIGKILL');
    jest.advanceTimersByTime(BASE_DELAY_MS);
    expect(live().map(roleOf).sort()).toEqual(['api', 'worker']);
    expect(messages('Worker started').map((l) => l.kind)).toEqual(['http', 'jobs', 'jobs', 'http']);
  });

  it('backs off per kind: crashing job children do not delay an HTTP child’s respawn', () => {
    start(1, 1);

    for (let crash = 1; crash <= 3; crash += 1) {
      const jobs = live().find((c) => roleOf(c) === 'worker')!;
      die(jobs, 1, null);
      expect(messages('Worker died unexpectedly').at(-1)).toMatchObject({
        kind: 'jobs',
        respawnInMs: BASE_DELAY_MS * 2 ** (crash - 1),
      });
      jest.advanceTimersByTime(BASE_DELAY_MS * 2 ** (crash - 1));
    }
    die(
      live().find((c) => roleOf(c) === 'api')!,
      1,
      null,
    );

    expect(messages('Worker died unexpectedly').at(-1)).toMatchObject({
      kind: 'http',
      respawnInMs: BASE_DELAY_MS,
    });
    expect(exit).not.toHaveBeenCalled();
  });

  it('a crash loop of one kind ends the primary: every child is stopped, exit 1', () => {
    start(1, 1);

    for (let crash = 1; crash <= 4; crash += 1) {
      die(
        live().find((c) => roleOf(c) === 'worker')!,
        1,
        null,
      );
      jest.advanceTimersByTime(BASE_DELAY_MS * 2 ** (crash - 1));
    }

    expect(messages('Workers keep crashing: giving up')).toMatchObject([
      { kind: 'jobs', crashes: 4 },
    ]);
    const [http] = live();
    expect(live()).toHaveLength(1);
    expect(http!.signals).toEqual(['SIGTERM']);
    die(http!, 0, null);
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('SIGTERM reaches both kinds; the primary exits 0 once all drained, without respawning', () => {
    start(2, 2);

    handlers.get('SIGTERM')!();

    expect(children.map((c) => c.signals)).toEqual([
      ['SIGTERM'],
      ['SIGTERM'],
      ['SIGTERM'],
      ['SIGTERM'],
    ]);
    for (const child of [...children]) {
      die(child, 0, null);
      expect(exit).toHaveBeenCalledTimes(live().length === 0 ? 1 : 0);
    }
    jest.advanceTimersByTime(SHUTDOWN_TIMEOUT_MS + 10_000);
    expect(children).toHaveLength(4);
    expect(messages('Worker stopped').map((l) => l.kind)).toEqual(['http', 'http', 'jobs', 'jobs']);
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('a job child still running past the drain deadline is killed and the primary exits 1', () => {
    start(1, 1);
    const [http, jobs] = children;

    handlers.get('SIGTERM')!();
    die(http!, 0, null);
    jest.advanceTimersByTime(SHUTDOWN_TIMEOUT_MS + 5_000);

    expect(jobs!.signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(messages('Worker missed the deadline: killed')).toMatchObject([
      { workerId: jobs!.worker.id, kind: 'jobs' },
    ]);
    die(jobs!, null, 'SIGKILL');
    expect(exit).toHaveBeenCalledWith(1);
  });
});
