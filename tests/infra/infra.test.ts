import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStorageConnection } from '../../adapters/blob/storageConnection';
import { azureRoles, type AzureRole, type RolePrincipal, type RoleScope } from '../../adapters/azureRoles';
import { containerDefinitions, projectDataContainerId, projectsContainerId } from '../../adapters/cosmos/containers';
import { parseSettings, settingDocs, settingNames } from '../../shared/settings';
import {
  arrayItems,
  modules,
  outputs,
  params,
  properties,
  property,
  resources,
  stringLiteral,
  stripComments,
  variable,
  type BicepResource,
} from './bicepText';

/**
 * The infrastructure (infra/, azure.yaml) read as text against the app's contracts: its settings, the roles its data
 * access needs, its Cosmos containers, its authentication model and its Event Grid trigger. Nothing here compiles or
 * deploys Bicep (no Bicep CLI or Azure access on the build machines): it catches drift between the code and the
 * templates, not template errors Azure would report.
 */

const root = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const bicepFiles = (readdirSync(path.join(root, 'infra'), { recursive: true }) as string[])
  .filter((f) => f.endsWith('.bicep'))
  .map((f) => path.join('infra', f).split(path.sep).join('/'))
  .sort();
const main = read('infra/main.bicep');
const mainParams = params(main);
const mainModules = modules(main);

type SettingName = (typeof settingNames)[number];

/**
 * The app's settings that infra/ does not set, each with why: all are optional (settingDocs), and their defaults or
 * the platform's values are what Azure needs.
 */
const leftAtDefault: Partial<Record<SettingName, string>> = {
  COSMOS_KEY: 'the account has key auth off (disableLocalAuth): the app signs in with its managed identity',
  COSMOS_ALLOW_INSECURE_TLS: 'only for a local emulator with a self-signed certificate',
  LABEL_STORE_PATH: 'the embedded SQLite store is for local runs; on Azure the store is Cosmos DB',
  DATA_DIR: 'local state (SQLite store) only; unused with Cosmos DB',
  AzureWebJobsStorage:
    'no connection string: the identity-based AzureWebJobsStorage__accountName/__credential/__clientId instead (checked below)',
  BACKFILL_PAGE_SIZE: 'tuning; the default suits containers of COCO size',
  BACKFILL_CHECK_PAGE_SIZE: 'tuning; default',
  BACKFILL_CHECK_CONCURRENCY: 'tuning; default',
  RECONCILE_SCHEDULE: 'the default five-minute reconcile timer',
  COUNTER_RECOUNT_MINUTES: 'the default hourly counter repair',
  TRAINING_POLL_SCHEDULE: 'the default one-minute training poll',
  LOCAL_TRAINER_EPOCHS: 'the built-in CPU trainer; Azure trains on Azure ML (TRAINING_BACKEND=azureml)',
  LOCAL_TRAINER_INPUT_SIZE: 'the built-in CPU trainer only',
  LOCAL_TRAINER_WORKERS: 'the built-in CPU trainer only',
  AZUREML_TRAINING_MODE: 'AutoML by default; command mode is a choice for a user with their own training script',
  AZUREML_SCORING_ENVIRONMENT: 'the curated AutoML vision environment (the default) loads AutoML models',
  AZUREML_COMMAND_ENVIRONMENT: 'command mode only',
  AZUREML_COMMAND_CODE: 'command mode only',
  AZUREML_COMMAND: 'command mode only',
  WEBSITE_INSTANCE_ID: 'set by the platform on every instance',
  WEBSITE_AUTH_ENABLED: 'set by the platform (True) when App Service Authentication (authsettingsV2) is on',
};

/** Settings the app needs on Azure, beyond what parseSettings alone insists on. */
const requiredOnAzure: SettingName[] = [
  'COSMOS_ENDPOINT',
  'COSMOS_DATABASE',
  'TRAINING_BACKEND',
  'TRAINING_CONTAINER',
  'AZUREML_SUBSCRIPTION_ID',
  'AZUREML_RESOURCE_GROUP',
  'AZUREML_WORKSPACE',
  'AZUREML_COMPUTE',
  'AZUREML_VM_SIZE',
  'AZUREML_MAX_NODES',
  'AZUREML_TRAINING_DATASTORE',
  'AZUREML_IMAGES_DATASTORE',
];

