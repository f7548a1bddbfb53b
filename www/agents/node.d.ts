export * from './consensus-trait.js';
export { createConsensus } from '../pkg/consensus_playground.js';
export * from './transports.js';
export * from './fencing.js';
