/**
 * A conservative reader of shell command lines (bash syntax) for the command gate: finds every
 * simple command a line would run — through `;`, `&&`, `||`, pipes, subshells, groups, `$(…)`,
 * backticks, process substitution, `bash -c`, `eval`, `xargs`, `sudo`/`env`/`timeout` wrappers,
 * here-docs and here-strings fed to a shell — and says when the line is incomplete (bash would
 * ask for more) or holds something it cannot see through (a function or alias definition, a
 * script run from a file or a pipe, a program name only known at run time). Those are `problems`:
 * policy treats such a line as `policy.unparsable`. It never runs or expands anything.
 *
 * Why not sh-syntax (mvdan/sh in WASM)? Its JSON AST drops every command node's type (each `Cmd`
 * arrives as `{}`) and it instantiates a fresh WASM module per call; a small reader we can reason
 * about, that refuses what it does not know, is the safer base for a security decision.
 */
import { baseName } from './command-pattern.js';
import type { CommandWord } from './facts.js';

export interface SimpleCommand {
  words: CommandWord[];
  /** Where its standard input comes from when the gate can know: here-doc/here-string text. */
  stdinText?: string;
  /** stdin is a pipe or a file: a shell reading it runs commands the gate cannot see. */
  stdinUnknown: boolean;
}

export interface ShellAnalysis {
  commands: SimpleCommand[];
  /** False when bash would show a continuation prompt (open quote, `\`-newline, here-doc, `&&` …). */
  complete: boolean;
  problems: string[];
}

const SHELLS = new Set(['bash', 'sh', 'dash', 'zsh', 'ksh', 'ash', 'mksh', 'yash', 'busybox', 'fish', 'rbash']);
const INLINE_INTERPRETERS: Record<string, string[]> = {
  python: ['-c'], python2: ['-c'], python3: ['-c'], perl: ['-e', '-E'], ruby: ['-e'], node: ['-e', '--eval', '-p', '--print'], php: ['-r'], awk: [], gawk: [],
};
/**
 * The names `name in INLINE_INTERPRETERS` is true for, as a Set (an `in` per command was slow):
 * its own keys and what every object inherits (`toString`, `constructor`, `__proto__`…). Those
 * inherited names then fail the check below with a TypeError, which the gate and the run hook
 * turn into a refusal; kept as it was so decisions do not change (see the issue 10 report).
 */
const INTERPRETER_OR_INHERITED = new Set([...Object.keys(INLINE_INTERPRETERS), ...Object.getOwnPropertyNames(Object.prototype)]);
const PREFIX_KEYWORDS = new Set(['if', 'then', 'elif', 'else', 'while', 'until', 'do', '!', 'time', '{']);
const CLOSING_KEYWORDS = new Set(['fi', 'done', '}', 'esac']);
const OPENERS: Record<string, string> = { if: 'fi', while: 'done', until: 'done', for: 'done', select: 'done', '{': '}', case: 'esac' };

interface WordToken {
  kind: 'word';
  word: CommandWord;
  /** Had any quoting (a quoted word is never a keyword or an assignment). */
  quoted: boolean;
  /** Unquoted `=` after a valid name: an assignment when in command position. */
  assignment: boolean;
}
interface OpToken {
  kind: 'op';
  op: string;
}
interface RedirToken {
  kind: 'redir';
  op: string;
  hereDoc?: { delimiter: string; strip: boolean; quoted: boolean; body?: string };
}
type Token = WordToken | OpToken | RedirToken;

const MAX_DEPTH = 8;

class Reader {
  readonly commands: SimpleCommand[] = [];
  readonly problems: string[] = [];
  complete = true;
  constructor(readonly depth: number) {}

  /** Analyses nested text (a substitution, `bash -c`, `eval`) into this reader's results. */
  nested(text: string, what: string): void {
    if (this.depth >= MAX_DEPTH) {
      this.problems.push(`${what} nested too deeply`);
      return;
    }
    const inner = analyzeAt(text, this.depth + 1);
    this.commands.push(...inner.commands);
    this.problems.push(...inner.problems);
    if (!inner.complete) this.problems.push(`${what} is incomplete`);
  }
}

