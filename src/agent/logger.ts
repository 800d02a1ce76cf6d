// The agent's log: leveled lines in the shape Nomad's agent prints
// ("    2026-11-21T17:38:21.305Z [INFO]  nomad: cluster leadership acquired"), or JSON lines.
// Named sub-loggers prefix their subsystem ("client.alloc_runner").

export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'OFF';

const RANK: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, OFF: 5 };

export type LogFields = Record<string, unknown> | object;

export interface Logger {
  trace(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  named(name: string): Logger;
}

export function parseLogLevel(s: string): LogLevel | null {
  const up = s.trim().toUpperCase();
  if (up === 'WARNING') return 'WARN';
  if (up === 'ERR') return 'ERROR';
  return up in RANK ? (up as LogLevel) : null;
}

export interface LogSink {
  write(line: string): void;
}

export class AgentLogger implements Logger {
  constructor(
    private readonly level: LogLevel,
    private readonly sink: LogSink = process.stdout,
    private readonly json = false,
    private readonly name = '',
  ) {}

  named(name: string): Logger {
    return new AgentLogger(this.level, this.sink, this.json, this.name ? `${this.name}.${name}` : name);
  }

  trace(msg: string, fields?: LogFields): void {
    this.log('TRACE', msg, fields);
  }
  debug(msg: string, fields?: LogFields): void {
    this.log('DEBUG', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log('INFO', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log('WARN', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log('ERROR', msg, fields);
  }

  private log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (RANK[level] < RANK[this.level]) return;
    const ts = new Date().toISOString();
    if (this.json) {
      this.sink.write(JSON.stringify({ '@level': level.toLowerCase(), '@message': msg, '@module': this.name, '@timestamp': ts, ...fields }) + '\n');
      return;
    }
    const tag = `[${level}]`.padEnd(7);
    const prefix = this.name ? `${this.name}: ` : '';
    let line = `    ${ts} ${tag} ${prefix}${msg}`;
    if (fields) {
      for (const [k, v] of Object.entries(fields)) line += ` ${k}=${formatValue(v)}`;
    }
    this.sink.write(line + '\n');
  }
}

function formatValue(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (Array.isArray(v)) return `[${v.map((x) => String(x)).join(', ')}]`;
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A logger that drops everything: for tests and embedded use. */
export const silentLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  named() {
    return silentLogger;
  },
};
