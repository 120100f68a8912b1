/**
 * `edit` in the broker prompt, done on the client side: the gateway never opens an editor on its
 * own host (it refuses `kubectl edit`). The prompt fetches the object as YAML through the gateway,
 * opens the user's own editor ($KUBE_EDITOR, $EDITOR, else vi) on a private temp file here, and
 * sends the result back as `replace -f -` (resourceVersion kept, so a concurrent change is a
 * conflict, as with kubectl edit). Secret values arrive masked; writing the placeholder back is
 * refused by the gateway.
 *
 * It never keeps the temp file after the edit.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseShell } from 'shell-quote';
import type { ClientSession } from '../client/session.js';

export interface EditIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

/** The editor command line as argv (an editor variable may carry flags: "code --wait"). */
export function editorArgv(env: NodeJS.ProcessEnv): string[] {
  const text = env.KUBE_EDITOR || env.EDITOR || 'vi';
  const words = parseShell(text).filter((token): token is string => typeof token === 'string');
  return words.length > 0 ? words : ['vi'];
}

/** Runs the client-side edit of `args` (the words after `edit`); resolves to an exit status. */
export async function editOnClient(session: ClientSession, args: string[], io: EditIo): Promise<number> {
  if (args.length === 0) {
    io.stderr.write('hoop-shell: edit needs an object, e.g. edit deployment/web\n');
    return 2;
  }
  const fetched = await session.run(['get', ...args, '-o', 'yaml'], { collect: true }).result;
  if (fetched.decision === 'deny' || fetched.exitCode !== 0) {
    io.stderr.write(fetched.decision === 'deny' ? `hoop-shell: ✖ denied: ${fetched.reason ?? 'refused by policy'}\n` : fetched.output ?? '');
    return fetched.exitCode || 1;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'hoop-edit-'));
  const file = path.join(dir, `${args.join('-').replace(/[^a-zA-Z0-9._-]+/g, '_').slice(0, 60)}.yaml`);
  try {
    const original = fetched.output ?? '';
    writeFileSync(file, original, { mode: 0o600 });
    const [editor, ...editorArgs] = editorArgv(io.env ?? process.env);
    const opened = spawnSync(editor!, [...editorArgs, file], { stdio: 'inherit' });
    if (opened.error || opened.status !== 0) {
      io.stderr.write(`hoop-shell: the editor ${editor} ${opened.error ? `could not start (${(opened.error as NodeJS.ErrnoException).code})` : `exited ${opened.status}`}; nothing was changed\n`);
      return 1;
    }
    const edited = readFileSync(file, 'utf8');
    if (edited === original) {
      io.stdout.write('Edit cancelled, no changes made.\n');
      return 0;
    }
    const handle = session.run(['replace', '-f', '-'], { stdin: true, collect: true });
    session.write(edited);
    session.eof();
    const replaced = await handle.result;
    if (replaced.decision === 'deny') {
      io.stderr.write(`hoop-shell: ✖ denied: ${replaced.reason ?? 'refused by policy'}\n`);
      return 77;
    }
    (replaced.exitCode === 0 ? io.stdout : io.stderr).write((replaced.output ?? '').replace(/ replaced\n/, ' edited\n'));
    return replaced.exitCode;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
