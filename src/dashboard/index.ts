// The operator's dashboard room: the routes a worker serves, and the figures
// the primary assembles for it.
export { registerDashboardRoutes, TOKEN_PROTOCOL_PREFIX } from './dashboard-routes';
export type { DashboardFeed } from './dashboard-feed';
export { DashboardSnapshots } from './dashboard-snapshot';
