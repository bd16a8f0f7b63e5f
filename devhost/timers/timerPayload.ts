import type { RpcTypedData } from '../core/coreTypes';
import type { RegisteredFunction } from '../core/registry';
import type { ScheduleStatus } from './scheduleStatus';

/** The timerTrigger binding options `app.timer` registers. */
export interface TimerTriggerOptions {
  schedule: string;
  runOnStartup: boolean;
  /** Undefined when the app left it to the host (default: on, unless the schedule fires more than once a minute). */
  useMonitor: boolean | undefined;
}

export function timerTriggerOptions(fn: RegisteredFunction): TimerTriggerOptions {
  const t = fn.trigger as { schedule?: unknown; runOnStartup?: unknown; useMonitor?: unknown };
  if (typeof t.schedule !== 'string' || t.schedule.trim() === '') {
    throw new Error(`Timer function "${fn.name}" has no schedule.`);
  }
  return {
    schedule: t.schedule,
    runOnStartup: t.runOnStartup === true,
    useMonitor: typeof t.useMonitor === 'boolean' ? t.useMonitor : undefined,
  };
}

/**
 * The trigger input the host sends for a timer: PascalCase TimerInfo JSON. The library camel-cases it, so the
 * handler sees `{schedule:{adjustForDST}, scheduleStatus:{last,next,lastUpdated}, isPastDue}`.
 */
export function timerTriggerData(status: ScheduleStatus, isPastDue: boolean, adjustForDST: boolean): RpcTypedData {
  const timerInfo = {
    Schedule: { AdjustForDST: adjustForDST },
    ScheduleStatus: {
      Last: new Date(status.last).toISOString(),
      Next: new Date(status.next).toISOString(),
      LastUpdated: new Date(status.lastUpdated).toISOString(),
    },
    IsPastDue: isPastDue,
  };
  return { json: JSON.stringify(timerInfo) };
}
