import { Writable } from 'node:stream';

/**
 * A writable that says it is a terminal and keeps the screen its output would leave: enough of a
 * VT100 for what node's readline and cli-progress send (text, CR/LF, CSI A B C D G K J, ESC 7/8),
 * so a test can read the frame a user would see, not just the bytes.
 */
export class VirtualTerminal extends Writable {
  readonly isTTY = true;
  readonly columns: number;
  readonly rows = 50;
  /** Everything written, as written. */
  raw = '';
  private readonly lines: string[][] = [[]];
  private row = 0;
  private col = 0;
  private saved = { row: 0, col: 0 };

  constructor(columns = 160) {
    super({ decodeStrings: false });
    this.columns = columns;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const text = chunk.toString();
    this.raw += text;
    this.interpret(text);
    done();
  }

  /** The screen now, one string per line, trailing blanks and empty last lines dropped. */
  screen(): string[] {
    const out = this.lines.map((l) => l.join('').replace(/\s+$/, ''));
    while (out.length > 0 && out[out.length - 1] === '') out.pop();
    return out;
  }

  private interpret(text: string): void {
    const token = /\x1b\[([?\d;]*)([A-Za-z])|\x1b([78])|([\r\n])|([^\x1b\r\n]+)/g;
    for (let m = token.exec(text); m; m = token.exec(text)) {
      if (m[2]) this.csi(m[1] ?? '', m[2]);
      else if (m[3] === '7') this.saved = { row: this.row, col: this.col };
      else if (m[3] === '8') ({ row: this.row, col: this.col } = this.saved);
      else if (m[4] === '\r') this.col = 0;
      else if (m[4] === '\n')
        this.moveTo(this.row + 1, 0); // a terminal's LF with onlcr, as a TTY sets it
      else if (m[5]) for (const ch of m[5]) this.put(ch);
    }
  }

  private csi(params: string, command: string): void {
    if (params.startsWith('?')) return; // modes: cursor shown/hidden, line wrapping
    const n = params === '' ? undefined : Number(params.split(';')[0]);
    const line = this.line();
    switch (command) {
      case 'A':
        this.moveTo(Math.max(0, this.row - (n ?? 1)), this.col);
        return;
      case 'B':
        this.moveTo(this.row + (n ?? 1), this.col);
        return;
      case 'C':
        this.col = Math.min(this.columns - 1, this.col + (n ?? 1));
        return;
      case 'D':
        this.col = Math.max(0, this.col - (n ?? 1));
        return;
      case 'G':
        this.col = Math.max(0, (n ?? 1) - 1);
        return;
      case 'K':
        if ((n ?? 0) === 0) line.length = Math.min(line.length, this.col);
        else if (n === 1) for (let i = 0; i <= this.col && i < line.length; i++) line[i] = ' ';
        else line.length = 0;
        return;
      case 'J':
        line.length = Math.min(line.length, this.col);
        this.lines.length = this.row + 1;
        return;
      default:
        throw new Error(`VirtualTerminal: unsupported escape sequence CSI ${params}${command}`);
    }
  }

  private put(ch: string): void {
    if (this.col >= this.columns) return; // line wrapping is off while bars are drawn
    const line = this.line();
    while (line.length < this.col) line.push(' ');
    line[this.col++] = ch;
  }

  private moveTo(row: number, col: number): void {
    this.row = row;
    this.col = col;
    this.line();
  }

  private line(): string[] {
    while (this.lines.length <= this.row) this.lines.push([]);
    return this.lines[this.row]!;
  }
}
