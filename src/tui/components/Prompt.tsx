/**
 * A one-line text prompt (reasons, confirmations). Enter submits, Esc cancels; a required prompt
 * refuses an empty answer and says so. Keys reach it through the console's one input handler
 * (promptKey), synchronously, so nothing typed right after the prompt opens can be lost.
 */
import { Box, Text, type Key } from 'ink';

export interface PromptSpec {
  title: string;
  label: string;
  required: boolean;
  /** Shown when Enter is pressed on an empty required answer. */
  requiredMessage?: string;
  onSubmit(answer: string): void;
}

export interface PromptState {
  spec: PromptSpec;
  text: string;
  problem?: string;
}

const MAX_ANSWER = 500;

/** The prompt after one keypress: still open (with new text), submitted, or cancelled. */
export function promptKey(state: PromptState, input: string, key: Key): { next?: PromptState; submit?: string } {
  if (key.escape) return {};
  // A fast typist or a paste can deliver text and Enter in one chunk: type it, then submit.
  const newline = key.return ? 0 : input.search(/[\r\n]/);
  if (key.return || newline >= 0) {
    const answer = (state.text + (key.return ? '' : input.slice(0, newline))).trim();
    if (state.spec.required && answer === '') return { next: { ...state, problem: state.spec.requiredMessage ?? 'an answer is required' } };
    return { submit: answer };
  }
  if (key.backspace || key.delete) return { next: { ...state, text: state.text.slice(0, -1) } };
  if (key.ctrl && input === 'u') return { next: { ...state, text: '' } };
  if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || !input) return { next: state };
  return { next: { ...state, problem: undefined, text: (state.text + input).slice(0, MAX_ANSWER) } };
}

export function Prompt({ state, width }: { state: PromptState; width: number }) {
  return (
    <Box flexDirection="column" borderStyle="round" width={width} paddingX={1}>
      <Text bold wrap="truncate-end">
        {state.spec.title}
      </Text>
      <Text wrap="truncate-start">
        {state.spec.label}: {state.text}
        <Text inverse> </Text>
      </Text>
      {state.problem ? <Text bold>! {state.problem}</Text> : <Text dimColor>Enter submit · Esc cancel</Text>}
    </Box>
  );
}
