/**
 * ASP.NET-style route templates as the Functions host accepts them: literal segments, `{name}`, optional
 * `{name?}`, constraints `{name:int}` / `{name:alpha}` / `{name:guid}` / `{name:bool}`, and a catch-all `{*rest}`.
 */
export interface CompiledRoute {
  readonly template: string;
  match(path: string): Record<string, string> | undefined;
  /**
   * Higher is tried first: ASP.NET Core's inbound route precedence, negated. Segments compare left to right, a
   * literal beats a constrained parameter, which beats a plain one, which beats a catch-all; so `/items/new` beats
   * `/items/{id:int}`, which beats `/items/{slug}`, and `/x/{*rest}` beats `/{a}/{b}/{c}`.
   */
  readonly specificity: number;
}

const constraints: Record<string, RegExp> = {
  int: /^-?\d+$/,
  long: /^-?\d+$/,
  alpha: /^[a-z]+$/i,
  bool: /^(true|false)$/i,
  guid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
  double: /^-?\d+(\.\d+)?$/,
};

interface Segment {
  literal?: string;
  param?: string;
  optional?: boolean;
  catchAll?: boolean;
  constraint?: RegExp;
}

function parseSegment(raw: string, template: string): Segment {
  const m = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?(\?)?\}$/.exec(raw);
  if (!m) {
    if (raw.includes('{') || raw.includes('}')) throw new Error(`Unsupported route segment "${raw}" in "${template}".`);
    return { literal: raw.toLowerCase() };
  }
  const constraint = m[3] ? constraints[m[3]] : undefined;
  if (m[3] && !constraint) throw new Error(`Unsupported route constraint "${m[3]}" in "${template}".`);
  return { param: m[2], catchAll: m[1] === '*', optional: m[4] === '?' || m[1] === '*', constraint };
}

export function compileRoute(template: string): CompiledRoute {
  const segments = template
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => parseSegment(s, template));
  const specificity = -segments.reduce((sum, seg, i) => sum + precedenceDigit(seg) / 10 ** i, 0);
  return {
    template,
    specificity,
    match(path) {
      const parts = path
        .replace(/^\/+|\/+$/g, '')
        .split('/')
        .filter((s) => s.length > 0);
      const params: Record<string, string> = {};
      for (let i = 0; i < segments.length; i++) {
        const seg = segments[i]!;
        if (seg.catchAll) {
          const rest = parts.slice(i);
          if (rest.length === 0) return params;
          const value = rest.map(safeDecode).join('/');
          if (seg.constraint && !seg.constraint.test(value)) return undefined;
          params[seg.param!] = value;
          return params;
        }
        const part = parts[i];
        if (part === undefined) {
          if (seg.optional) continue;
          return undefined;
        }
        if (seg.literal !== undefined) {
          if (safeDecode(part).toLowerCase() !== seg.literal) return undefined;
          continue;
        }
        const value = safeDecode(part);
        if (seg.constraint && !seg.constraint.test(value)) return undefined;
        params[seg.param!] = value;
      }
      return parts.length <= segments.length ? params : undefined;
    },
  };
}

/** ASP.NET Core's RoutePrecedence.ComputeInbound digit: lower matches first. */
function precedenceDigit(seg: Segment): number {
  if (seg.literal !== undefined) return 1;
  const digit = seg.catchAll ? 5 : 3;
  return seg.constraint ? digit - 1 : digit;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
