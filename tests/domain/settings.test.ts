import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSettings, settingDocs, settingNames, SettingsError } from '../../shared/settings';

describe('app settings', () => {
  it('default everything for a bare environment: the embedded SQLite store in .data', () => {
    expect(parseSettings({})).toEqual({
      store: { kind: 'sqlite', file: '.data/labels.db' },
      blob: { defaultConnectionSetting: 'AzureWebJobsStorage' },
      backfill: { listPageSize: 1000, checkPageSize: 500, checkConcurrency: 32 },
      reconcileSchedule: '0 */5 * * * *',
      counterRecountMinutes: 60,
      training: {
        pollSchedule: '*/10 * * * * *',
        container: 'training',
        imagesDatastore: 'mlassist_images',
        backend: { kind: 'local', epochs: 20, inputSize: 160, workers: 1 },
      },
      auth: { onAzure: false, easyAuthEnabled: false, trustPrincipalHeaders: true },
    });
  });

  it('train on Azure ML only with its workspace named, and say which setting is missing', () => {
    expect(() => parseSettings({ TRAINING_BACKEND: 'azureml', AZUREML_WORKSPACE: 'ws' })).toThrow(
      /AZUREML_SUBSCRIPTION_ID is required when TRAINING_BACKEND is azureml.*AZUREML_RESOURCE_GROUP/,
    );
    expect(
      parseSettings({
        TRAINING_BACKEND: 'azureml',
        AZUREML_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000001',
        AZUREML_RESOURCE_GROUP: 'rg-labels',
        AZUREML_WORKSPACE: 'mlw-labels',
        AZUREML_MAX_NODES: '2',
      }).training,
    ).toMatchObject({ pollSchedule: '0 * * * * *' });
    expect(
      parseSettings({
        TRAINING_BACKEND: 'azureml',
        AZUREML_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000001',
        AZUREML_RESOURCE_GROUP: 'rg-labels',
        AZUREML_WORKSPACE: 'mlw-labels',
        AZUREML_MAX_NODES: '2',
      }).training.backend,
    ).toEqual({
      kind: 'azureml',
      subscriptionId: '00000000-0000-0000-0000-000000000001',
      resourceGroup: 'rg-labels',
      workspace: 'mlw-labels',
      compute: 'gpu-cluster',
      vmSize: 'Standard_NC4as_T4_v3',
      maxNodes: 2,
      trainingDatastore: 'mlassist_training',
      imagesDatastore: 'mlassist_images',
      mode: 'automl',
      scoringEnvironment: 'azureml://registries/azureml/environments/automl-dnn-vision-gpu/labels/latest',
    });
    expect(() =>
      parseSettings({
        TRAINING_BACKEND: 'azureml',
        AZUREML_SUBSCRIPTION_ID: 's',
        AZUREML_RESOURCE_GROUP: 'rg',
        AZUREML_WORKSPACE: 'ws',
        AZUREML_TRAINING_MODE: 'command',
      }),
    ).toThrow(/AZUREML_COMMAND_ENVIRONMENT is required when AZUREML_TRAINING_MODE is command/);
    expect(() => parseSettings({ TRAINING_BACKEND: 'gpu' })).toThrow(/TRAINING_BACKEND/);
    expect(() => parseSettings({ TRAINING_CONTAINER: 'Bad_Name' })).toThrow(/TRAINING_CONTAINER/);
  });

  it('on Azure, trust principal headers only with App Service Authentication on', () => {
    const azure = { WEBSITE_INSTANCE_ID: 'abc123', COSMOS_ENDPOINT: 'https://acct.documents.azure.com:443/' };
    expect(parseSettings(azure).auth).toEqual({ onAzure: true, easyAuthEnabled: false, trustPrincipalHeaders: false });
    expect(parseSettings({ ...azure, WEBSITE_AUTH_ENABLED: 'False' }).auth.trustPrincipalHeaders).toBe(false);
    expect(parseSettings({ ...azure, WEBSITE_AUTH_ENABLED: 'True' }).auth.trustPrincipalHeaders).toBe(true);
    expect(parseSettings({ WEBSITE_AUTH_ENABLED: 'False' }).auth.trustPrincipalHeaders).toBe(true); // devhost
  });

  it('choose Cosmos DB when COSMOS_ENDPOINT is set, keyless unless a key is given', () => {
    expect(parseSettings({ COSMOS_ENDPOINT: 'https://acct.documents.azure.com:443/' }).store).toEqual({
      kind: 'cosmos',
      endpoint: 'https://acct.documents.azure.com:443/',
      databaseId: 'mlassist',
      allowInsecureTls: false,
      createMissing: false, // keyless: Entra ID cannot create databases or containers
    });
    expect(
      parseSettings({ COSMOS_ENDPOINT: 'https://x/', COSMOS_KEY: 'k', COSMOS_DATABASE: 'db', DATA_DIR: '/d' }).store,
    ).toMatchObject({ key: 'k', databaseId: 'db', createMissing: true });
    expect(parseSettings({ DATA_DIR: '/var/data/' }).store).toEqual({ kind: 'sqlite', file: '/var/data/labels.db' });
  });

  it('on Azure, refuse to fall back to SQLite silently: COSMOS_ENDPOINT is required', () => {
    expect(() => parseSettings({ WEBSITE_INSTANCE_ID: 'abc123' })).toThrow(
      /App setting COSMOS_ENDPOINT is required on Azure/,
    );
    expect(parseSettings({ WEBSITE_INSTANCE_ID: 'abc123', LABEL_STORE_PATH: '/home/data/labels.db' }).store).toEqual({
      kind: 'sqlite',
      file: '/home/data/labels.db',
    });
  });

  it('stop with an error naming every setting that does not parse', () => {
    const bad = {
      BACKFILL_PAGE_SIZE: '0x10',
      BACKFILL_CHECK_CONCURRENCY: '9999',
      RECONCILE_SCHEDULE: '*/5 * * * *',
      COSMOS_ENDPOINT: 'not a url',
      COSMOS_ALLOW_INSECURE_TLS: 'yes',
    };
    let error: unknown;
    try {
      parseSettings(bad);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SettingsError);
    for (const name of Object.keys(bad)) expect((error as Error).message).toContain(`App setting ${name} `);
  });

  it('document exactly the settings the app reads, and the README lists each of them', () => {
    expect(Object.keys(settingDocs).sort()).toEqual([...settingNames].sort());
    const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    for (const name of settingNames) expect(readme, name).toContain(`\`${name}\``);
  });
});
