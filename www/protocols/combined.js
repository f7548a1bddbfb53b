// The wasm core of a page with widgets of more than one mechanism: one build that hosts them all
// (pkg/combined_bg.wasm in www/dist/), loaded once instead of one wasm per mechanism, which would
// carry the simulator three times. Run from www/ (unbundled), this is the full API of www/pkg/.
// The element picks it when it loads its core (consensus-playground.js, loadCore).
import init, { Simulation } from '../pkg/consensus_playground.js';

export { Simulation };
export const load = () => init({ module_or_path: new URL('../pkg/consensus_playground_bg.wasm', import.meta.url) });
