import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

export class InputError extends Error {}

/**
 * The new password: from a file (its first line), typed twice without echo on a terminal, or one
 * line of stdin when piped (`echo "$PW" | gliderctl user add alice@example.com`).
 */
export async function readPassword(passwordFile: string | undefined): Promise<string> {
  if (passwordFile !== undefined) {
    let text: string;
    try {
      text = await readFile(passwordFile, 'utf8');
    } catch (err) {
      throw new InputError(`cannot read the password file ${passwordFile}: ${(err as Error).message}`);
    }
    return nonEmpty(text.split(/\r?\n/)[0] ?? '', `the password file ${passwordFile}`);
  }
  if (process.stdin.isTTY) {
    const first = await promptHidden('New password: ');
    const second = await promptHidden('Repeat password: ');
    if (first !== second) throw new InputError('the two passwords differ');
    return nonEmpty(first, 'the prompt');
  }
  return nonEmpty(await firstLine(), 'stdin');
}

function nonEmpty(password: string, from: string): string {
  if (password === '') throw new InputError(`empty password from ${from}`);
  return password;
}

async function firstLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  try {
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
  }
}

/** Reads one line from the terminal in raw mode, echoing nothing (prompt on stderr). */
function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    // echo off before the prompt shows, or what is typed right after it would be echoed
    stdin.setRawMode(true);
    process.stderr.write(prompt);
    stdin.resume();
    stdin.setEncoding('utf8');
    let value = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new InputError('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
