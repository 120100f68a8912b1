/**
 * Debian's asciinema as the outside judge of recordings. `asciinema cat` insists on a controlling
 * terminal (/dev/tty), so it runs in a pty; the pty's CRLF is turned back into LF.
 */
import * as pty from 'node-pty';

export function asciinemaCat(file: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const term = pty.spawn('asciinema', ['cat', file], { cols: 500, rows: 50, env: { PATH: process.env.PATH!, HOME: process.env.HOME!, LANG: 'C.UTF-8' } });
    let output = '';
    term.onData((data) => (output += data));
    term.onExit(({ exitCode }) => resolve({ code: exitCode, output: output.replace(/\r\n/g, '\n') }));
  });
}
