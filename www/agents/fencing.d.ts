/** A resource that accepts a write only with a current fencing token (see www/agents/fencing.js). */
export declare class FencedResource {
  constructor(name?: string);
  /** The highest fencing token accepted so far (0: none). */
  readonly highestToken: number;
  /** The value last written. */
  read(): unknown;
  /** Accepted when `token` ≥ the highest accepted so far; refused (written: false) when lower. */
  write(token: number, value: unknown): { written: boolean; token: number; highestToken: number; error: string | null };
}
