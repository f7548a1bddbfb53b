// The mechanisms a widget can show (its `protocol` attribute), each loaded on demand: esbuild
// makes every module here its own chunk (with its wasm glue), fetched only by the widgets that
// use it. A new mechanism is a module that meets the contract in ../stage/contract.js, and one
// line here.
export const MECHANISMS = {
  __proto__: null, // a name like "constructor" is unknown too
  raft: () => import('./raft.js'),
  paxos: () => import('./paxos.js'),
  vote: () => import('./vote.js'),
  pbft: () => import('./pbft.js'),
  hotstuff: () => import('./hotstuff.js'),
  generals: () => import('./generals.js'),
  gossip: () => import('./gossip.js'),
};
