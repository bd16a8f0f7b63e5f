import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { BlobHealthProbe } from '../adapters/blob/blobHealthProbe';
import { connectionSettingNames } from '../adapters/blob/storageConnection';
import { services } from '../adapters/composition';
import { pingProbe, runHealthChecks, type HealthProbe } from '../shared/ports/healthProbe';
import { appSettings } from '../shared/settings';
import { appVersion } from './http/appVersion';

/** Each check gets this long; a dependency that is slower than this is not healthy enough to serve requests. */
const checkTimeoutMs = 2_000;
const version = appVersion();

// Built on first use, not at load: the host (devhost, Azure) sets AzureWebJobsStorage before requests arrive.
let blobProbe: { connection: string; probe: BlobHealthProbe } | undefined;

function currentBlobProbe(): BlobHealthProbe {
  const connection = connectionSettingNames('AzureWebJobsStorage')
    .map((name) => process.env[name] ?? '')
    .join('\n');
  if (!blobProbe || blobProbe.connection !== connection) {
    blobProbe = { connection, probe: new BlobHealthProbe(process.env) };
  }
  return blobProbe.probe;
}

// The label store the app is configured with (SQLite or Cosmos DB, see adapters/composition.ts).
const storeProbe = pingProbe('store', () => services().store);

/** Whether callers can be identified: on Azure that needs App Service Authentication (see http/principal.ts). */
export const easyAuthOffMessage =
  'App Service Authentication is off (WEBSITE_AUTH_ENABLED is not True): caller identities cannot be trusted, so ' +
  'every API call is refused with 401. Turn on Authentication with "Allow unauthenticated requests".';

const authProbe: HealthProbe = {
  name: 'auth',
  async check() {
    const { auth } = appSettings();
    if (auth.trustPrincipalHeaders) return { ok: true, kind: auth.onAzure ? 'app-service-auth' : 'devhost' };
    return { ok: false, kind: 'app-service-auth', error: easyAuthOffMessage };
  },
};

if (!appSettings().auth.trustPrincipalHeaders) console.warn(`ML Assist Labeling: ${easyAuthOffMessage}`);

/**
 * `GET /api/health`: version, uptime and whether the app's dependencies answer. 200 when every check passes,
 * 503 otherwise, so load balancers and uptime monitors can use the status code alone.
 */
export async function health(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const report = await runHealthChecks([currentBlobProbe(), storeProbe, authProbe], checkTimeoutMs);
  const ok = report.status === 'ok';
  return {
    status: ok ? 200 : 503,
    headers: { 'cache-control': 'no-store' },
    jsonBody: {
      status: report.status,
      version,
      uptimeSeconds: Math.floor(process.uptime()),
      checks: report.checks,
    },
  };
}

app.http('health', { methods: ['GET'], authLevel: 'anonymous', route: 'api/health', handler: health });
