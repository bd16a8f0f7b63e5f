/**
 * Reads the arrays of a JSON document element by element from a token stream (the tokens of a streaming parser:
 * stream-json's `{name, value}` with packed values), so a file of any size is read holding one element at a time.
 * COCO files are one object whose members `images`, `annotations` and `categories` are arrays, in any order; a COCO
 * results file is itself the array. Members of an element listed in `skip` (COCO's `segmentation`: polygons of
 * hundreds of numbers, or RLE masks) are stepped over token by token and never assembled.
 */

export interface JsonToken {
  name: string;
  value?: string;
}

export interface SectionSink {
  /** An element of the section (any JSON value: checking it is the sink's job). */
  element(section: string, index: number, value: unknown): void;
  /** The section's member is there but is not an array (`found` is the JSON type it is). */
  notArray(section: string, found: string): void;
}

export interface SectionsLayout {
  /** `object`: the sections are members of the top-level object; `array`: the document is the one section `''`. */
  root: 'object' | 'array';
  /** Top-level members read element by element (root `object`); other members are stepped over. */
  sections: readonly string[];
  /** Members of an element never assembled (stepped over), per section. */
  skip?: Readonly<Record<string, readonly string[]>>;
  /** Past this many elements of a section, elements are counted but not assembled (the sink is told by `index`). */
  maxElements?: number;
}

type Frame = { kind: 'object'; value: Record<string, unknown>; key?: string } | { kind: 'array'; value: unknown[] };

const typeOfStart: Record<string, string> = {
  startObject: 'object',
  startArray: 'array',
  stringValue: 'string',
  numberValue: 'number',
  trueValue: 'boolean',
  falseValue: 'boolean',
  nullValue: 'null',
};

/** Feed it tokens in order; `end()` says which sections the document had and whether its root had the right type. */
export class JsonSections {
  readonly #layout: SectionsLayout;
  readonly #sink: SectionSink;
  /** Depth in the document: 0 outside, 1 inside the root, 2 inside a section's array, … */
  #depth = 0;
  #rootType: string | undefined;
  #topKey: string | undefined;
  /** The section whose array we are in (depth ≥ 2 under it), or undefined. */
  #section: string | undefined;
  /** The depth inside the section's array (where its elements start). */
  #sectionDepth = 0;
  #index = 0;
  /** Depth at which skipping a value ends (skipping while defined). */
  #skipUntil: number | undefined;
  /** The element being assembled. */
  #stack: Frame[] = [];
  #elementKey: string | undefined;
  readonly seen = new Set<string>();
  /** Elements per section, including those past `maxElements`. */
  readonly counts: Record<string, number> = {};

  constructor(layout: SectionsLayout, sink: SectionSink) {
    this.#layout = layout;
    this.#sink = sink;
  }

  /** The root's JSON type (`object`, `array`, …), once the document started. */
  get rootType(): string | undefined {
    return this.#rootType;
  }

  push(token: JsonToken): void {
    const { name } = token;
    if (name.startsWith('end')) {
      if (name !== 'endObject' && name !== 'endArray') return; // endString, endNumber, endKey: unpacked parts
      this.#close();
      return;
    }
    if (name === 'startString' || name === 'stringChunk' || name === 'startNumber' || name === 'numberChunk') return;
    if (name === 'startKey' || name === 'endKey') return;
    if (name === 'keyValue') {
      this.#key(token.value!);
      return;
    }
    this.#value(token);
  }

