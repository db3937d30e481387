import type { LoggerService } from '@nestjs/common';
import { maskText, redact } from './pii';

type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * Structured JSON logs, one line each, with the service name. Personal data is masked. Also
 * serves as Nest's logger. A line about one unit of work carries its correlation id when the
 * caller passes the `WorkContext` (or any object with `correlationId`) among the extra arguments.
 */
export class JsonLogger implements LoggerService {
  private readonly min: number;
  constructor(
    private readonly service: string,
    private readonly scope?: string,
    level: string = process.env.LOG_LEVEL ?? 'info',
  ) {
    this.min = LEVEL_RANK[(level as Level) in LEVEL_RANK ? (level as Level) : 'info'];
  }

  child(scope: string): JsonLogger {
    return new JsonLogger(
      this.service,
      scope,
      Object.keys(LEVEL_RANK).find((k) => LEVEL_RANK[k as Level] === this.min),
    );
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  info(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }

  private write(level: Level, message: unknown, rest: unknown[]): void {
    if (LEVEL_RANK[level] < this.min) return;
    const line: Record<string, unknown> = {
      time: new Date().toISOString(),
      level,
      service: this.service,
    };
    // Nest passes the context name as the last string argument.
    let scope = this.scope;
    const extra: unknown[] = [];
    for (const r of rest) {
      if (typeof r === 'string' && scope === undefined) scope = r;
      else if (r !== undefined) extra.push(r);
    }
    if (scope) line.scope = scope;
    if (message instanceof Error) {
      line.msg = maskText(message.message);
      line.err = redact(message);
    } else if (typeof message === 'string') {
      line.msg = maskText(message);
    } else {
      line.msg = redact(message);
    }
    for (const e of extra) {
      if (e instanceof Error) line.err = redact(e);
      else if (typeof e === 'object') Object.assign(line, redact(e) as object);
      else line.detail = redact(e);
    }
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
}
