import type { RdbCursor } from './rdb-cursor.js';
import type { RdbModule } from './rdb-value.js';

/** The 64 symbols of a module type name (Redis module.c ModuleTypeNameCharSet), 6 bits each. */
const NAME_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A module value's identity: its 64-bit id holds a 9-character name (54 bits) and a 10-bit version. */
export function decodeModule(c: RdbCursor): RdbModule {
  const id = c.lengthBig();
  let name = '';
  let rest = id >> 10n;
  for (let i = 0; i < 9; i++) {
    name = NAME_CHARS[Number(rest & 63n)]! + name;
    rest >>= 6n;
  }
  return { kind: 'module', typeName: name, encodingVersion: Number(id & 1023n) };
}