/** App settings infra/ may set that are not the app's own: the platform's, and identity-based connections. */
const platformSetting =
  /^(APPLICATIONINSIGHTS_(CONNECTION|AUTHENTICATION)_STRING|DURABLE_TASK_SCHEDULER_CONNECTION_STRING|TASKHUB_NAME|AzureWebJobsDisableHomepage)$/;
const connectionSetting = /^(\w+?)__(accountName|blobServiceUri|serviceUri|credential|clientId)$/;

const appSettingsLiteral = variable(main, 'appSettings')!;
const appSettings = properties(appSettingsLiteral);

/** A value for an app setting expression: the literal, a param's literal default, or a placeholder of the right kind. */
function placeholder(name: string, expression: string): string {
  const literal = stringLiteral(expression);
  if (literal !== undefined) return literal;
  // A param's default or a var's value, as is or through string().
  const symbol = /^(?:string\()?(\w+)\)?$/.exec(expression)?.[1];
  const value = symbol ? (mainParams.get(symbol)?.defaultValue ?? variable(main, symbol)) : undefined;
  if (value !== undefined && (stringLiteral(value) !== undefined || /^\d+$/.test(value))) {
    return stringLiteral(value) ?? value;
  }
  if (/(ENDPOINT|Uri)$/.test(name)) return 'https://placeholder.example.net/';
  if (name === 'AZUREML_SUBSCRIPTION_ID') return '00000000-0000-0000-0000-000000000000';
  return 'placeholder-name';
}

const azureEnvironment: Record<string, string> = {
  ...Object.fromEntries([...appSettings].map(([name, expression]) => [name, placeholder(name, expression)])),
  WEBSITE_INSTANCE_ID: 'placeholder-instance',
  WEBSITE_AUTH_ENABLED: 'True',
};

