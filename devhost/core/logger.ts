/** devhost's console output: one line per invocation, plus the app's own logs. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  functionLog(functionName: string, invocationId: string, level: string, category: string, message: string): void;
  invocation(functionName: string, invocationId: string, durationMs: number, outcome: 'Succeeded' | 'Failed'): void;
}

export interface LoggerOptions {
  /** Log every invocation (default). Benchmarks turn it off so the console is not the bottleneck. */
  invocations?: boolean;
  /** Forward the app's `context.log` output (default true). */
  appLogs?: boolean;
  write?: (line: string) => void;
}

function stamp(): string {
  return new Date().toISOString();
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const logInvocations = options.invocations ?? true;
  const logApp = options.appLogs ?? true;
  return {
    info: (m) => write(`[${stamp()}] ${m}`),
    warn: (m) => write(`[${stamp()}] warn: ${m}`),
    error: (m) => write(`[${stamp()}] error: ${m}`),
    functionLog(functionName, invocationId, level, category, message) {
      // As the Functions host at its default level (host.json logging.logLevel.default "Information"): debug and
      // trace lines are dropped. Writing one per event was a visible share of ingestion's cost (bench/ingest.mjs).
      if (level === 'debug' || level === 'trace') return;
      if (!logApp && level !== 'error' && level !== 'critical') return;
      if (category === 'system' && level !== 'error' && level !== 'critical' && level !== 'warning') return;
      write(`[${stamp()}] ${functionName} (${invocationId}) ${level}: ${message}`);
    },
    invocation(functionName, invocationId, durationMs, outcome) {
      if (!logInvocations && outcome === 'Succeeded') return;
      write(
        `[${stamp()}] Executed 'Functions.${functionName}' (${outcome}, Id=${invocationId}, Duration=${Math.round(durationMs)}ms)`,
      );
    },
  };
}
