import { mkdirSync } from 'node:fs';
import { HostState, createCoreApi, installCoreModule } from './core/coreApi';
import { FunctionInvoker } from './core/invoker';
import { createLogger, type Logger } from './core/logger';
import { loadEntryFiles, resolveEntryFiles } from './core/appLoader';
import type { DevhostConfig } from './config';
import { HttpHost } from './http/server';
import { frontDoor } from './http/frontDoor';
import { loadOrCreateHostKeys, type HostKeys } from './http/hostKeys';
import { adminInvokeHandler } from './http/adminInvoke';
import { DurableBackend } from './durable/backend';
import { eventGridWebhook, eventGridWebhookUrl } from './eventgrid/webhook';
import { TimerScheduler } from './timers/timerScheduler';
import { startAzurite, type RunningAzurite } from './services/azurite';
import { BlobEventBridge } from './eventgrid/bridge';
import { loadBridgeSubscriptions } from './eventgrid/subscriptions';

export interface DevHost {
  readonly config: DevhostConfig;
  readonly state: HostState;
  readonly invoker: FunctionInvoker;
  readonly http: HttpHost;
  readonly keys: HostKeys;
  readonly durable: DurableBackend;
  readonly baseUrl: string;
  readonly azurite: RunningAzurite | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
}

/**
 * Boots the host: provide `@azure/functions-core`, load the app, wire every trigger type, listen, then run the
 * app's start hooks. One process hosts one app, as a Functions worker does.
 */
export async function startDevHost(config: DevhostConfig, options: StartOptions = {}): Promise<DevHost> {
  const logger = options.logger ?? createLogger({ invocations: config.logInvocations });
  mkdirSync(config.dataDir, { recursive: true });
  const keys = loadOrCreateHostKeys(config.dataDir);

  // Embedded blob storage comes first so the app sees its connection string while it loads.
  let azurite: RunningAzurite | undefined;
  if (config.embeddedServices) {
    azurite = await startAzurite({ dataDir: config.dataDir, port: config.azuritePort, logger });
    process.env.AzureWebJobsStorage = azurite.connectionString;
  }

  const state = new HostState();
  installCoreModule(
    createCoreApi(state, (level, category, message) => logger.functionLog('host', '-', level, category, message)),
  );
  await loadEntryFiles(resolveEntryFiles(config.appDir, config.main));
  state.acceptingRegistrations = false;
  await state.programmingModel?.getCapabilities?.({});

  const invoker = new FunctionInvoker(state, logger);
  const http = new HttpHost({
    registry: state.registry,
    invoker,
    keys,
    logger,
    routePrefix: config.routePrefix,
    maxRequestBodySize: config.maxRequestBodySize,
  });
  const durable = new DurableBackend({
    registry: state.registry,
    invoker,
    logger,
    keys,
    dataDir: config.dataDir,
    hubName: config.hubName,
    maxConcurrentActivities: config.maxConcurrentActivities,
    maxConcurrentOrchestrations: config.maxConcurrentOrchestrations,
  });
  // Plays App Service Authentication: principal headers come from users.json tokens, never from the client.
  const door = frontDoor({ dataDir: config.dataDir, logger });
  http.addRequestFilter(door.filter);
  http.addRuntimeHandler(door.authHandler);
  http.addRuntimeHandler(durable.managementHandler());
  http.addRuntimeHandler(eventGridWebhook({ registry: state.registry, invoker, keys, logger }));
  http.addRuntimeHandler(
    adminInvokeHandler({ registry: state.registry, invoker, keys, logger, routePrefix: config.routePrefix }),
  );

  const baseUrl = await http.listen(config.port);
  await durable.start(baseUrl);
  const timers = new TimerScheduler({ registry: state.registry, invoker, logger, dataDir: config.dataDir });
  await invoker.runAppHooks('appStart');
  await timers.start();

  let bridge: BlobEventBridge | undefined;
  if (azurite) {
    bridge = new BlobEventBridge({
      connectionString: azurite.connectionString,
      dataDir: config.dataDir,
      webhookBaseUrl: baseUrl,
      eventGridKey: keys.systemKeys.eventgrid_extension,
      subscriptions: loadBridgeSubscriptions(config.appDir, config.dataDir, state.registry),
      logger,
    });
    await bridge.start();
  }

  printFunctionList(logger, state, http, baseUrl);
  logger.info(
    `Durable management API: ${baseUrl}/runtime/webhooks/durabletask/instances?code=<durabletask_extension key>`,
  );
  if (azurite) logger.info(`Azurite blob connection string: ${azurite.connectionString}`);
  // Last, so whoever waits for this line (scripts, tests) has everything above it already.
  logger.info(`devhost ready at ${baseUrl}`);

  let stopped = false;
  return {
    config,
    state,
    invoker,
    http,
    keys,
    durable,
    baseUrl,
    azurite,
    async stop() {
      if (stopped) return;
      stopped = true;
      await bridge?.stop();
      await timers.stop();
      await http.close();
      await durable.stop();
      await invoker.runAppHooks('appTerminate').catch((err: unknown) => logger.error(`appTerminate: ${String(err)}`));
      await azurite?.stop();
    },
  };
}

function printFunctionList(logger: Logger, state: HostState, http: HttpHost, baseUrl: string) {
  const lines = ['Functions:'];
  for (const fn of state.registry.all().sort((a, b) => a.name.localeCompare(b.name))) {
    const type = fn.trigger.type;
    if (type === 'httpTrigger') {
      const methods = (fn.trigger as { methods?: string[] }).methods?.join(',') ?? 'ALL';
      lines.push(`        ${fn.name}: [${methods}] ${http.routeUrl(fn)}`);
    } else if (type === 'eventGridTrigger') {
      lines.push(`        ${fn.name}: eventGridTrigger ${eventGridWebhookUrl(baseUrl, fn.name)}`);
    } else if (type === 'timerTrigger') {
      lines.push(`        ${fn.name}: timerTrigger (${String((fn.trigger as { schedule?: string }).schedule)})`);
    } else {
      lines.push(`        ${fn.name}: ${type}`);
    }
  }
  logger.info(lines.join('\n'));
}
