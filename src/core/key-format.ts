const MAX_SHOWN_BYTES = 120;

/**
 * Renders a binary key for humans: printable ASCII as is, every other byte as \xNN, quotes and
 * backslashes escaped, long keys truncated. Keys can be any bytes, so they are never printed raw.
 */
export function formatKey(key: Buffer): string {
  const shown = key.subarray(0, MAX_SHOWN_BYTES);
  let out = '';
  for (const byte of shown) {
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  const more = key.length > MAX_SHOWN_BYTES ? `…(+${key.length - MAX_SHOWN_BYTES} bytes)` : '';
  return `"${out}"${more}`;
}