/** Decodes bash's $'…' escapes. */
function ansiC(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|c.|.)/gs, (_, escape: string) => {
    const kind = escape[0]!;
    if (kind === 'x' || kind === 'u' || kind === 'U') return String.fromCodePoint(parseInt(escape.slice(1), 16));
    if (/[0-7]/.test(kind)) return String.fromCharCode(parseInt(escape, 8));
    if (kind === 'c') return String.fromCharCode(escape.charCodeAt(1) & 0x1f);
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v' };
    return simple[kind] ?? kind;
  });
}

/** Index of the `)` closing a `$(` / `(` that starts before `from`, honouring quotes; -1 if none. */
function matchingParen(text: string, from: number): number {
  let depth = 1;
  for (let index = from; index < text.length; index++) {
    const char = text[index]!;
    if (char === '\\') index++;
    else if (char === "'") {
      const close = text.indexOf("'", index + 1);
      if (close < 0) return -1;
      index = close;
    } else if (char === '"') {
      index = skipDouble(text, index + 1);
      if (index < 0) return -1;
    } else if (char === '`') {
      const close = findBacktick(text, index + 1);
      if (close < 0) return -1;
      index = close;
    } else if (char === '(') depth++;
    else if (char === ')') {
      depth--;
      if (depth === 0) return index;
    }
  }
  return -1;
}

function skipDouble(text: string, from: number): number {
  for (let index = from; index < text.length; index++) {
    const char = text[index]!;
    if (char === '\\') index++;
    else if (char === '"') return index;
    else if (char === '$' && text[index + 1] === '(') {
      const close = matchingParen(text, index + 2);
      if (close < 0) return -1;
      index = close;
    } else if (char === '`') {
      const close = findBacktick(text, index + 1);
      if (close < 0) return -1;
      index = close;
    }
  }
  return -1;
}

function findBacktick(text: string, from: number): number {
  for (let index = from; index < text.length; index++) {
    if (text[index] === '\\') index++;
    else if (text[index] === '`') return index;
  }
  return -1;
}

function findBrace(text: string, from: number): number {
  let depth = 1;
  for (let index = from; index < text.length; index++) {
    const char = text[index]!;
    if (char === '\\') index++;
    else if (char === '{') depth++;
    else if (char === '}' && --depth === 0) return index;
  }
  return -1;
}

/** The control operator at `index`, longest first (`&&` before `&`), or undefined. */
function operatorAt(text: string, index: number): string | undefined {
  const next = text[index + 1];
  switch (text[index]) {
    case '&':
      return next === '&' ? '&&' : '&';
    case '|':
      return next === '|' ? '||' : next === '&' ? '|&' : '|';
    case ';':
      return next === ';' ? ';;' : ';';
    case '(':
      return '(';
    case ')':
      return ')';
    case '\n':
      return '\n';
    default:
      return undefined;
  }
}
const REDIRECTS = ['<<<', '<<-', '<<', '&>>', '&>', '>>', '>|', '>&', '<&', '<>', '>', '<'];

