/**
 * Just enough of Bicep's syntax to read this repository's infra/ files as text (there is no Bicep compiler on the
 * build machines): comments, single-quoted strings, nested braces and brackets, and newline-separated members. It
 * reads the files as they are written here, not every Bicep file there could be.
 */

/** Removes `//` comments outside strings (Bicep strings are single-quoted; `\'` escapes a quote). */
export function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === "'") inString = false;
    } else if (c === "'") {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

const opening = new Set(['{', '[', '(']);
const closing = new Set(['}', ']', ')']);

/** The balanced `{…}`, `[…]` or `(…)` starting at `start`, brackets included. */
export function balanced(text: string, start: number): string {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === "'") inString = false;
    } else if (c === "'") inString = true;
    else if (opening.has(c)) depth++;
    else if (closing.has(c) && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error(`unbalanced brackets from offset ${start}`);
}

/** The members of a `{…}` or `[…]` literal, one per top-level line (Bicep separates members by newlines). */
export function members(literal: string): string[] {
  const body = literal.slice(1, -1);
  const items: string[] = [];
  let depth = 0;
  let inString = false;
  let current = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (inString) {
      if (c === '\\') current += c + (body[++i] ?? '');
      else {
        if (c === "'") inString = false;
        current += c;
      }
      continue;
    }
    if (c === "'") inString = true;
    else if (opening.has(c)) depth++;
    else if (closing.has(c)) depth--;
    if ((c === '\n' || c === ',') && depth === 0) {
      if (current.trim()) items.push(current.trim());
      current = '';
    } else current += c;
  }
  if (current.trim()) items.push(current.trim());
  return items;
}

/** An object literal's properties: name → the value's source text. */
export function properties(objectLiteral: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const member of members(objectLiteral)) {
    if (/^resource\s/.test(member)) continue; // a nested resource declaration, not a property
    const match = /^('[^']*'|[A-Za-z_$][\w$-]*)\s*:\s*([\s\S]*)$/.exec(member);
    if (!match) throw new Error(`not an object property: ${member}`);
    result.set(match[1]!.replace(/^'|'$/g, ''), match[2]!.trim());
  }
  return result;
}

/** A property's value by a dotted path through nested object literals; undefined when absent. */
export function property(objectLiteral: string, dottedPath: string): string | undefined {
  let current: string | undefined = objectLiteral;
  for (const key of dottedPath.split('.')) {
    if (current === undefined || !current.startsWith('{')) return undefined;
    current = properties(current).get(key);
  }
  return current;
}

/** The value of a plain string literal without interpolation; undefined for any other expression. */
export function stringLiteral(expression: string | undefined): string | undefined {
  const match = expression === undefined ? null : /^'((?:[^'\\$]|\\.|\$(?!\{))*)'$/.exec(expression);
  return match ? match[1]!.replace(/\\(.)/g, '$1') : undefined;
}

/** The items of an array literal. */
export function arrayItems(arrayLiteral: string | undefined): string[] {
  if (arrayLiteral === undefined || !arrayLiteral.startsWith('[')) return [];
  return members(arrayLiteral);
}

export interface BicepResource {
  symbol: string;
  /** e.g. `Microsoft.Authorization/roleAssignments`, without the API version. */
  type: string;
  apiVersion: string;
  /** The text of `if (…)` between `=` and the body, '' when unconditional. */
  condition: string;
  body: string;
}

/** Every `resource` declaration (nested ones too), with its body. */
export function resources(text: string): BicepResource[] {
  const source = stripComments(text);
  const found: BicepResource[] = [];
  const declaration = /^\s*resource\s+(\w+)\s+'([^'@]+)@([^']+)'\s+(?:existing\s+)?=\s*/gm;
  for (let match = declaration.exec(source); match; match = declaration.exec(source)) {
    // The body: an object, or a `[for …: {…}]` loop.
    const after = match.index + match[0].length;
    const bodyStart = after + source.slice(after).search(/[{[]/);
    const between = source.slice(after, bodyStart).trim();
    const condition = /^if\s*\(/.test(between) ? between : '';
    found.push({
      symbol: match[1]!,
      type: match[2]!,
      apiVersion: match[3]!,
      condition,
      body: balanced(source, bodyStart),
    });
  }
  return found;
}

/** A top-level `var` whose value starts with `{` or `[`: its literal; otherwise its source text up to the line end. */
export function variable(text: string, name: string): string | undefined {
  const source = stripComments(text);
  const match = new RegExp(`^var\\s+${name}\\s*=\\s*`, 'm').exec(source);
  if (!match) return undefined;
  const start = match.index + match[0].length;
  const first = source[start];
  return first === '{' || first === '['
    ? balanced(source, start)
    : source.slice(start, source.indexOf('\n', start)).trim();
}

export interface BicepParam {
  type: string;
  /** The default's source text, undefined without one. */
  defaultValue?: string;
}

/** Every top-level `param`. */
export function params(text: string): Map<string, BicepParam> {
  const result = new Map<string, BicepParam>();
  const declaration = /^param\s+(\w+)\s+(\w+)(?:\s*=\s*(.+))?$/gm;
  const source = stripComments(text);
  for (let match = declaration.exec(source); match; match = declaration.exec(source)) {
    result.set(match[1]!, { type: match[2]!, ...(match[3] ? { defaultValue: match[3].trim() } : {}) });
  }
  return result;
}

export interface BicepModule {
  symbol: string;
  path: string;
  condition: string;
  params: Map<string, string>;
}

/** Every `module` declaration of a file, with its params' source text. */
export function modules(text: string): BicepModule[] {
  const source = stripComments(text);
  const found: BicepModule[] = [];
  const declaration = /^module\s+(\w+)\s+'([^']+)'\s*=\s*/gm;
  for (let match = declaration.exec(source); match; match = declaration.exec(source)) {
    const bodyStart = source.indexOf('{', match.index + match[0].length);
    const between = source.slice(match.index + match[0].length, bodyStart).trim();
    const body = balanced(source, bodyStart);
    found.push({
      symbol: match[1]!,
      path: match[2]!,
      condition: /^if\s*\(/.test(between) ? between : '',
      params: properties(property(body, 'params') ?? '{}'),
    });
  }
  return found;
}

/** Every top-level `output`: name → its value's source text. */
export function outputs(text: string): Map<string, string> {
  const result = new Map<string, string>();
  const declaration = /^output\s+(\w+)\s+\w+\s*=\s*(.+)$/gm;
  const source = stripComments(text);
  for (let match = declaration.exec(source); match; match = declaration.exec(source)) {
    result.set(match[1]!, match[2]!.trim());
  }
  return result;
}
