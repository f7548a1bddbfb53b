// Shared by the tests of the wasm package in Node (wasm.test.mjs, consensus.test.mjs): the
// package, initialized from www/pkg/, and the assertion every boundary test uses.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as pkg from '../www/pkg/consensus_playground.js';

pkg.initSync({ module: readFileSync(new URL('../www/pkg/consensus_playground_bg.wasm', import.meta.url)) });

export default pkg;

/** Asserts `fn` throws a JS Error (not a wasm trap, which would poison the instance) whose
 *  message matches `re`, or equals it when `re` is a string. Returns the message. */
export function throwsError(fn, re) {
  let caught;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught, `expected an Error matching ${re}`);
  assert.ok(caught instanceof Error, `thrown value is an Error: ${caught}`);
  assert.ok(!(caught instanceof WebAssembly.RuntimeError), `a wasm trap (panic): ${caught.message}`);
  if (typeof re === 'string') assert.equal(caught.message, re);
  else assert.match(caught.message, re);
  return caught.message;
}
