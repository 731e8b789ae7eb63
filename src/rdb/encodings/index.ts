// Pure decoders of the blobs RDB strings hold (no I/O): each takes the blob, returns Buffers, and
// throws RdbFormatError with the offset in the blob when the bytes are not the format.
export { type HashListpackEx, hashListpackExEntries } from './hash-listpack-ex.js';
export { intsetMembers } from './intset.js';
export { listpackEntries } from './listpack.js';
export { type StreamEntry, type StreamId, streamListpackEntries } from './stream-listpack.js';
export { ziplistEntries } from './ziplist.js';
export { zipmapPairs } from './zipmap.js';
