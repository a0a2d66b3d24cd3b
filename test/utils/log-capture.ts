import { Writable } from 'node:stream';

export type LogLine = Record<string, unknown> & { level: string; msg?: string };

/** A pino destination that keeps every JSON line for assertions. */
export class LogCapture extends Writable {
  readonly lines: LogLine[] = [];
  private partial = '';

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    done: (error?: Error | null) => void,
  ): void {
    const text = this.partial + chunk.toString('utf8');
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const part of parts) {
      if (part.trim() !== '') {
        this.lines.push(JSON.parse(part) as LogLine);
      }
    }
    done();
  }

  /** Raw text of everything logged so far (for "never appears" checks). */
  text(): string {
    return this.lines.map((l) => JSON.stringify(l)).join('\n');
  }

  clear(): void {
    this.lines.length = 0;
  }
}
