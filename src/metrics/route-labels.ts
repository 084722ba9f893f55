// Names each route's requests by the pattern it was registered under
// ("POST /api/sales/:id/purchases"), without touching each registration:
// the app is wrapped, and a handler that wants its pattern is told it.
import type { TemplatedApp } from 'uWebSockets.js';

const SET_ROUTE = Symbol('spike.setRoute');
const METHODS = ['get', 'post', 'put', 'del', 'patch', 'options', 'head', 'any'] as const;

/** Marks a handler as wanting to know the pattern it is registered under. */
export function routeLabelSetter<T extends object>(handler: T, setRoute: (route: string) => void): T {
  (handler as { [SET_ROUTE]?: (route: string) => void })[SET_ROUTE] = setRoute;
  return handler;
}

/** The app, except that registering a route tells its handler "METHOD pattern" ("ANY" for app.any, "DELETE" for app.del). */
export function labellingApp(app: TemplatedApp): TemplatedApp {
  const labelled = new Proxy(app, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (!(METHODS as readonly (string | symbol)[]).includes(property)) return value.bind(target);
      const method = property === 'del' ? 'DELETE' : String(property).toUpperCase();
      return (pattern: string, handler: { [SET_ROUTE]?: (route: string) => void }) => {
        handler?.[SET_ROUTE]?.(`${method} ${pattern}`);
        value.call(target, pattern, handler);
        return labelled;
      };
    },
  });
  return labelled;
}
