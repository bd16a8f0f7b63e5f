import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setPriority } from 'node:os';
import path from 'node:path';

/**
 * Starts local training and prediction jobs in a child process of their own, one job at a time, at the lowest CPU
 * priority: training keeps both cores busy for minutes, and labelers' requests must not wait behind it. The child's
 * stdin is a pipe from this process; it exits when that closes, so a host that dies (even SIGKILLed) takes its
 * runner with it, and the job's stale heartbeat later tells the next host to start it over.
 */
export class RunnerSupervisor {
  readonly #queue: string[] = [];
  #running: { jobId: string; child: ChildProcess } | undefined;

  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly entry = compiledRunnerEntry(),
  ) {}

  /** Makes sure a runner works on (or will work on) `jobId` in this process. */
  ensure(jobId: string): void {
    if (this.#running?.jobId === jobId || this.#queue.includes(jobId)) return;
    this.#queue.push(jobId);
    this.#next();
  }

  /** Whether this process has a runner on the job (or queued for it). */
  has(jobId: string): boolean {
    return this.#running?.jobId === jobId || this.#queue.includes(jobId);
  }

  #next(): void {
    if (this.#running) return;
    const jobId = this.#queue.shift();
    if (!jobId) return;
    const [command, ...prefix] = [...lowPriorityLauncher(), process.execPath];
    const child = spawn(command!, [...prefix, this.entry, jobId], {
      env: this.env,
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    if (lowPriorityLauncher().length === 0) {
      try {
        if (child.pid) setPriority(child.pid, 19);
      } catch {
        // Not permitted everywhere (some containers): the job still runs, only at normal priority.
      }
    }
    this.#running = { jobId, child };
    const done = () => {
      if (this.#running?.child !== child) return;
      this.#running = undefined;
      this.#next();
    };
    child.once('exit', done);
    child.once('error', done);
  }

  /** Stops the runner (the job stays as it is and is picked up again later). */
  async stop(): Promise<void> {
    this.#queue.length = 0;
    const running = this.#running;
    if (!running || running.child.exitCode !== null) return;
    const exited = new Promise((resolve) => running.child.once('exit', resolve));
    running.child.kill('SIGTERM');
    await exited;
  }
}

let launcher: string[] | undefined;

/**
 * How to start the runner below everything else. Linux's SCHED_IDLE (`chrt --idle 0`) runs it only on CPU time
 * nothing else wants, for every thread it will ever start (the detector trains on worker threads; a priority set on
 * the process after it started reaches only threads created later). Elsewhere `nice -n 19` (macOS), else a priority
 * set after the start (Windows). Both tools exec the
 * command, so the child's pid is the runner's.
 */
export function lowPriorityLauncher(): string[] {
  launcher ??= ['/usr/bin/chrt', '/bin/chrt'].some(existsSync)
    ? [['/usr/bin/chrt', '/bin/chrt'].find(existsSync)!, '--idle', '0']
    : ['/usr/bin/nice', '/bin/nice'].some(existsSync)
      ? [['/usr/bin/nice', '/bin/nice'].find(existsSync)!, '-n', '19']
      : [];
  return launcher;
}

/**
 * The runner's compiled entry point. The app runs from dist/ (tsc output); tests run the TypeScript sources, where
 * the same file sits under dist/ at the same relative path once `npm run build` has run.
 */
export function compiledRunnerEntry(dir = __dirname): string {
  const here = path.join(dir, 'runnerMain.js');
  if (existsSync(here)) return here;
  const root = path.resolve(dir, '../../..');
  return path.join(root, 'dist', path.relative(root, dir), 'runnerMain.js');
}
