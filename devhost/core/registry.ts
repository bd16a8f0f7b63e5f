import type { FunctionCallback, RpcBindingInfo, RpcFunctionMetadata } from './coreTypes';

/** One function registered by the app through `app.*` / `df.app.*`, with its trigger binding resolved. */
export interface RegisteredFunction {
  readonly name: string;
  readonly metadata: RpcFunctionMetadata;
  readonly callback: FunctionCallback;
  /** Key in `metadata.bindings` of the trigger; the host must use it as the `inputData` name. */
  readonly triggerKey: string;
  readonly trigger: RpcBindingInfo & { type: string };
  /** Input bindings other than the trigger (e.g. durableClient), keyed by binding name. */
  readonly extraInputs: ReadonlyArray<{ key: string; binding: RpcBindingInfo & { type: string } }>;
}

const triggerPattern = /trigger$/i;

export function toRegisteredFunction(metadata: RpcFunctionMetadata, callback: FunctionCallback): RegisteredFunction {
  const entries = Object.entries(metadata.bindings ?? {});
  const triggerEntry = entries.find(([, b]) => typeof b.type === 'string' && triggerPattern.test(b.type));
  if (!triggerEntry) {
    throw new Error(`Function "${metadata.name}" has no trigger binding.`);
  }
  const [triggerKey, trigger] = triggerEntry;
  const extraInputs = entries
    .filter(([key, b]) => key !== triggerKey && b.direction === 'in' && typeof b.type === 'string')
    .map(([key, binding]) => ({ key, binding: binding as RpcBindingInfo & { type: string } }));
  return {
    name: metadata.name,
    metadata,
    callback,
    triggerKey,
    trigger: trigger as RpcBindingInfo & { type: string },
    extraInputs,
  };
}

/** Collects registrations; the worker rejects duplicate function ids, so do we. */
export class FunctionRegistry {
  readonly #functions = new Map<string, RegisteredFunction>();

  add(fn: RegisteredFunction): void {
    const id = (fn.metadata.functionId as string | undefined) || fn.name;
    if (this.#functions.has(id)) {
      throw new Error(`A function with the id "${id}" has already been registered.`);
    }
    this.#functions.set(id, fn);
  }

  remove(name: string): void {
    this.#functions.delete(name);
  }

  get(name: string): RegisteredFunction | undefined {
    return this.#functions.get(name);
  }

  /** Case-insensitive lookup, as the host resolves `functionName` query parameters. */
  find(name: string): RegisteredFunction | undefined {
    const exact = this.#functions.get(name);
    if (exact) return exact;
    const lower = name.toLowerCase();
    for (const fn of this.#functions.values()) {
      if (fn.name.toLowerCase() === lower) return fn;
    }
    return undefined;
  }

  all(): RegisteredFunction[] {
    return [...this.#functions.values()];
  }

  byTrigger(type: string): RegisteredFunction[] {
    const lower = type.toLowerCase();
    return this.all().filter((f) => f.trigger.type.toLowerCase() === lower);
  }
}
