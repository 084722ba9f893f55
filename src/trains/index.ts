// Trains (issue 17): seats sold per segment between stations. The room's one
// entry: the worker's keeper and gate, and the HTTP routes.
export { TrainKeeper, AVAILABILITY_TTL_MS, type TrainStats } from './train-keeper';
export { TrainGate, type TrainGateShare } from './train-gate';
export { registerTrainRoutes } from './train-routes';
