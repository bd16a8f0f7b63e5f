import { app, type HttpResponseInit } from '@azure/functions';
import { openApiDocument } from './http/openapi/document';

/** `GET /api/openapi.json` (anonymous): the OpenAPI 3.1 document of every endpoint, generated from the zod schemas. */
export async function openapiDocument(): Promise<HttpResponseInit> {
  return { status: 200, headers: { 'cache-control': 'public, max-age=300' }, jsonBody: openApiDocument() };
}

app.http('openapiDocument', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/openapi.json',
  handler: openapiDocument,
});
