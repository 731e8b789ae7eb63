import { InternalError } from '../core/errors.js';
import { keySlot, SLOT_COUNT } from '../redis/key-slot.js';

let slotTags: string[] | undefined;

/**
 * A short tag (1-4 letters or digits, no braces) that hashes to `slot`: a name whose first braces
 * hold it, `…{tag}…`, lands in that slot whatever else it contains. The table of all 16384 tags is
 * built once, by enumerating strings in a fixed order (about 20 ms), so it is the same everywhere.
 */
export function slotTag(slot: number): string {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) throw new RangeError(`slot ${slot} is outside 0-${SLOT_COUNT - 1}`);
  slotTags ??= buildSlotTags();
  return slotTags[slot]!;
}

function buildSlotTags(): string[] {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const tags: string[] = new Array(SLOT_COUNT);
  let missing = SLOT_COUNT;
  for (let length = 1; length <= 4 && missing > 0; length++) {
    const total = alphabet.length ** length;
    for (let n = 0; n < total && missing > 0; n++) {
      let tag = '';
      for (let i = 0, rest = n; i < length; i++, rest = Math.floor(rest / alphabet.length)) tag += alphabet[rest % alphabet.length];
      const slot = keySlot(Buffer.from(tag, 'latin1'));
      if (tags[slot] === undefined) {
        tags[slot] = tag;
        missing--;
      }
    }
  }
  if (missing > 0) throw new InternalError(`no slot tag of up to 4 characters found for ${missing} slots`);
  return tags;
}
