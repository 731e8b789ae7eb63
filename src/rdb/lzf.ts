/**
 * LZF decompression (liblzf's lzf_d.c format, which Redis uses for compressed RDB strings), into a
 * buffer of the size the RDB string announces. Hand-written rather than the `lzfjs` package: lzfjs
 * grows a plain JS array one byte at a time and converts it with the deprecated `new Buffer(array)`,
 * which measured far slower and takes ~9 bytes of heap per output byte (see the reader's report);
 * it also cannot check the output against the announced size.
 *
 * The format: a control byte < 32 starts a literal run of (ctrl + 1) bytes; otherwise it is a back
 * reference of length (ctrl >> 5) + 2 (7 means "add the next byte"), at distance
 * ((ctrl & 31) << 8 | next byte) + 1 behind the output position.
 */
export function lzfDecompress(input: Uint8Array, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  const inEnd = input.length;
  let ip = 0;
  let op = 0;
  while (ip < inEnd) {
    const ctrl = input[ip++]!;
    if (ctrl < 32) {
      const run = ctrl + 1;
      if (ip + run > inEnd) throw new Error(`literal run of ${run} bytes overruns the input`);
      if (op + run > size) throw new Error(`output overruns the announced ${size} bytes`);
      if (run < 16) {
        for (let i = 0; i < run; i++) out[op + i] = input[ip + i]!;
      } else {
        out.set(input.subarray(ip, ip + run), op);
      }
      ip += run;
      op += run;
      continue;
    }
    let len = ctrl >> 5;
    if (ip >= inEnd) throw new Error('back reference cut short');
    if (len === 7) {
      len += input[ip++]!;
      if (ip >= inEnd) throw new Error('back reference cut short');
    }
    len += 2;
    const ref = op - ((ctrl & 31) << 8) - input[ip++]! - 1;
    if (ref < 0) throw new Error('back reference before the start of the output');
    if (op + len > size) throw new Error(`output overruns the announced ${size} bytes`);
    // The copy may overlap its own output (a run repeating a short pattern): byte by byte then.
    if (ref + len <= op && len >= 16) {
      out.copyWithin(op, ref, ref + len);
      op += len;
    } else {
      for (let i = 0; i < len; i++) out[op++] = out[ref + i]!;
    }
  }
  if (op !== size) throw new Error(`decompressed to ${op} bytes, the string announces ${size}`);
  return out;
}
