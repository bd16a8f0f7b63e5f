import type { HttpResponseInit } from '@azure/functions';

/** 202 while the session allocates: a relative status URL for this very request (never built from the Host header). */
export function allocatingResponse(projectId: string, requestId: string): HttpResponseInit {
  const location = `/api/projects/${encodeURIComponent(projectId)}/batches/requests/${encodeURIComponent(requestId)}`;
  return {
    status: 202,
    headers: { location, 'retry-after': '1', 'cache-control': 'no-store' },
    jsonBody: { status: 'allocating', requestId, statusUrl: location },
  };
}
