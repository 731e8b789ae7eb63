/** One command: its name and arguments, as ASCII strings, numbers or raw bytes. */
export type CommandArgs = readonly (Buffer | string | number)[];

const CRLF_LEN = 2;

function argLength(arg: Buffer | string | number): number {
  return typeof arg === 'string' ? Buffer.byteLength(arg) : typeof arg === 'number' ? String(arg).length : arg.length;
}

function digits(n: number): number {
  return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : String(n).length;
}

/**
 * Encodes many commands as one RESP buffer, sized exactly and written once: on the copy's hot path
 * this replaces thousands of small allocations per batch. Keys and payloads are copied as bytes.
 */
export function encodeCommands(commands: readonly CommandArgs[]): Buffer {
  let size = 0;
  for (const command of commands) {
    size += 1 + digits(command.length) + CRLF_LEN;
    for (const arg of command) {
      const len = argLength(arg);
      size += 1 + digits(len) + CRLF_LEN + len + CRLF_LEN;
    }
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const command of commands) {
    at += out.write(`*${command.length}\r\n`, at, 'latin1');
    for (const arg of command) {
      if (typeof arg === 'string' || typeof arg === 'number') {
        const text = String(arg);
        at += out.write(`$${Buffer.byteLength(text)}\r\n${text}\r\n`, at);
      } else {
        at += out.write(`$${arg.length}\r\n`, at, 'latin1');
        at += arg.copy(out, at);
        out[at++] = 13;
        out[at++] = 10;
      }
    }
  }
  return out;
}
