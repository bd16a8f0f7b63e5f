import { randomUUID } from 'node:crypto';
import type { HostState } from './coreApi';
import type {
  CoreInvocationContext,
  RpcInvocationResponse,
  RpcParameterBinding,
  RpcRetryContext,
  RpcTypedData,
} from './coreTypes';
import type { RegisteredFunction } from './registry';
import type { Logger } from './logger';

export interface InvokeRequest {
  /** The trigger input, sent under the trigger binding's key. */
  trigger: RpcTypedData;
  triggerMetadata?: Record<string, RpcTypedData>;
  retryContext?: RpcRetryContext;
  invocationId?: string;
}

export interface InvokeResult {
  invocationId: string;
  response: RpcInvocationResponse;
  durationMs: number;
}

/** Supplies data for non-trigger input bindings of a given type (e.g. `durableClient`). */
export type InputBindingProvider = (fn: RegisteredFunction) => RpcTypedData;

/**
 * Runs one invocation the way the worker's InvocationHandler does:
 * getArguments → preInvocation hooks → invokeFunction → postInvocation hooks → getResponse.
 */
export class FunctionInvoker {
  readonly #state: HostState;
  readonly #log: Logger;
  readonly #providers = new Map<string, InputBindingProvider>();
  readonly #appHookData: Record<string, unknown> = {};

  constructor(state: HostState, log: Logger) {
    this.#state = state;
    this.#log = log;
  }

  get appHookData(): Record<string, unknown> {
    return this.#appHookData;
  }

  provideInput(bindingType: string, provider: InputBindingProvider): void {
    this.#providers.set(bindingType.toLowerCase(), provider);
  }

  async invoke(fn: RegisteredFunction, request: InvokeRequest): Promise<InvokeResult> {
    const pm = this.#state.programmingModel;
    if (!pm) throw new Error('The app did not register a programming model (no app.* call was made).');
    const invocationId = request.invocationId ?? randomUUID();
    const inputData: RpcParameterBinding[] = [{ name: fn.triggerKey, data: request.trigger }];
    for (const { key, binding } of fn.extraInputs) {
      const provider = this.#providers.get(binding.type.toLowerCase());
      if (provider) inputData.push({ name: key, data: provider(fn) });
    }
    const coreCtx: CoreInvocationContext = {
      invocationId,
      metadata: fn.metadata,
      state: undefined,
      request: {
        invocationId,
        functionId: fn.name,
        inputData,
        triggerMetadata: request.triggerMetadata ?? {},
        retryContext: request.retryContext,
      },
      log: (level, category, message) => this.#log.functionLog(fn.name, invocationId, level, category, message),
    };

    const started = performance.now();
    let outcome: 'Succeeded' | 'Failed' = 'Failed';
    try {
      const model = pm.getInvocationModel(coreCtx);
      const args = await model.getArguments();
      let inputs = args.inputs;
      let callback = fn.callback;
      const hookData: Record<string, unknown> = {};

      coreCtx.state = 'preInvocationHooks';
      for (const hook of this.#state.hookList('preInvocation')) {
        const hookCtx: Record<string, unknown> = {
          hookData,
          appHookData: this.#appHookData,
          invocationContext: args.context,
          inputs,
          functionCallback: callback,
        };
        await hook(hookCtx);
        inputs = hookCtx.inputs as unknown[];
        callback = hookCtx.functionCallback as typeof callback;
      }

      coreCtx.state = 'invocation';
      let result: unknown;
      let error: unknown;
      try {
        result = await model.invokeFunction(args.context, inputs, callback);
      } catch (err) {
        error = err;
      }

      coreCtx.state = 'postInvocationHooks';
      for (const hook of this.#state.hookList('postInvocation')) {
        const hookCtx: Record<string, unknown> = {
          hookData,
          appHookData: this.#appHookData,
          invocationContext: args.context,
          inputs,
          result,
          error,
        };
        await hook(hookCtx);
        result = hookCtx.result;
        error = hookCtx.error;
      }
      if (error !== undefined) throw error;

      const response = await model.getResponse(args.context, result);
      outcome = 'Succeeded';
      return { invocationId, response, durationMs: performance.now() - started };
    } finally {
      this.#log.invocation(fn.name, invocationId, performance.now() - started, outcome);
    }
  }

  async runAppHooks(name: 'appStart' | 'appTerminate'): Promise<void> {
    for (const hook of this.#state.hookList(name)) {
      await hook({ hookData: {}, appHookData: this.#appHookData, functionAppDirectory: process.cwd() });
    }
  }
}
