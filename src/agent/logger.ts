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

/** Where `nomad monitor` listens: each tap has its own level and format, whatever the agent's. */
export interface LogTap {
  readonly level: LogLevel;
  readonly json: boolean;
  write(line: string): void;
}

/** The taps every logger of one agent shares (named loggers included). */
export class LogTaps {
  private taps: LogTap[] = [];
  /** The most verbose level any tap asks for (OFF when none). */
  lowest: LogLevel = 'OFF';

  add(tap: LogTap): () => void {
    this.taps = [...this.taps, tap];
    this.recompute();
    return () => {
      this.taps = this.taps.filter((t) => t !== tap);
      this.recompute();
    };
  }

  get all(): readonly LogTap[] {
    return this.taps;
  }

  private recompute(): void {
    this.lowest = this.taps.reduce<LogLevel>((low, t) => (RANK[t.level] < RANK[low] ? t.level : low), 'OFF');
  }
}

export class AgentLogger implements Logger {
  constructor(
    private readonly level: LogLevel,
    private readonly sink: LogSink = process.stdout,
    private readonly json = false,
    private readonly name = '',
    readonly taps: LogTaps = new LogTaps(),
  ) {}

  named(name: string): Logger {
    return new AgentLogger(this.level, this.sink, this.json, this.name ? `${this.name}.${name}` : name, this.taps);
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
    const toSink = RANK[level] >= RANK[this.level];
    const toTaps = RANK[level] >= RANK[this.taps.lowest];
    if (!toSink && !toTaps) return;
    const ts = new Date().toISOString();
    let text: string | null = null;
    let json: string | null = null;
    const asText = (): string => (text ??= formatTextLine(ts, level, this.name, msg, fields));
    const asJson = (): string => (json ??= formatJsonLine(ts, level, this.name, msg, fields));
    if (toSink) this.sink.write(this.json ? asJson() : `    ${asText()}`);
    if (toTaps) {
      for (const tap of this.taps.all) if (RANK[level] >= RANK[tap.level]) tap.write(tap.json ? asJson() : asText());
    }
  }
}

function formatJsonLine(ts: string, level: LogLevel, name: string, msg: string, fields?: LogFields): string {
  return JSON.stringify({ '@level': level.toLowerCase(), '@message': msg, '@module': name, '@timestamp': ts, ...fields }) + '\n';
}

/** "2026-11-21T17:38:21.305Z [INFO]  nomad: msg key=value" (the agent's own output indents it). */
function formatTextLine(ts: string, level: LogLevel, name: string, msg: string, fields?: LogFields): string {
  const tag = `[${level}]`.padEnd(7);
  const prefix = name ? `${name}: ` : '';
  let line = `${ts} ${tag} ${prefix}${msg}`;
  if (fields) {
    for (const [k, v] of Object.entries(fields)) line += ` ${k}=${formatValue(v)}`;
  }
  return line + '\n';
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