describe('infra: app settings (shared/settings.ts is the contract)', () => {
  it('sets every app setting, or leaves it at its default for a stated reason', () => {
    const unaccounted = settingNames.filter((name) => !appSettings.has(name) && leftAtDefault[name] === undefined);
    expect(unaccounted, 'settings neither set in infra/main.bicep appSettings nor listed in leftAtDefault').toEqual([]);
    for (const name of Object.keys(leftAtDefault) as SettingName[]) {
      expect(settingNames, `leftAtDefault names an unknown setting ${name}`).toContain(name);
      expect(settingDocs[name].optional, `${name} is left at its default, so it must be optional`).toBe(true);
      expect(appSettings.has(name), `${name} is both set and listed as left at default`).toBe(false);
    }
  });

  it('sets the settings Azure needs: Cosmos DB, Azure ML training, identity-based storage', () => {
    for (const name of requiredOnAzure) expect(appSettings.has(name), `${name} is not set`).toBe(true);
    expect(stringLiteral(appSettings.get('TRAINING_BACKEND'))).toBe('azureml');
    expect(stringLiteral(appSettings.get('AzureWebJobsStorage__credential'))).toBe('managedidentity');
    expect(appSettings.get('AzureWebJobsStorage__accountName')).toBe('storage.outputs.hostStorageAccountName');
    expect(appSettings.get('AzureWebJobsStorage__clientId')).toBe('identity.outputs.clientId');
    expect(appSettings.get('COSMOS_ENDPOINT')).toBe('cosmos.outputs.endpoint');
    expect(appSettings.get('AZUREML_SUBSCRIPTION_ID')).toBe('subscription().subscriptionId');
    expect(appSettings.get('AZUREML_RESOURCE_GROUP')).toBe('rg.name');
    expect(appSettings.has('COSMOS_KEY')).toBe(false);
  });

  it('sets nothing the app or the platform does not read (catches misspelt names)', () => {
    for (const name of appSettings.keys()) {
      const known =
        (settingNames as string[]).includes(name) || platformSetting.test(name) || connectionSetting.test(name);
      expect(known, `app setting ${name} is read by nobody`).toBe(true);
    }
    // FUNCTIONS_WORKER_RUNTIME is deprecated on Flex Consumption: the runtime is functionAppConfig.runtime.
    for (const file of bicepFiles) expect(stripComments(read(file))).not.toMatch(/FUNCTIONS_WORKER_RUNTIME/);
  });

  it('turns the Functions homepage off: the web app is served at / (functions/webApp.ts)', () => {
    expect(stringLiteral(appSettings.get('AzureWebJobsDisableHomepage'))).toBe('true');
  });

  it('parseSettings accepts the settings as Azure would give them (with Easy Auth on)', () => {
    const settings = parseSettings(azureEnvironment);
    expect(settings.store).toMatchObject({ kind: 'cosmos', createMissing: false, databaseId: 'mlassist' });
    expect(settings.training.backend).toMatchObject({
      kind: 'azureml',
      compute: 'gpu-cluster',
      vmSize: 'Standard_NC4as_T4_v3',
      maxNodes: 4,
    });
    expect(settings.training.container).toBe('training');
    expect(settings.auth).toEqual({ onAzure: true, easyAuthEnabled: true, trustPrincipalHeaders: true });
    // The infra defaults are the app's own defaults.
    expect(stringLiteral(mainParams.get('cosmosDatabaseName')?.defaultValue)).toBe(settingDocs.COSMOS_DATABASE.default);
    expect(stringLiteral(mainParams.get('trainingContainerName')?.defaultValue)).toBe(
      settingDocs.TRAINING_CONTAINER.default,
    );
    expect(stringLiteral(mainParams.get('gpuVmSize')?.defaultValue)).toBe(settingDocs.AZUREML_VM_SIZE.default);
    expect(mainParams.get('gpuMaxNodes')?.defaultValue).toBe(settingDocs.AZUREML_MAX_NODES.default);
  });

  it('gives projects an identity-based images connection named by the IMAGES_CONNECTION_SETTING output', () => {
    const setting = stringLiteral(variable(main, 'imagesConnectionSetting'))!;
    expect(outputs(main).get('IMAGES_CONNECTION_SETTING')).toBe('imagesConnectionSetting');
    const lookup = (name: string) => azureEnvironment[name];
    expect(hasStorageConnection(setting, lookup)).toBe(true);
    expect(stringLiteral(appSettings.get(`${setting}__credential`))).toBe('managedidentity');
    expect(appSettings.get(`${setting}__clientId`)).toBe('identity.outputs.clientId');
    expect(appSettings.get(`${setting}__blobServiceUri`)).toBe('storage.outputs.imagesBlobEndpoint');
    // The host's own connection works for the training container and the health probe the same way.
    expect(hasStorageConnection('AzureWebJobsStorage', lookup)).toBe(true);
  });

  it('passes the settings to the Function App', () => {
    const functionApp = mainModules.find((m) => m.path === 'app/functionApp.bicep')!;
    expect(functionApp.params.get('appSettings')).toBe('union(appSettings, durableTaskSchedulerSettings)');
    const config = resources(read('infra/app/functionApp.bicep')).find(
      (r) => r.type === 'Microsoft.Web/sites/config' && stringLiteral(property(r.body, 'name')) === 'appsettings',
    );
    expect(config && property(config.body, 'properties')).toBe('appSettings');
  });
});

// --- Roles ---

interface Assignment {
  file: string;
  symbol: string;
  roleDefinitionId: string;
  principal: RolePrincipal | undefined;
  principalExpression: string;
  scope: RoleScope | undefined;
  scopeExpression: string;
  conditional: boolean;
}

const guidPattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** Who a principalId expression names (the module params main.bicep fills, checked below). */
const principalExpressions: Record<string, RolePrincipal> = {
  appPrincipalId: 'app',
  mlComputePrincipalId: 'mlCompute',
  deployerPrincipalId: 'deployer',
  'systemTopic.identity.principalId': 'eventGridTopic',
};

/** What a scope expression names: the resource symbol it starts with must be declared with this type. */
const scopeExpressions: Record<string, { scope: RoleScope; type: string }> = {
  hostStorage: { scope: 'hostStorage', type: 'Microsoft.Storage/storageAccounts' },
  'hostStorage::blobService::trainingContainer': {
    scope: 'trainingContainer',
    type: 'Microsoft.Storage/storageAccounts',
  },
  'hostStorage::blobService::deadLetterContainer': {
    scope: 'deadLetterContainer',
    type: 'Microsoft.Storage/storageAccounts',
  },
  imagesStorage: { scope: 'imagesStorage', type: 'Microsoft.Storage/storageAccounts' },
  appInsights: { scope: 'appInsights', type: 'Microsoft.Insights/components' },
  workspace: { scope: 'mlWorkspace', type: 'Microsoft.MachineLearningServices/workspaces' },
  scheduler: { scope: 'durableTaskScheduler', type: 'Microsoft.DurableTask/schedulers' },
  'account.id': { scope: 'cosmos', type: 'Microsoft.DocumentDB/databaseAccounts' },
};

