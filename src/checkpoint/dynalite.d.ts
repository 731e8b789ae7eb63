// dynalite 4 ships no types; this covers the part local-dynamo.ts uses.
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** Delays (ms) before a table becomes ACTIVE / is deleted / is updated; 0 for tests. */
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    /** Keep data in LevelDB at this path; in memory when absent. */
    path?: string;
    ssl?: boolean;
  }

  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}
