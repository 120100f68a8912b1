/**
 * The `commands` match syntax for shell sessions. A pattern is words separated by spaces:
 *   PROGRAM [ARG-PATTERN ...]
 * - PROGRAM is matched against the program's base name (`/bin/rm` is `rm`); `*`, `?` and `[abc]`
 *   are globs.
 * - Every ARG-PATTERN must match at least one argument, in any order (flags move around):
 *   - `-x` (one dash, one letter) matches any short-flag cluster containing x (`-rf`, `-fr`, `-r`);
 *   - `--name` matches `--name` and `--name=value`;
 *   - anything else is a glob over one whole argument (`/etc/*`, `prod-*`).
 * - An argument the shell expands at run time (`$X`, `$(…)`) may be anything, so it matches any
 *   ARG-PATTERN: policy assumes the worst rather than guessing.
 * Never throws on a user's pattern: a bad one is reported by `policy check`, not at decision time.
 */
import type { CommandFacts } from './facts.js';

export interface CommandMatcher {
  source: string;
  /** The program word of the pattern, and whether it is a glob (else matched by equality). */
  program: string;
  programIsGlob: boolean;
  test(command: CommandFacts): boolean;
}

export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index]!;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const close = glob.indexOf(']', index + 1);
      if (close > index + 1) {
        source += `[${glob.slice(index + 1, close).replace(/\\/g, '\\\\').replace(/^!/, '^')}]`;
        index = close;
      } else source += '\\[';
    } else source += char.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

function hasGlob(text: string): boolean {
  return /[*?[]/.test(text);
}

type ArgTest = (arg: string) => boolean;

function compileArg(pattern: string): ArgTest {
  if (/^-[a-zA-Z0-9]$/.test(pattern)) {
    const letter = pattern[1]!;
    return (arg) => arg === pattern || (/^-[a-zA-Z0-9]+$/.test(arg) && arg.includes(letter));
  }
  if (pattern.startsWith('--') && !hasGlob(pattern)) return (arg) => arg === pattern || arg.startsWith(`${pattern}=`);
  if (!hasGlob(pattern)) return (arg) => arg === pattern;
  const regex = globToRegExp(pattern);
  return (arg) => regex.test(arg);
}

export function baseName(program: string): string {
  const slash = program.lastIndexOf('/');
  return slash >= 0 ? program.slice(slash + 1) : program;
}

export function compileCommandPattern(source: string): CommandMatcher {
  const words = source.trim().split(/\s+/).filter(Boolean);
  const [program = '', ...argPatterns] = words;
  const programIsGlob = hasGlob(program);
  const programTest: ArgTest = programIsGlob ? ((regex) => (name: string) => regex.test(name))(globToRegExp(program)) : (name) => name === program;
  const argTests = argPatterns.map(compileArg);
  return {
    source,
    program,
    programIsGlob,
    test(command) {
      if (!programTest(baseName(command.program))) return false;
      return argTests.every((argTest) => command.args.some((arg) => arg.dynamic || argTest(arg.text)));
    },
  };
}

/** Problems with a pattern, for `policy check`. */
export function commandPatternProblems(source: string): string[] {
  const words = source.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return ['is empty'];
  if (words[0]!.includes('/') && !words[0]!.startsWith('*')) return [`program "${words[0]}" contains "/": programs are matched by base name, write "${baseName(words[0]!)}"`];
  return [];
}
