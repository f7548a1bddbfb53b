// A fenced resource (issue #15 §3): the other half of a lock with a lease. A lock's lease cannot
// protect a resource on its own: a holder that pauses (a long GC, a swapped-out process, a
// laptop lid) past its lease still believes it holds the lock when it wakes, while another
// holder has been granted it. So each grant carries a fencing token (acquireLock's `token`, an
// integer larger than every earlier grant's), every write to the resource carries the writer's
// token, and the resource refuses a token lower than the highest it has accepted: the stale
// holder's late write is refused instead of overwriting the new holder's.

function fail(param, rule, got) {
  return new Error(`${param} ${rule} (got ${JSON.stringify(got) ?? String(got)})`);
}

/** A resource (here: one value in memory) that accepts a write only with a current fencing token. */
export class FencedResource {
  #name;
  #highest = 0;
  #value;

  constructor(name = 'resource') {
    if (typeof name !== 'string' || name === '') throw fail('name', 'must be a non-empty string', name);
    this.#name = name;
  }

  /** The highest fencing token accepted so far (0: none). */
  get highestToken() {
    return this.#highest;
  }

  /** The value last written. */
  read() {
    return this.#value;
  }

  /**
   * Writes `value` under fencing `token` (what acquireLock granted the writer): accepted when the
   * token is at least the highest accepted so far (a holder writes several times under its
   * token), refused when it is lower (a holder whose lease ended and the lock was granted again).
   * → {written, token, highestToken, error}.
   */
  write(token, value) {
    if (!(Number.isSafeInteger(token) && token > 0)) throw fail('token', 'must be a positive integer (a fencing token from acquireLock)', token);
    if (token < this.#highest) {
      return { written: false, token, highestToken: this.#highest, error: `stale fencing token ${token}: ${this.#name} has accepted token ${this.#highest}` };
    }
    this.#highest = token;
    this.#value = value;
    return { written: true, token, highestToken: token, error: null };
  }
}
