import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { appVersion } from '../appVersion';
import { registerSecuritySchemes } from './components';
import { registerDashboard } from './dashboard';
import { registerExports } from './exports';
import { registerImports } from './imports';
import { registerLabeling } from './labeling';
import { registerMembers } from './members';
import { registerOperations } from './operations';
import { registerProjects } from './projects';
import { registerPublic } from './public';
import { registerTraining } from './training';

/**
 * Every area of the HTTP API, each registering its routes with the zod schemas its triggers validate with. A new
 * endpoint adds its entry to its area (or a new area here); tests/api/openapi.test.ts fails while a registered route
 * is missing from the document or the document names a route the app does not have.
 */
const areas = [
  registerPublic,
  registerProjects,
  registerImports,
  registerExports,
  registerMembers,
  registerLabeling,
  registerTraining,
  registerDashboard,
  registerOperations,
];

let cached: ReturnType<OpenApiGeneratorV31['generateDocument']> | undefined;

/** The OpenAPI 3.1 document, generated once per process. */
export function openApiDocument() {
  if (cached) return cached;
  const registry = new OpenAPIRegistry();
  registerSecuritySchemes(registry);
  for (const register of areas) register(registry);
  cached = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'ML Assist Labeling',
      version: appVersion(),
      description:
        'ML-assisted image labeling on Azure Functions. Errors are RFC 9457 `application/problem+json`. Paths are ' +
        'relative to the Function App (`https://<app>.azurewebsites.net`, or `http://localhost:7071` on devhost). ' +
        'See docs/api.md.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'projects', description: 'Projects, their images and backfill (admin)' },
      { name: 'members', description: 'Who labels a project (admin)' },
      { name: 'labeling', description: 'Batches, annotations and skips (labelers who are members, admins)' },
      { name: 'ml-assist', description: 'Training runs and prelabels' },
      { name: 'dashboard', description: 'Progress, ML Assist state and labeler performance' },
      { name: 'operations', description: 'Health, this document, durable instances' },
    ],
  });
  return cached;
}