function tokenize(text: string, reader: Reader): Token[] {
  const tokens: Token[] = [];
  const pendingHereDocs: RedirToken[] = [];
  let index = 0;
  const length = text.length;

  const readHereDocBodies = (): void => {
    // `index` is just after a newline: bodies follow, one per pending here-doc, in order.
    for (const token of pendingHereDocs.splice(0)) {
      const doc = token.hereDoc!;
      const lines: string[] = [];
      let found = false;
      while (index < length) {
        const end = text.indexOf('\n', index);
        const line = text.slice(index, end < 0 ? length : end);
        index = end < 0 ? length : end + 1;
        const candidate = doc.strip ? line.replace(/^\t+/, '') : line;
        if (candidate === doc.delimiter) {
          found = true;
          break;
        }
        lines.push(candidate);
      }
      doc.body = lines.join('\n');
      if (!found) reader.complete = false;
      if (!doc.quoted) scanExpansions(doc.body, reader);
    }
  };

  while (index < length) {
    const char = text[index]!;
    if (char === ' ' || char === '\t') {
      index++;
      continue;
    }
    if (char === '\\' && text[index + 1] === '\n') {
      index += 2;
      continue;
    }
    if (char === '\\' && index + 1 === length) {
      reader.complete = false;
      index++;
      continue;
    }
    if (char === '#' ) {
      // A comment runs to the end of the line.
      const end = text.indexOf('\n', index);
      index = end < 0 ? length : end;
      continue;
    }
    let afterDigits = index;
    while (afterDigits < length && text.charCodeAt(afterDigits) >= 48 && text.charCodeAt(afterDigits) <= 57) afterDigits++;
    const first = text[afterDigits];
    const redirOp = first === '<' || first === '>' || first === '&' ? REDIRECTS.find((op) => text.startsWith(op, afterDigits)) : undefined;
    if (redirOp && !(redirOp === '<' && text[afterDigits + 1] === '(') && !(redirOp === '>' && text[afterDigits + 1] === '(')) {
      index = afterDigits + redirOp.length;
      const token: RedirToken = { kind: 'redir', op: redirOp };
      if (redirOp === '<<' || redirOp === '<<-') {
        while (text[index] === ' ' || text[index] === '\t') index++;
        const start = index;
        const word = readWord(text, index, reader);
        index = word.end;
        const raw = text.slice(start, word.end);
        token.hereDoc = { delimiter: word.word.text, strip: redirOp === '<<-', quoted: /['"\\]/.test(raw) };
        if (word.word.text === '') reader.problems.push('a here-document without a delimiter');
        pendingHereDocs.push(token);
      }
      tokens.push(token);
      continue;
    }
    const op = operatorAt(text, index);
    if (op) {
      index += op.length;
      tokens.push({ kind: 'op', op });
      if (op === '\n' && pendingHereDocs.length > 0) readHereDocBodies();
      continue;
    }
    const word = readWord(text, index, reader);
    index = word.end;
    tokens.push({ kind: 'word', word: word.word, quoted: word.quoted, assignment: word.assignment });
  }
  if (pendingHereDocs.length > 0) {
    reader.complete = false;
    for (const token of pendingHereDocs) token.hereDoc!.body = undefined;
  }
  return tokens;
}

/** `$(…)` and backticks inside text that is expanded (unquoted here-doc bodies, `${…}`). */
function scanExpansions(text: string, reader: Reader): void {
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === '\\') index++;
    else if (char === '$' && text[index + 1] === '(' && text[index + 2] !== '(') {
      const close = matchingParen(text, index + 2);
      if (close < 0) {
        reader.complete = false;
        return;
      }
      reader.nested(text.slice(index + 2, close), 'a command substitution');
      index = close;
    } else if (char === '`') {
      const close = findBacktick(text, index + 1);
      if (close < 0) {
        reader.complete = false;
        return;
      }
      reader.nested(text.slice(index + 1, close).replace(/\\([`$\\])/g, '$1'), 'a backtick substitution');
      index = close;
    }
  }
}

const WORD_END = new Set([' ', '\t', '\n', ';', '&', '|', '(', ')', '<', '>']);
/** Characters `readWord` treats one by one: word ends, quotes, escapes, expansions, `=`; all others are copied in runs. */
const WORD_SPECIAL = new Uint8Array(128);
for (const char of [...WORD_END, '\\', "'", '"', '$', '`', '=']) WORD_SPECIAL[char.charCodeAt(0)] = 1;

function readWord(text: string, start: number, reader: Reader): { word: CommandWord; end: number; quoted: boolean; assignment: boolean } {
  let value = '';
  let dynamic = false;
  let quoted = false;
  let assignment = false;
  let index = start;
  const substitution = (inner: string, what: string): void => {
    dynamic = true;
    reader.nested(inner, what);
  };
  while (index < text.length) {
    // A run of ordinary characters is copied in one piece (the per-character path below would
    // only append each of them).
    let run = index;
    while (run < text.length) {
      const code = text.charCodeAt(run);
      if (code < 128 && WORD_SPECIAL[code] === 1) break;
      run++;
    }
    if (run > index) {
      value += text.slice(index, run);
      index = run;
      if (index >= text.length) break;
    }
    const char = text[index]!;
    if (WORD_END.has(char)) {
      // `<(…)` / `>(…)` process substitution belongs to the word.
      if ((char === '<' || char === '>') && text[index + 1] === '(' && index === start) {
        const close = matchingParen(text, index + 2);
        if (close < 0) {
          reader.complete = false;
          return { word: { text: value, dynamic: true }, end: text.length, quoted, assignment };
        }
        substitution(text.slice(index + 2, close), 'a process substitution');
        index = close + 1;
        continue;
      }
      break;
    }
    if (char === '\\') {
      if (index + 1 >= text.length) {
        reader.complete = false;
        index++;
        break;
      }
      if (text[index + 1] !== '\n') value += text[index + 1];
      quoted = true;
      index += 2;
      continue;
    }
    if (char === "'") {
      const close = text.indexOf("'", index + 1);
      quoted = true;
      if (close < 0) {
        reader.complete = false;
        value += text.slice(index + 1);
        index = text.length;
        break;
      }
      value += text.slice(index + 1, close);
      index = close + 1;
      continue;
    }
    if (char === '$' && text[index + 1] === "'") {
      let close = index + 2;
      while (close < text.length && text[close] !== "'") close += text[close] === '\\' ? 2 : 1;
      quoted = true;
      if (close >= text.length) {
        reader.complete = false;
        index = text.length;
        break;
      }
      value += ansiC(text.slice(index + 2, close));
      index = close + 1;
      continue;
    }
    if (char === '"') {
      quoted = true;
      index++;
      let closed = false;
      while (index < text.length) {
        const inner = text[index]!;
        if (inner === '"') {
          closed = true;
          index++;
          break;
        }
        if (inner === '\\' && '$`"\\\n'.includes(text[index + 1] ?? '')) {
          if (text[index + 1] !== '\n') value += text[index + 1];
          index += 2;
          continue;
        }
        if (inner === '$' || inner === '`') {
          const consumed = expansion(text, index, reader, substitution);
          if (consumed < 0) {
            reader.complete = false;
            return { word: { text: value, dynamic: true }, end: text.length, quoted, assignment };
          }
          if (consumed > index) {
            dynamic = true;
            index = consumed;
            continue;
          }
        }
        value += inner;
        index++;
      }
      if (!closed) reader.complete = false;
      continue;
    }
    if (char === '$' || char === '`') {
      const consumed = expansion(text, index, reader, substitution);
      if (consumed < 0) {
        reader.complete = false;
        return { word: { text: value, dynamic: true }, end: text.length, quoted, assignment };
      }
      if (consumed > index) {
        dynamic = true;
        index = consumed;
        continue;
      }
    }
    if (char === '=' && !quoted && !assignment && /^[A-Za-z_][A-Za-z0-9_]*(\+)?$/.test(value)) assignment = true;
    value += char;
    index++;
  }
  return { word: { text: value, dynamic }, end: index, quoted, assignment };
}

/** Consumes one `$…` or backtick expansion at `index`; returns the index after it (index itself if not one, -1 if unterminated). */
function expansion(text: string, index: number, reader: Reader, substitution: (inner: string, what: string) => void): number {
  const char = text[index]!;
  if (char === '`') {
    const close = findBacktick(text, index + 1);
    if (close < 0) return -1;
    substitution(text.slice(index + 1, close).replace(/\\([`$\\])/g, '$1'), 'a backtick substitution');
    return close + 1;
  }
  const next = text[index + 1];
  if (next === '(' && text[index + 2] === '(') {
    const close = matchingParen(text, index + 3);
    if (close < 0) return -1;
    scanExpansions(text.slice(index + 3, close), reader);
    return close + 2;
  }
  if (next === '(') {
    const close = matchingParen(text, index + 2);
    if (close < 0) return -1;
    substitution(text.slice(index + 2, close), 'a command substitution');
    return close + 1;
  }
  if (next === '{') {
    const close = findBrace(text, index + 2);
    if (close < 0) return -1;
    scanExpansions(text.slice(index + 2, close), reader);
    return close + 1;
  }
  if (next !== undefined && /[A-Za-z_]/.test(next)) {
    let end = index + 2;
    while (end < text.length && /[A-Za-z0-9_]/.test(text[end]!)) end++;
    return end;
  }
  if (next !== undefined && /[0-9@*#?$!-]/.test(next)) return index + 2;
  return index;
}

interface Pending {
  words: WordToken[];
  redirs: { token: RedirToken; target?: WordToken }[];
}

/** Walks tokens into simple commands, following keywords, wrappers and nested shells. */
function assemble(tokens: Token[], reader: Reader): void {
  let current: Pending = { words: [], redirs: [] };
  let pipedIn = false;
  let nextPiped = false;
  const openers: string[] = [];
  let expectingCommand = true;
  let skipForHeader = false;

  const finish = (): void => {
    if (current.words.length > 0 || current.redirs.length > 0) {
      emit(current, pipedIn, reader);
    }
    current = { words: [], redirs: [] };
  };

  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (token.kind === 'op') {
      if (token.op === ')' && openers.at(-1) === ')') openers.pop();
      else if (token.op === ')') reader.problems.push('an unmatched ")"');
      finish();
      pipedIn = token.op === '|' || token.op === '|&' ? true : false;
      if (token.op === '(') openers.push(')');
      if (token.op === ';;') reader.problems.push('a case statement');
      expectingCommand = true;
      skipForHeader = false;
      nextPiped = pipedIn;
      continue;
    }
    if (token.kind === 'redir') {
      const target = tokens[index + 1];
      if (target?.kind === 'word') {
        current.redirs.push({ token, target });
        index++;
      } else if (!token.hereDoc) {
        reader.complete = false;
      } else current.redirs.push({ token });
      continue;
    }
    if (skipForHeader) continue;
    if (expectingCommand && current.words.length === 0 && !token.quoted && !token.word.dynamic) {
      const word = token.word.text;
      if (PREFIX_KEYWORDS.has(word)) {
        if (OPENERS[word]) openers.push(OPENERS[word]!);
        continue;
      }
      if (CLOSING_KEYWORDS.has(word)) {
        if (openers.at(-1) === word) openers.pop();
        else reader.problems.push(`an unmatched "${word}"`);
        continue;
      }
      if (word === 'for' || word === 'select') {
        // The header's words are data (substitutions in it were read already); the body is
        // checked like any commands, where the loop variable is a run-time word.
        openers.push('done');
        skipForHeader = true;
        continue;
      }
      if (word === 'case') {
        openers.push('esac');
        reader.problems.push('a case statement');
        skipForHeader = true;
        continue;
      }
      if (word === 'function') {
        reader.problems.push('a function definition');
        skipForHeader = true;
        continue;
      }
      if (word === '[[' || word === '((') {
        // Conditionals: their words are checked as a command named [[ (harmless) — nothing to do.
      }
      if (token.assignment) continue;
    }
    // `name() {` defines a function.
    const next = tokens[index + 1];
    if (current.words.length === 0 && next?.kind === 'op' && next.op === '(' && tokens[index + 2]?.kind === 'op' && (tokens[index + 2] as OpToken).op === ')') {
      reader.problems.push(`a function definition (${token.word.text})`);
      index += 2;
      continue;
    }
    current.words.push(token);
    expectingCommand = false;
  }
  finish();
  void nextPiped;
  const last = tokens.at(-1);
  if (last?.kind === 'op' && ['|', '|&', '&&', '||'].includes(last.op)) reader.complete = false;
  if (openers.length > 0) reader.complete = false;
}

const WRAPPERS: Record<string, { valueFlags: string[]; positional?: number }> = {
  sudo: { valueFlags: ['-u', '-g', '-C', '-D', '-h', '-p', '-r', '-t', '-U', '-T'] },
  doas: { valueFlags: ['-u', '-C'] },
  env: { valueFlags: ['-u', '-C', '--unset', '--chdir'] },
  nohup: { valueFlags: [] },
  time: { valueFlags: ['-f', '-o'] },
  nice: { valueFlags: ['-n', '--adjustment'] },
  ionice: { valueFlags: ['-c', '-n', '-p'] },
  timeout: { valueFlags: ['-s', '-k', '--signal', '--kill-after'], positional: 1 },
  exec: { valueFlags: ['-a'] },
  command: { valueFlags: [] },
  builtin: { valueFlags: [] },
  stdbuf: { valueFlags: ['-i', '-o', '-e'] },
  setsid: { valueFlags: [] },
  xargs: { valueFlags: ['-I', '-L', '-n', '-P', '-d', '-E', '-s', '-a', '--max-args', '--max-procs', '--delimiter', '--arg-file', '--replace'] },
  watch: { valueFlags: ['-n', '--interval', '-d'] },
  chroot: { valueFlags: [], positional: 1 },
  flock: { valueFlags: ['-w', '-E'], positional: 1 },
  unbuffer: { valueFlags: [] },
};

const WRAPPER_BY_NAME = new Map(Object.entries(WRAPPERS));

function emit(pending: Pending, pipedIn: boolean, reader: Reader): void {
  if (pending.redirs.length === 0) {
    // No redirections: stdin is the pipe or the terminal (the general path below gives the same).
    if (pending.words.length > 0) command(pending.words.map((token) => token.word), { stdinText: undefined, stdinUnknown: pipedIn }, reader);
    return;
  }
  const hereText = pending.redirs.map(({ token, target }) => (token.hereDoc ? token.hereDoc.body : token.op === '<<<' ? (target?.word.dynamic ? undefined : target?.word.text) : null));
  const fromFile = pending.redirs.some(({ token }) => token.op === '<' || token.op === '<&' || token.op === '<>');
  const hereDocs = hereText.filter((text) => text !== null);
  const stdinText = hereDocs.length > 0 ? (hereDocs.at(-1) ?? undefined) : undefined;
  const stdinUnknown = pipedIn || fromFile || (hereDocs.length > 0 && stdinText === undefined && reader.complete);
  const words = pending.words.map((token) => token.word);
  if (words.length === 0) return;
  command(words, { stdinText, stdinUnknown }, reader);
}

function command(words: CommandWord[], stdin: { stdinText?: string; stdinUnknown: boolean }, reader: Reader): void {
  const program = words[0]!;
  if (program.dynamic) {
    reader.problems.push(`a program name only known at run time (${program.text || '$…'})`);
    reader.commands.push({ words, stdinText: stdin.stdinText, stdinUnknown: stdin.stdinUnknown });
    return;
  }
  if (/[*?[]/.test(program.text) || /\{.*[,.].*\}/.test(program.text)) {
    reader.problems.push(`a program name that the shell expands (${program.text})`);
  }
  reader.commands.push({ words, stdinText: stdin.stdinText, stdinUnknown: stdin.stdinUnknown });
  const name = baseName(program.text);
  const args = words.slice(1);

  if (name === 'alias') {
    if (args.some((arg) => arg.text.includes('='))) reader.problems.push('an alias definition');
    return;
  }
  if (name === 'source' || name === '.') {
    reader.problems.push(`a script run with ${name} (its commands are not visible here)`);
    return;
  }
  if (name === 'eval') {
    if (args.some((arg) => arg.dynamic)) reader.problems.push('eval of text only known at run time');
    else reader.nested(args.map((arg) => arg.text).join(' '), 'eval');
    return;
  }
  if (SHELLS.has(name)) {
    shellInvocation(name, args, stdin, reader);
    return;
  }
  if (INTERPRETER_OR_INHERITED.has(name)) {
    const flags = INLINE_INTERPRETERS[name]!;
    if (flags.some((flag) => args.some((arg) => arg.text === flag || (flag.length === 2 && arg.text.startsWith(flag) && !arg.text.startsWith('--'))))) {
      reader.problems.push(`inline ${name} code (the gate cannot read it)`);
    }
    return;
  }
  // Names inherited from Object.prototype never get here (the interpreter check above throws on them).
  const wrapper = WRAPPER_BY_NAME.get(name);
  if (wrapper) {
    let index = 0;
    while (index < args.length) {
      const arg = args[index]!;
      if (name === 'env' && !arg.dynamic && /^[A-Za-z_][A-Za-z0-9_]*=/.test(arg.text)) {
        index++;
        continue;
      }
      if (name === 'env' && (arg.text === '-S' || arg.text.startsWith('--split-string'))) {
        reader.problems.push('env -S (splits a string into a command)');
        return;
      }
      if (name === 'command' && (arg.text === '-v' || arg.text === '-V')) return;
      if (arg.text === '--') {
        index++;
        break;
      }
      if (arg.text.startsWith('-') && arg.text.length > 1 && !arg.dynamic) {
        const flag = arg.text.includes('=') ? arg.text.slice(0, arg.text.indexOf('=')) : arg.text;
        index += wrapper.valueFlags.includes(flag) && !arg.text.includes('=') ? 2 : 1;
        continue;
      }
      break;
    }
    index += wrapper.positional ?? 0;
    const inner = args.slice(index);
    if (inner.length === 0) return;
    if (name === 'watch') {
      if (inner.some((arg) => arg.dynamic)) reader.problems.push('watch of a command only known at run time');
      else reader.nested(inner.map((arg) => arg.text).join(' '), 'watch');
      return;
    }
    // xargs appends words from its input: unknown arguments.
    const extra = name === 'xargs' ? [{ text: '', dynamic: true }] : [];
    command([...inner, ...extra], { stdinUnknown: stdin.stdinUnknown, stdinText: stdin.stdinText }, reader);
  }
}

function shellInvocation(name: string, args: CommandWord[], stdin: { stdinText?: string; stdinUnknown: boolean }, reader: Reader): void {
  let index = name === 'busybox' ? 1 : 0;
  if (name === 'busybox' && !SHELLS.has(args[0]?.text ?? '')) return;
  while (index < args.length) {
    const arg = args[index]!;
    if (arg.dynamic) {
      reader.problems.push(`${name} with arguments only known at run time`);
      return;
    }
    if (arg.text === '-c' || (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(arg.text) && !arg.text.startsWith('--'))) {
      const script = args[index + 1];
      if (!script) return;
      if (script.dynamic) reader.problems.push(`${name} -c with a command only known at run time`);
      else reader.nested(script.text, `${name} -c`);
      return;
    }
    if (arg.text === '-o' || arg.text === '+o' || arg.text === '--rcfile' || arg.text === '--init-file') {
      index += 2;
      continue;
    }
    if (arg.text.startsWith('-') || arg.text.startsWith('+')) {
      index++;
      continue;
    }
    reader.problems.push(`a script file run by ${name} (${arg.text}): its commands are not visible here`);
    return;
  }
  if (stdin.stdinText !== undefined) reader.nested(stdin.stdinText, `${name} reading a here-document`);
  else if (stdin.stdinUnknown) reader.problems.push(`${name} reading commands from a pipe or file`);
  // Otherwise an interactive subshell: every line typed into it passes the gate again.
}

function analyzeAt(text: string, depth: number): ShellAnalysis {
  const reader = new Reader(depth);
  const tokens = tokenize(text, reader);
  assemble(tokens, reader);
  return { commands: reader.commands, complete: reader.complete, problems: reader.problems };
}

/** Every simple command of a command line, whether it is complete, and what could not be seen through. */
export function analyzeShellLine(text: string): ShellAnalysis {
  return analyzeAt(text, 0);
}
