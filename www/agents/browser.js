// The agents' entry in browsers without a bundler (package.json "exports" → "./agents", or an
// import map naming this file): fetches the JavaScript API's wasm (www/pkg, next to this folder)
// by top-level await on import, so importing it is all the set-up there is.
import init from '../pkg/consensus_playground.js';

await init({ module_or_path: new URL('../pkg/consensus_playground_bg.wasm', import.meta.url) });

export { ConsensusTrait, createConsensusTrait, EVENTS, MECHANISM_NAMES } from './consensus-trait.js';
export { connectBroadcastChannel, connectPorts, meshPorts } from './transports.js';
export { FencedResource } from './fencing.js';
export { createConsensus } from '../pkg/consensus_playground.js';
