// The routes the app serves, by path pattern and method, so a known path
// asked with the wrong method answers 405 with an Allow header (not 404).
// Route modules register through recordRoutes(app), which records each
// pattern and hands it on to uWS unchanged.
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';

type Handler = (res: HttpResponse, req: HttpRequest) => void;
const METHODS = { get: 'GET', post: 'POST', patch: 'PATCH', put: 'PUT', del: 'DELETE' } as const;
type AppMethod = keyof typeof METHODS;
const ORDER: readonly string[] = Object.values(METHODS);

export class RouteTable {
  private readonly routes: Array<{ segments: readonly string[]; method: string }> = [];

  add(method: string, pattern: string): void {
    this.routes.push({ segments: pattern.split('/'), method });
  }

  /** The methods the path takes, in the order GET, POST, PATCH, PUT, DELETE; empty when no route has this path. */
  allowed(url: string): string[] {
    const segments = url.split('/');
    const methods = new Set<string>();
    for (const route of this.routes) if (matches(route.segments, segments)) methods.add(route.method);
    return ORDER.filter((method) => methods.has(method));
  }
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
      table.add(METHODS[name], pattern);
      app[name](pattern, handler);
      return recording;
    };
  }
  recording.any = (pattern: string, handler: Handler) => {
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
