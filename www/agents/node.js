// The package's entry in Node (package.json "exports" → "." and "./agents", condition "node"):
// loads the JavaScript API's wasm (www/pkg) synchronously on import, so importing the package is
// all the set-up there is.
import { readFileSync } from 'node:fs';
import { initSync } from '../pkg/consensus_playground.js';

initSync({ module: readFileSync(new URL('../pkg/consensus_playground_bg.wasm', import.meta.url)) });

export { ConsensusTrait, createConsensusTrait, EVENTS, MECHANISM_NAMES } from './consensus-trait.js';
export { connectBroadcastChannel, connectPorts, meshPorts } from './transports.js';
export { FencedResource } from './fencing.js';
export { createConsensus } from '../pkg/consensus_playground.js';