function roleDefinitionGuid(file: string, text: string, expression: string): string {
  const literal = guidPattern.exec(expression)?.[0];
  if (literal) return literal.toLowerCase();
  // A var holding the GUID (cosmos.bicep's dataContributorRoleId).
  for (const name of expression.match(/\b[A-Za-z_]\w*\b/g) ?? []) {
    const value = stringLiteral(variable(text, name));
    if (value && guidPattern.test(value)) return value.toLowerCase();
  }
  throw new Error(`${file}: no role definition id in ${expression}`);
}

function assignmentsIn(file: string): Assignment[] {
  const text = read(file);
  const declared = resources(text);
  const moduleOfFile = mainModules.find((m) => `infra/${m.path}` === file);
  const inConditionalModule = moduleOfFile !== undefined && moduleOfFile.condition !== '';
  const isAssignment = (r: BicepResource) =>
    r.type === 'Microsoft.Authorization/roleAssignments' ||
    r.type === 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments';
  return declared.filter(isAssignment).map((r) => {
    const props = property(r.body, 'properties')!;
    const principalExpression = property(props, 'principalId')!;
    const scopeExpression =
      r.type === 'Microsoft.Authorization/roleAssignments' ? property(r.body, 'scope')! : property(props, 'scope')!;
    const scopeInfo = scopeExpressions[scopeExpression];
    const scopeSymbol = scopeExpression.split(/::|\./)[0];
    const scopeResource = declared.find((d) => d.symbol === scopeSymbol);
    return {
      file,
      symbol: r.symbol,
      roleDefinitionId: roleDefinitionGuid(file, text, property(props, 'roleDefinitionId')!),
      principal: principalExpressions[principalExpression],
      principalExpression,
      scope: scopeInfo && scopeResource?.type === scopeInfo.type ? scopeInfo.scope : undefined,
      scopeExpression,
      conditional: r.condition !== '' || inConditionalModule,
    };
  });
}

const assignments = bicepFiles.flatMap(assignmentsIn);
const matches = (role: AzureRole, a: Assignment) =>
  a.roleDefinitionId === role.roleDefinitionId && a.principal === role.principal && a.scope === role.scope;

describe('infra: role assignments (adapters/azureRoles.ts is the contract)', () => {
  it('assigns every role the code needs, to the right principal on the right scope', () => {
    const missing = azureRoles.filter((role) => !assignments.some((a) => matches(role, a)));
    expect(missing.map((r) => `${r.name} for ${r.principal} on ${r.scope}`)).toEqual([]);
  });

  it('assigns nothing else', () => {
    const unlisted = assignments.filter((a) => !azureRoles.some((role) => matches(role, a)));
    expect(
      unlisted.map(
        (a) => `${a.file} ${a.symbol}: ${a.roleDefinitionId} for ${a.principalExpression} on ${a.scopeExpression}`,
      ),
    ).toEqual([]);
  });

  it('makes exactly the optional roles conditional', () => {
    for (const a of assignments) {
      const role = azureRoles.find((r) => matches(r, a));
      if (!role) continue; // reported by 'assigns nothing else'
      expect(a.conditional, `${a.file} ${a.symbol} (${role.name} for ${role.principal})`).toBe(
        role.onlyWhen !== undefined,
      );
    }
  });

  it('lists each role with a real-looking built-in role id and a reason', () => {
    for (const role of azureRoles) {
      expect(role.roleDefinitionId).toMatch(new RegExp(`^${guidPattern.source}$`));
      expect(role.why.length).toBeGreaterThan(10);
    }
    // The same role name always carries the same id.
    const idByName = new Map<string, string>();
    for (const role of azureRoles) {
      expect(idByName.get(role.name) ?? role.roleDefinitionId, role.name).toBe(role.roleDefinitionId);
      idByName.set(role.name, role.roleDefinitionId);
    }
  });

  it('fills the principal params from the identities they are named after', () => {
    const expected: Record<string, string> = {
      appPrincipalId: 'identity.outputs.principalId',
      mlComputePrincipalId: 'machineLearning.outputs.computePrincipalId',
      deployerPrincipalId: 'principalId',
    };
    for (const m of mainModules) {
      for (const [param, value] of m.params) {
        if (expected[param]) expect(value, `${m.symbol}.${param}`).toBe(expected[param]);
      }
    }
    // Every file with role assignments is deployed with its principals filled in.
    for (const file of new Set(assignments.map((a) => a.file))) {
      if (file === 'infra/app/eventGrid.bicep') continue; // the topic's own identity
      expect(
        mainModules.some((m) => `infra/${m.path}` === file),
        `${file} is not a module of main.bicep`,
      ).toBe(true);
    }
    const ml = read('infra/app/machineLearning.bicep');
    expect(outputs(ml).get('computePrincipalId')).toBe("createCompute ? compute.identity.principalId : ''");
  });
});

