import type { ConsensusTrait } from './consensus-trait.js';

interface PortLike {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: any }) => void) | null;
  close(): void;
}

interface TransportOptions {
  /** A message the agent refused (handleMessage threw): dropped, and reported here. */
  onError?: (error: Error, from: string, message: unknown) => void;
}

/** Connects `agent` to its peers over MessagePorts, one per peer ({peerId: port}). */
export declare function connectPorts(agent: ConsensusTrait, ports: Record<string, PortLike>, options?: TransportOptions): { close(): void; me: string };
/** One MessageChannel per pair of `ids`: {id: {peerId: port}}. */
export declare function meshPorts(ids: string[]): Record<string, Record<string, MessagePort>>;
/** Connects `agent` to every agent on the BroadcastChannel `name`. */
export declare function connectBroadcastChannel(agent: ConsensusTrait, name?: string, options?: TransportOptions): { close(): void };
