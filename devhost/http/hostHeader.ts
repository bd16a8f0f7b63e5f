/**
 * The request's URL, built only from a Host header that is a plain `host[:port]`.
 *
 * devhost hands this URL to functions (`request.url`, from which durable-functions builds the management links of
 * createCheckStatusResponse) and builds its own links from it, so a Host such as `localhost@evil.example` or
 * `localhost/x` must never get that far: WHATWG URL parsing would read the first as userinfo plus host `evil.example`.
 */

/** One DNS label (underscores allowed: container and compose names use them). */
const label = '[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?';
/** A registered name or IPv4 address, or a bracketed IPv6 literal, then an optional port. */
const hostAndPort = new RegExp(`^(?:${label}(?:\\.${label})*\\.?|\\[[0-9A-Fa-f:.]+\\])(?::(\\d{1,5}))?$`);

export function isWellFormedHost(value: string): boolean {
  const match = hostAndPort.exec(value);
  if (!match) return false;
  const port = match[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return false;
  // The pattern lets through bracketed text that is no IPv6 address ([1:2:3]); the URL parser knows exactly.
  return URL.canParse(`http://${value}/`);
}

/**
 * The absolute URL of a request, or undefined when it must be refused with 400: a malformed Host, or a target that
 * is not a path (absolute-form or `*`), since only the checked Host may supply the authority. An absent Host (only
 * HTTP/1.0 may omit it; Node refuses HTTP/1.1 without one) falls back to devhost's own address.
 */
export function requestUrl(target: string, host: string | undefined, ownHost: string): URL | undefined {
  if (!target.startsWith('/')) return undefined;
  const authority = host ?? ownHost;
  if (!isWellFormedHost(authority)) return undefined;
  // Prefixing the authority keeps a target such as `//evil.example/x` a path; resolved against a base URL, the
  // WHATWG parser would read it as a scheme-relative URL and take its host.
  const absolute = `http://${authority}${target}`;
  return URL.canParse(absolute) ? new URL(absolute) : undefined;
}