// --- Cosmos DB ---

describe('infra: Cosmos DB (adapters/cosmos/containers.ts is the contract)', () => {
  const cosmos = read('infra/app/cosmos.bicep');

  it('declares the containers exactly as the adapter creates them', () => {
    const declared: unknown = JSON.parse(read('infra/app/cosmos-containers.json'));
    expect(declared).toEqual(containerDefinitions);
    expect(containerDefinitions.map((c) => c.id)).toEqual([projectsContainerId, projectDataContainerId]);
  });

  it('creates one container per definition, from that file, keeping its id, partition key and indexing policy', () => {
    expect(variable(cosmos, 'containerDefinitions')).toBe("loadJsonContent('cosmos-containers.json')");
    const containers = resources(cosmos).find(
      (r) => r.type === 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers',
    )!;
    const loop = /^\[\s*for\s+(\w+)\s+in\s+containerDefinitions\s*:\s*(\{[\s\S]*\})\s*\]$/.exec(containers.body);
    expect(loop, 'the containers resource loops over containerDefinitions').not.toBeNull();
    const [, item, body] = loop!;
    expect(property(body!, 'name')).toBe(`${item}.id`);
    // The whole definition goes in; only the partition key gains its kind and version.
    const resource = property(body!, 'properties.resource')!.replace(/\s+/g, ' ');
    expect(resource).toBe(
      `union(${item}, { partitionKey: union(${item}.partitionKey, { kind: 'Hash', version: 2 }) })`,
    );
  });

  it('turns key auth off and names the database as the app does', () => {
    const account = resources(cosmos).find((r) => r.type === 'Microsoft.DocumentDB/databaseAccounts')!;
    expect(property(account.body, 'properties.disableLocalAuth')).toBe('true');
    const database = resources(cosmos).find((r) => r.type === 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases')!;
    expect(property(database.body, 'name')).toBe('databaseName');
    const cosmosModule = mainModules.find((m) => m.path === 'app/cosmos.bicep')!;
    expect(cosmosModule.params.get('databaseName')).toBe('cosmosDatabaseName');
    expect(appSettings.get('COSMOS_DATABASE')).toBe('cosmosDatabaseName');
  });
});

// --- App Service Authentication ---

describe('infra: App Service Authentication (docs/auth.md)', () => {
  const functionApp = read('infra/app/functionApp.bicep');
  const auth = resources(functionApp).find(
    (r) => r.type === 'Microsoft.Web/sites/config' && stringLiteral(property(r.body, 'name')) === 'authsettingsV2',
  )!;
  const props = () => property(auth.body, 'properties')!;

  it('signs callers in with Entra ID but lets unauthenticated requests through to the app', () => {
    expect(auth, 'an authsettingsV2 config').toBeDefined();
    expect(property(props(), 'platform.enabled')).toBe('true');
    expect(stringLiteral(property(props(), 'globalValidation.unauthenticatedClientAction'))).toBe('AllowAnonymous');
    expect(property(props(), 'globalValidation.requireAuthentication')).toBe('false');
    expect(property(props(), 'globalValidation.excludedPaths')).toBeUndefined();
    expect(property(props(), 'identityProviders.azureActiveDirectory.enabled')).toBe('true');
    expect(property(props(), 'identityProviders.azureActiveDirectory.registration.clientId')).toBe('authClientId');
    const audiences = arrayItems(
      property(props(), 'identityProviders.azureActiveDirectory.validation.allowedAudiences'),
    );
    expect(audiences).toContain("'api://${authClientId}'");
  });

  it('declares the app roles the app checks, for `az ad app create --app-roles`', () => {
    const appRoles = JSON.parse(read('infra/entra/app-roles.json')) as Array<{ id: string; value: string }>;
    const checked = /knownRoles[^=]*=\s*new Set<AppRole>\(\[([^\]]*)\]\)/.exec(
      read('functions/http/principal.ts'),
    )![1]!;
    const known = [...checked.matchAll(/'(\w+)'/g)].map((m) => m[1]);
    expect(appRoles.map((r) => r.value).sort()).toEqual(known.sort());
    expect(new Set(appRoles.map((r) => r.id)).size).toBe(appRoles.length);
    for (const role of appRoles) expect(role.id).toMatch(new RegExp(`^${guidPattern.source}$`));
  });

  it('is on exactly when an app registration is given', () => {
    expect(auth.condition.replace(/\s+/g, '')).toBe('if(!empty(authClientId))');
    const fn = mainModules.find((m) => m.path === 'app/functionApp.bicep')!;
    expect(fn.params.get('authClientId')).toBe('authClientId');
    expect(mainParams.get('authClientId')?.defaultValue).toBe("''");
    expect(JSON.parse(read('infra/main.parameters.json')).parameters.authClientId.value).toBe('${AUTH_CLIENT_ID}');
  });
});

