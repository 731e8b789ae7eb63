import { createRequire } from 'node:module';

/**
 * Just enough of a DUMP payload's RDB object to reach the encoded blobs inside it, for the encoding
 * decoders' tests (the product's full RDB reader lives in src/rdb). A payload is the RDB type byte, the
 * object, 2 bytes of RDB version and 8 of CRC-64. The objects read here are a series of RDB lengths and
 * strings (raw, integer or LZF-compressed).
 */

// lzfjs ships no type declarations; this is the one function used.
const lzf = createRequire(import.meta.url)('lzfjs') as { decompress(data: Uint8Array): Uint8Array };

/** RDB object types whose payload starts with a node count (quicklists, streams). */
export const RDB_TYPE = {
  setIntset: 11,
  listZiplist: 10,
  zsetZiplist: 12,
  hashZiplist: 13,
  listQuicklist: 14,
  streamListpacks: 15,
  hashListpack: 16,
  hashListpackEx: 25,
  setListpack: 20,
  streamListpacks3: 21,
  zsetListpack: 17,
  listQuicklist2: 18,
  streamListpacks2: 19,
} as const;

export class DumpCursor {
  pos = 1;
  constructor(readonly payload: Buffer) {}

  get type(): number {
    return this.payload[0]!;
  }

  /** An RDB length: 00 6-bit, 01 14-bit big-endian, 0x80 u32 BE, 0x81 u64 BE. */
  length(): number {
    const first = this.byte();
    const kind = first >> 6;
    if (kind === 0) return first & 0x3f;
    if (kind === 1) return ((first & 0x3f) << 8) | this.byte();
    if (first === 0x80) return this.take(4).readUInt32BE(0);
    if (first === 0x81) return Number(this.take(8).readBigUInt64BE(0));
    throw new Error(`expected an RDB length at byte ${this.pos - 1} of the DUMP payload, found 0x${first.toString(16)}`);
  }

  /** An RDB string: raw, LZF-compressed (decompressed here), or an integer (as its decimal text). */
  string(): Buffer {
    const first = this.payload[this.pos]!;
    if (first >> 6 !== 3) return this.take(this.length());
    this.pos++;
    const special = first & 0x3f;
    if (special === 0) return Buffer.from(String(this.take(1).readInt8(0)));
    if (special === 1) return Buffer.from(String(this.take(2).readInt16LE(0)));
    if (special === 2) return Buffer.from(String(this.take(4).readInt32LE(0)));
    if (special !== 3) throw new Error(`unknown RDB string encoding ${special} at byte ${this.pos - 1} of the DUMP payload`);
    const compressed = this.length();
    const length = this.length();
    const data = Buffer.from(lzf.decompress(this.take(compressed)));
    if (data.length !== length) throw new Error(`LZF string: ${data.length} bytes decompressed, ${length} announced`);
    return data;
  }

  /** An RDB millisecond time: 8 bytes, little-endian (e.g. the min field expiry before a listpack-ex blob). */
  millisecondTime(): number {
    return Number(this.take(8).readBigUInt64LE(0));
  }

  private byte(): number {
    return this.take(1)[0]!;
  }

  private take(n: number): Buffer {
    if (this.pos + n > this.payload.length - 10) throw new Error('DUMP payload ends inside its object');
    const bytes = this.payload.subarray(this.pos, this.pos + n);
    this.pos += n;
    return bytes;
  }
}

/** The one blob of a listpack / ziplist / intset / zipmap object (hash, zset, set, old list). */
export function dumpBlob(payload: Buffer): Buffer {
  return new DumpCursor(payload).string();
}

/** The node blobs of a quicklist: v1 (type 14) holds ziplists, v2 (type 18) a container kind then a listpack or plain value. */
export function dumpQuicklistNodes(payload: Buffer): { plain: boolean; blob: Buffer }[] {
  const cursor = new DumpCursor(payload);
  const nodes: { plain: boolean; blob: Buffer }[] = [];
  for (let n = cursor.length(); n > 0; n--) {
    const plain = cursor.type === RDB_TYPE.listQuicklist2 ? cursor.length() === 1 : false;
    nodes.push({ plain, blob: cursor.string() });
  }
  return nodes;
}

/** The nodes of a stream: the master id (the radix-tree key: ms, seq as u64 BE) and the listpack. */
export function dumpStreamNodes(payload: Buffer): { masterId: { ms: bigint; seq: bigint }; blob: Buffer }[] {
  const cursor = new DumpCursor(payload);
  const nodes: { masterId: { ms: bigint; seq: bigint }; blob: Buffer }[] = [];
  for (let n = cursor.length(); n > 0; n--) {
    const key = cursor.string();
    if (key.length !== 16) throw new Error(`a stream node key is 16 bytes, found ${key.length}`);
    nodes.push({ masterId: { ms: key.readBigUInt64BE(0), seq: key.readBigUInt64BE(8) }, blob: cursor.string() });
  }
  return nodes;
}
