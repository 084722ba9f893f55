// The routes the app serves, by path pattern and method, so a known path
// asked with the wrong method answers 405 with an Allow header (not 404),
// and so that a worker can find a route's handler itself (handoff serves
// handed-over connections in process: src/front/in-process-upstream.ts).
// Route modules register through recordRoutes(app), which records each
// pattern and handler and hands them on to uWS unchanged.
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';

export type Handler = (res: HttpResponse, req: HttpRequest) => void;

/** A route found for a request: its handler and the path's parameter segments, in order. */
export interface RouteMatch {
  readonly handler: Handler;
  readonly parameters: readonly string[];
}
const METHODS = { get: 'GET', post: 'POST', patch: 'PATCH', put: 'PUT', del: 'DELETE' } as const;
type AppMethod = keyof typeof METHODS;
const ORDER: readonly string[] = Object.values(METHODS);

const NO_PARAMETERS: readonly string[] = Object.freeze([]);

export class RouteTable {
  private readonly routes: Array<{ segments: readonly string[]; method: string; handler: Handler | undefined }> = [];
  /**
   * Patterns with no parameter, by method and path: found with two lookups.
   * A pattern that equals the path wins by uWS's rules against any with a
   * parameter (at the first segment where they differ it has the literal), so
   * the scan below is only for paths no literal pattern names. Kept-alive
   * /buy/ticket spent half a microsecond a request in the scan.
   */
  private readonly literals = new Map<string, Map<string, RouteMatch>>();
  private catchAll: Handler | undefined;

  add(method: string, pattern: string, handler?: Handler): void {
    this.routes.push({ segments: pattern.split('/'), method, handler });
    if (handler === undefined || pattern.includes(':') || pattern.includes('*')) return;
    let paths = this.literals.get(method);
    if (paths === undefined) this.literals.set(method, (paths = new Map()));
    // The first route registered for a pattern is the one the scan takes; later ones never win.
    if (!paths.has(pattern)) paths.set(pattern, { handler, parameters: NO_PARAMETERS });
  }

  /**
   * The handler uWS would run for the request, by uWS's rules: a route of the
   * request's method whose pattern matches, a literal segment before a
   * parameter at the first place they differ; else the catch-all (`any('/*')`).
   */
  match(method: string, url: string): RouteMatch | undefined {
    // By method, then path: no key string to build (and hash) per request.
    const literal = this.literals.get(method)?.get(url);
    if (literal !== undefined) return literal;
    const segments = url.split('/');
    let best: { segments: readonly string[]; handler: Handler } | undefined;
    for (const route of this.routes) {
      if (route.method !== method || route.handler === undefined || !matches(route.segments, segments)) continue;
      if (best === undefined || moreLiteral(route.segments, best.segments)) best = { segments: route.segments, handler: route.handler };
    }
    if (best !== undefined) {
      const parameters: string[] = [];
      best.segments.forEach((part, i) => {
        if (part.startsWith(':')) parameters.push(segments[i]!);
      });
      return { handler: best.handler, parameters };
    }
    return this.catchAll === undefined ? undefined : { handler: this.catchAll, parameters: [] };
  }

  setCatchAll(handler: Handler): void {
    this.catchAll = handler;
  }

  /** The methods the path takes, in the order GET, POST, PATCH, PUT, DELETE; empty when no route has this path. */
  allowed(url: string): string[] {
    const segments = url.split('/');
    const methods = new Set<string>();
    for (const route of this.routes) if (matches(route.segments, segments)) methods.add(route.method);
    return ORDER.filter((method) => methods.has(method));
  }
}

/** At the first segment where the two patterns differ, `a` has a literal and `b` a parameter. */
function moreLiteral(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    return !a[i]!.startsWith(':') && b[i]!.startsWith(':');
  }
  return false;
}

/** uWS's pattern rules: ":name" takes one non-empty segment. */
function matches(pattern: readonly string[], path: readonly string[]): boolean {
  if (pattern.length !== path.length) return false;
  return pattern.every((part, i) => (part.startsWith(':') ? path[i] !== '' : part === path[i]));
}

/** The app, with every get/post/patch/put/del recorded in the table before it reaches uWS. */
export function recordRoutes(app: TemplatedApp, table: RouteTable): TemplatedApp {
  const recording = Object.create(null) as Record<string, unknown>;
  for (const name of Object.keys(METHODS) as AppMethod[]) {
    recording[name] = (pattern: string, handler: Handler) => {
      table.add(METHODS[name], pattern, handler);
      app[name](pattern, handler);
      return recording;
    };
  }
  recording.any = (pattern: string, handler: Handler) => {
    if (pattern !== '/*') throw new Error(`any('${pattern}'): only the catch-all any('/*') is supported (the in-process router knows no other)`);
    table.setCatchAll(handler);
    app.any(pattern, handler);
    return recording;
  };
  // WebSocket routes (the dashboard's, the waiting room's) pass through unrecorded: they answer upgrades, not methods.
  recording.ws = (pattern: string, behavior: unknown) => {
    (app.ws as (pattern: string, behavior: unknown) => unknown)(pattern, behavior);
    return recording;
  };
  return recording as unknown as TemplatedApp;
}