// --- Event Grid ---

describe('infra: the Event Grid subscription of ingestBlobEvents', () => {
  const file = 'infra/app/eventSubscription.bicep';
  const text = read(file);
  const subscription = resources(text).find((r) => r.type === 'Microsoft.EventGrid/systemTopics/eventSubscriptions')!;
  const props = () => property(subscription.body, 'properties')!;
  const functionName = /app\.eventGrid\('(\w+)'/.exec(read('functions/ingestBlobEvents.ts'))![1]!;

  it('delivers to the eventGrid trigger of functions/ingestBlobEvents.ts through the host webhook', () => {
    expect(functionName).toBe('ingestBlobEvents');
    expect(stringLiteral(property(props(), 'destination.endpointType'))).toBe('WebHook');
    expect(property(props(), 'destination.properties.endpointUrl')).toBe(
      `'https://\${functionApp.properties.defaultHostName}/runtime/webhooks/eventgrid?functionName=${functionName}&code=\${eventGridKey}'`,
    );
    expect(variable(text, 'eventGridKey')).toBe(
      "listKeys('${functionApp.id}/host/default', '2024-04-01').systemKeys.eventgrid_extension",
    );
  });

  it('takes blob creations and deletions in the images container only, whole-blob operations only', () => {
    const filter = property(props(), 'filter')!;
    expect(arrayItems(property(filter, 'includedEventTypes')).map(stringLiteral).sort()).toEqual([
      'Microsoft.Storage.BlobCreated',
      'Microsoft.Storage.BlobDeleted',
    ]);
    expect(property(filter, 'subjectBeginsWith')).toBe("'/blobServices/default/containers/${imagesContainerName}/'");
    const advanced = arrayItems(property(filter, 'advancedFilters'));
    const api = advanced.find((f) => stringLiteral(property(f, 'key')) === 'data.api');
    expect(api, 'an advanced filter on data.api').toBeDefined();
    expect(stringLiteral(property(api!, 'operatorType'))).toBe('StringIn');
    expect(arrayItems(property(api!, 'values')).map(stringLiteral).sort()).toEqual(
      ['PutBlob', 'PutBlockList', 'CopyBlob', 'FlushWithClose', 'DeleteBlob', 'DeleteFile'].sort(),
    );
  });

  it('retries as Event Grid does at most, then dead-letters with the topic identity into eventgrid-deadletter', () => {
    expect(property(props(), 'retryPolicy.maxDeliveryAttempts')).toBe('30');
    expect(property(props(), 'retryPolicy.eventTimeToLiveInMinutes')).toBe('1440');
    const deadLetter = property(props(), 'deadLetterWithResourceIdentity')!;
    expect(stringLiteral(property(deadLetter, 'identity.type'))).toBe('SystemAssigned');
    expect(stringLiteral(property(deadLetter, 'deadLetterDestination.endpointType'))).toBe('StorageBlob');
    expect(property(deadLetter, 'deadLetterDestination.properties.resourceId')).toBe('deadLetterStorage.id');
    expect(property(deadLetter, 'deadLetterDestination.properties.blobContainerName')).toBe('deadLetterContainerName');
    expect(stringLiteral(variable(main, 'deadLetterContainerName'))).toBe('eventgrid-deadletter');
    const topic = resources(read('infra/app/eventGrid.bicep')).find(
      (r) => r.type === 'Microsoft.EventGrid/systemTopics',
    )!;
    expect(stringLiteral(property(topic.body, 'identity.type'))).toBe('SystemAssigned');
    expect(property(topic.body, 'properties.source')).toBe('imagesStorage.id');
  });

  it('is deployed by the postdeploy hooks with every parameter, from outputs main.bicep has', () => {
    const yaml = read('azure.yaml');
    const mainOutputs = outputs(main);
    for (const script of ['infra/hooks/postdeploy.sh', 'infra/hooks/postdeploy.ps1']) {
      expect(yaml).toContain(`run: ./${script}`);
      expect(existsSync(path.join(root, script))).toBe(true);
      const hook = read(script);
      expect(hook).toContain(`--template-file ${file}`);
      for (const param of params(text).keys())
        expect(hook, `${script} passes ${param}`).toMatch(new RegExp(`\\b${param}=`));
      const used = new Set(
        [...hook.matchAll(/\$\{?(?:env:)?([A-Z][A-Z0-9_]+)\}?/g)].map((m) => m[1]!).filter((n) => n !== 'LASTEXITCODE'),
      );
      for (const name of used)
        expect(mainOutputs.has(name), `${script} reads ${name}, not a main.bicep output`).toBe(true);
    }
    expect(yaml).toMatch(/hooks:\s*\n\s+postdeploy:/);
  });
});

// --- The rest of what azd needs ---

describe('infra: azd project and Function App', () => {
  const functionAppText = read('infra/app/functionApp.bicep');
  const site = resources(functionAppText).find((r) => r.type === 'Microsoft.Web/sites')!;
  const plan = resources(functionAppText).find((r) => r.type === 'Microsoft.Web/serverfarms')!;

  it('defines one function service, api, at the repository root, deployed to the resource tagged with its name', () => {
    const yaml = read('azure.yaml').replace(/#.*$/gm, '');
    expect(yaml).toMatch(/services:\s*\n\s+api:\s*\n(\s+\w+:.*\n)*?\s+project: \.\s*\n/);
    expect(yaml).toMatch(/\n\s+host: function\s*\n/);
    expect(yaml).toMatch(/\n\s+language: (ts|js)\s*\n/);
    expect(property(site.body, 'tags')).toBe("union(tags, { 'azd-service-name': 'api' })");
  });

  it('runs Node 22 on Flex Consumption, deploying from host storage with the app identity', () => {
    expect(stringLiteral(property(plan.body, 'sku.name'))).toBe('FC1');
    expect(stringLiteral(property(plan.body, 'sku.tier'))).toBe('FlexConsumption');
    const config = property(site.body, 'properties.functionAppConfig')!;
    expect(stringLiteral(property(config, 'runtime.name'))).toBe('node');
    expect(stringLiteral(property(config, 'runtime.version'))).toBe('22');
    expect(stringLiteral(property(config, 'deployment.storage.authentication.type'))).toBe('UserAssignedIdentity');
    expect(stringLiteral(property(site.body, 'identity.type'))).toBe('UserAssigned');
  });

  it('turns shared keys off on the host and images accounts', () => {
    const storage = read('infra/app/storage.bicep');
    expect(property(variable(storage, 'accountProperties')!, 'allowSharedKeyAccess')).toBe('false');
    const accounts = resources(storage).filter((r) => r.type === 'Microsoft.Storage/storageAccounts');
    expect(accounts.map((a) => property(a.body, 'properties'))).toEqual(['accountProperties', 'accountProperties']);
  });

  it('keeps infra and azd state out of the deployment package', () => {
    const ignored = read('.funcignore')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['infra/', 'azure.yaml', '.azure/']) expect(ignored).toContain(entry);
    expect(read('.gitignore').split('\n')).toContain('.azure/');
  });

  it('gives azd every parameter it substitutes, and only parameters main.bicep has', () => {
    const parameterFile = JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, unknown> };
    for (const name of Object.keys(parameterFile.parameters)) expect(mainParams.has(name), name).toBe(true);
    for (const [name, param] of mainParams) {
      if (param.defaultValue === undefined)
        expect(parameterFile.parameters, `${name} has no value`).toHaveProperty(name);
    }
  });
});