  #key(key: string): void {
    if (this.#skipUntil !== undefined) return;
    if (this.#depth === 1) this.#topKey = key;
    else if (this.#stack.length > 0) {
      const top = this.#stack[this.#stack.length - 1]!;
      if (top.kind === 'object') top.key = key;
      if (this.#stack.length === 1) this.#elementKey = key;
    }
  }

  #opens(name: string) {
    return name === 'startObject' || name === 'startArray';
  }

  #value(token: JsonToken): void {
    const opens = this.#opens(token.name);
    if (this.#skipUntil !== undefined) {
      if (opens) this.#depth++;
      return;
    }
    if (this.#depth === 0) {
      this.#rootType = typeOfStart[token.name];
      if (opens) this.#depth++;
      if (this.#layout.root === 'array' && token.name === 'startArray') this.#enterSection('');
      return;
    }
    if (this.#depth === 1 && this.#layout.root === 'object' && this.#rootType === 'object') {
      const key = this.#topKey;
      const wanted = key !== undefined && this.#layout.sections.includes(key);
      if (wanted) {
        this.seen.add(key);
        if (token.name === 'startArray') {
          this.#depth++;
          this.#enterSection(key);
          return;
        }
        this.#sink.notArray(key, typeOfStart[token.name] ?? 'value');
      }
      if (opens) this.#skip();
      return;
    }
    if (this.#section !== undefined && this.#depth >= this.#sectionDepth) {
      this.#elementValue(token, opens);
      return;
    }
    // Inside a root of the wrong type, or a skipped member: step over.
    if (opens) this.#skip();
  }

  #enterSection(section: string): void {
    this.#section = section;
    this.#sectionDepth = this.#depth;
    this.#index = 0;
    this.counts[section] = 0;
  }

  /** Steps over the value that just opened: depth goes up now and skipping ends when it closes. */
  #skip(): void {
    this.#skipUntil = this.#depth;
    this.#depth++;
  }

  #elementValue(token: JsonToken, opens: boolean): void {
    const section = this.#section!;
    const inElement = this.#stack.length > 0;
    if (!inElement) {
      // A new element starts.
      const over = this.#layout.maxElements !== undefined && this.#index >= this.#layout.maxElements;
      if (over) {
        this.#deliver(undefined, true);
        if (opens) this.#skip();
        return;
      }
      if (!opens) {
        this.#deliver(scalar(token));
        return;
      }
      this.#depth++;
      this.#stack.push(token.name === 'startObject' ? { kind: 'object', value: {} } : { kind: 'array', value: [] });
      this.#elementKey = undefined;
      return;
    }
    const top = this.#stack[this.#stack.length - 1]!;
    if (this.#stack.length === 1 && top.kind === 'object' && this.#elementKey !== undefined) {
      const skip = this.#layout.skip?.[section];
      if (skip?.includes(this.#elementKey)) {
        if (opens) this.#skip();
        return;
      }
    }
    if (opens) {
      this.#depth++;
      const child: Frame = token.name === 'startObject' ? { kind: 'object', value: {} } : { kind: 'array', value: [] };
      this.#attach(top, child.value);
      this.#stack.push(child);
      return;
    }
    this.#attach(top, scalar(token));
  }

  #attach(frame: Frame, value: unknown): void {
    if (frame.kind === 'array') frame.value.push(value);
    // No prototype tricks: `__proto__` is an own member like any other.
    else
      Object.defineProperty(frame.value, frame.key!, { value, enumerable: true, writable: true, configurable: true });
  }

  #close(): void {
    this.#depth--;
    if (this.#skipUntil !== undefined) {
      if (this.#depth === this.#skipUntil) this.#skipUntil = undefined;
      return;
    }
    if (this.#stack.length > 0) {
      const frame = this.#stack.pop()!;
      if (this.#stack.length === 0) this.#deliver(frame.value);
      return;
    }
    // The section's array closed.
    if (this.#section !== undefined && this.#depth < this.#sectionDepth) this.#section = undefined;
  }

  #deliver(value: unknown, over = false): void {
    const section = this.#section!;
    const index = this.#index++;
    this.counts[section] = this.#index;
    if (!over) this.#sink.element(section, index, value);
  }
}

function scalar(token: JsonToken): unknown {
  switch (token.name) {
    case 'stringValue':
      return token.value;
    case 'numberValue':
      return Number(token.value);
    case 'trueValue':
      return true;
    case 'falseValue':
      return false;
    default:
      return null;
  }
}
