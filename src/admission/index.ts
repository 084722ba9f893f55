// The waiting room's one door (issue 14): what the primary runs (the queue
// tick), what a worker serves (joins, places, passes, the live line over a
// WebSocket, the buyer's page), and how a new sale's `admission` is read.
export { parseAdmission } from './admission-spec';
export { QueueTicker, type QueueTickerOptions } from './queue-ticker';
export { WorkerAdmission, type AdmissionSettings } from './worker-admission';
export { QueueSocket, MAX_SUBSCRIPTIONS } from './queue-socket';
export { NodeWatchServer } from './node-watch-server';
export { registerQueueRoutes } from './queue-routes';
export { registerBuyerPage } from './buyer-page';
export { clientAddress } from './client-address';
export { shuffledPlace } from './shuffle';
export { solve, leadingZeroBits, powHash } from './proof-of-work';
