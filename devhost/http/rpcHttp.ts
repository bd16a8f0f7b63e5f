import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RpcHttpCookie, RpcHttpData, RpcTypedData } from '../core/coreTypes';

/** Headers as the host forwards them: lower-case names, repeated values joined with ", ". */
export function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export function toRpcHttpRequest(
  method: string,
  url: URL,
  headers: Record<string, string>,
  params: Record<string, string>,
  body: Buffer,
): RpcTypedData {
  // Repeated keys arrive comma-joined, as ASP.NET's StringValues renders them for the worker.
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const http: RpcHttpData = { method, url: url.toString(), headers, query, params };
  if (method !== 'GET' && method !== 'HEAD' && body.length > 0) {
    http.body = isTextual(headers['content-type']) ? { string: body.toString('utf8') } : { bytes: body };
  }
  return { http };
}

function isTextual(contentType: string | undefined): boolean {
  // Without a content type the bytes could be anything; as bytes they still read the same through req.text().
  if (!contentType) return false;
  const t = contentType.toLowerCase();
  return (
    t.startsWith('text/') ||
    t.includes('json') ||
    t.includes('xml') ||
    t.includes('x-www-form-urlencoded') ||
    t.includes('javascript')
  );
}

function bodyBytes(body: RpcTypedData | null | undefined): Buffer {
  if (!body) return Buffer.alloc(0);
  if (body.bytes) return Buffer.from(body.bytes);
  if (body.stream) return Buffer.from(body.stream);
  if (typeof body.string === 'string') return Buffer.from(body.string, 'utf8');
  if (typeof body.json === 'string') return Buffer.from(body.json, 'utf8');
  if (typeof body.int === 'number') return Buffer.from(String(body.int));
  if (typeof body.double === 'number') return Buffer.from(String(body.double));
  return Buffer.alloc(0);
}

function cookieHeader(c: RpcHttpCookie): string {
  const parts = [`${c.name ?? ''}=${c.value ?? ''}`];
  if (c.domain?.value) parts.push(`Domain=${c.domain.value}`);
  if (c.path?.value) parts.push(`Path=${c.path.value}`);
  const seconds = c.expires?.value?.seconds;
  if (typeof seconds === 'number') parts.push(`Expires=${new Date(seconds * 1000).toUTCString()}`);
  if (typeof c.maxAge?.value === 'number') parts.push(`Max-Age=${c.maxAge.value}`);
  if (c.secure?.value) parts.push('Secure');
  if (c.httpOnly?.value) parts.push('HttpOnly');
  // The RPC enum arrives as a number or, from @azure/functions, as its camel-cased name; "none" means "not set".
  const sameSite = { '1': 'Lax', '2': 'Strict', '3': 'None', lax: 'Lax', strict: 'Strict', explicitnone: 'None' }[
    String(c.sameSite).toLowerCase() as '1'
  ];
  if (sameSite) parts.push(`SameSite=${sameSite}`);
  return parts.join('; ');
}

/** Writes the function's HTTP output; a function that returned nothing answers 204 as the host does. */
export function writeRpcHttpResponse(res: ServerResponse, data: RpcTypedData | null | undefined, isHead: boolean) {
  const http = data?.http;
  if (!http) {
    res.writeHead(204).end();
    return;
  }
  const status = Number(http.statusCode ?? 200) || 200;
  const body = bodyBytes(http.body);
  for (const [name, value] of Object.entries(http.headers ?? {})) res.setHeader(name, value);
  const cookies = (http.cookies ?? []).map(cookieHeader);
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  if (!res.hasHeader('content-type') && body.length > 0) res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.setHeader('content-length', body.length);
  res.writeHead(status);
  res.end(isHead ? undefined : body);
}
