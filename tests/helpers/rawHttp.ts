import http from 'node:http';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface RawRequest {
  method: string;
  /** Sent as is on the request line: a path (`/api/…`) or a hostile `//other.example/api/…`. */
  target: string;
  headers?: Record<string, string>;
  /** Written with `Transfer-Encoding: chunked` and no Content-Length, as streaming clients send bodies. */
  chunkedBody?: string;
}

/**
 * One request through node:http rather than fetch, which decides the framing and the Host header itself: these tests
 * need a chunked body without Content-Length, or a Host header of the caller's choosing.
 */
export function rawRequest(baseUrl: string, r: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, method: r.method, path: r.target, headers: r.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (r.chunkedBody !== undefined) {
      req.setHeader('transfer-encoding', 'chunked');
      // An empty chunked body is just the terminating zero-length chunk.
      if (r.chunkedBody) req.write(r.chunkedBody);
    }
    req.end();
  });
}
