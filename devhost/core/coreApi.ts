import Module from 'node:module';
import type { FunctionCallback, HookCallback, HookName, ProgrammingModel, RpcFunctionMetadata } from './coreTypes';
import { FunctionRegistry, toRegisteredFunction } from './registry';

const knownHooks: readonly HookName[] = ['preInvocation', 'postInvocation', 'appStart', 'appTerminate', 'log'];

class Disposable {
  #callback: (() => void) | undefined;
  constructor(callback: () => void) {
    this.#callback = callback;
  }
  dispose(): void {
    this.#callback?.();
    this.#callback = undefined;
  }
}

/** What the app registered while loading: functions, hooks and its programming model. */
export class HostState {
  readonly registry = new FunctionRegistry();
  readonly hooks = new Map<HookName, HookCallback[]>(knownHooks.map((n) => [n, []]));
  programmingModel: ProgrammingModel | undefined;
  /** Registration is only allowed while the app loads, as in the worker. */
  acceptingRegistrations = true;

  hookList(name: HookName): HookCallback[] {
    return this.hooks.get(name) ?? [];
  }
}

export type HostLogSink = (level: string, category: string, message: string) => void;

/** Builds the object the worker exposes as `@azure/functions-core`. */
export function createCoreApi(state: HostState, log: HostLogSink) {
  return {
    version: '3.10.1',
    hostVersion: '4.1040.0',
    Disposable,
    setProgrammingModel(pm: ProgrammingModel): void {
      state.programmingModel = pm;
    },
    getProgrammingModel(): ProgrammingModel | undefined {
      return state.programmingModel;
    },
    registerFunction(metadata: RpcFunctionMetadata, callback: FunctionCallback): Disposable {
      if (!state.acceptingRegistrations) {
        throw new Error('A function can only be registered during app startup.');
      }
      const fn = toRegisteredFunction(metadata, callback);
      state.registry.add(fn);
      return new Disposable(() => state.registry.remove(fn.name));
    },
    registerHook(name: string, callback: HookCallback): Disposable {
      const list = state.hooks.get(name as HookName);
      if (!list) {
        const error = new RangeError(`Unrecognized hook "${name}"`) as RangeError & {
          isAzureFunctionsSystemError: boolean;
        };
        error.isAzureFunctionsSystemError = true;
        throw error;
      }
      list.push(callback);
      return new Disposable(() => {
        const i = list.indexOf(callback);
        if (i >= 0) list.splice(i, 1);
      });
    },
    log(level: string, category: string, message: string): void {
      log(level, category, message);
    },
  };
}

let installed = false;

/**
 * Makes `require('@azure/functions-core')` return `coreApi`, exactly as the worker's `setupCoreModule` does.
 * Must run before the app (and thus `@azure/functions`) is loaded, because the library caches a failed lookup.
 */
export function installCoreModule(coreApi: object): void {
  if (installed) throw new Error('@azure/functions-core is already installed in this process.');
  installed = true;
  const proto = Module.prototype as unknown as { require: (id: string) => unknown };
  proto.require = new Proxy(proto.require, {
    apply(target, thisArg, args: unknown[]) {
      if (args[0] === '@azure/functions-core') return coreApi;
      return Reflect.apply(target, thisArg, args);
    },
  });
}
