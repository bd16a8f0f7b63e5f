import { hasStorageConnection } from '../../adapters/blob/storageConnection';
import type { FieldError } from './problem';

/** Looks up an app setting by name; injectable so the rule can be checked without touching process.env. */
export type AppSettingLookup = (name: string) => string | undefined;

const fromProcessEnv: AppSettingLookup = (name) => process.env[name];

/**
 * A project's `dataset.connectionSetting` must name a storage connection this app has (the default
 * `AzureWebJobsStorage` too): a connection string, or an identity-based one (`NAME__accountName`, `__blobServiceUri`). Accepting a name that does not exist would store a project whose every blob read fails later, in a backfill
 * or an event, far from the request that caused it. An empty value counts as missing, as the blob gateway sees it.
 */
export function connectionSettingIssue(
  settingName: string,
  lookup: AppSettingLookup = fromProcessEnv,
): FieldError | undefined {
  if (hasStorageConnection(settingName, lookup)) return undefined;
  return {
    field: 'dataset.connectionSetting',
    message:
      `app setting '${settingName}' does not exist in this app; set it to a storage connection string first ` +
      `(or ${settingName}__accountName / ${settingName}__blobServiceUri for an identity-based connection)`,
  };
}
