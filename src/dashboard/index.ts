// The operator's dashboard room: the routes a worker serves, and the figures
// the primary assembles for it.
export { registerDashboardRoutes, TOKEN_PROTOCOL_PREFIX, type DashboardFeed } from './dashboard-routes';
export { DashboardSnapshots } from './dashboard-snapshot';
