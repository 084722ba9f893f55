// What the dashboard's routes need from the primary, in a file of its own:
// the HTTP layer's route context names it without importing the routes.
export interface DashboardFeed {
  /** The cluster's figures as JSON text (src/dashboard/dashboard-snapshot.ts), from the primary; fresh skips its cache. */
  snapshot(fresh?: boolean): Promise<string>;
  /** Called with a function that pushes at once: the primary nudges when a worker goes down or comes up. */
  onNudge?(push: () => void): void;
}
