/**
 * A one-line text prompt (reasons, confirmations). Enter submits, Esc cancels; a required prompt
 * refuses an empty answer and says so. It owns the keyboard while it is open.
 */
import { Box, Text, useInput } from 'ink';
import { useState } from 'react';

export interface PromptSpec {
  title: string;
  label: string;
  required: boolean;
  /** Shown when Enter is pressed on an empty required answer. */
  requiredMessage?: string;
  onSubmit(answer: string): void;
  onCancel?(): void;
}

export function Prompt({ spec, close, width }: { spec: PromptSpec; close: () => void; width: number }) {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string>();
  const submit = (raw: string): void => {
    const answer = raw.trim();
    if (spec.required && answer === '') {
      setProblem(spec.requiredMessage ?? 'an answer is required');
      return;
    }
    close();
    spec.onSubmit(answer);
  };
  useInput((input, key) => {
    if (key.escape) {
      close();
      spec.onCancel?.();
      return;
    }
    // A fast typist or a paste can deliver text and Enter in one chunk: type it, then submit.
    const newline = input.search(/[\r\n]/);
    if (!key.return && newline >= 0) {
      const typed = (text + input.slice(0, newline)).slice(0, 500);
      setText(typed);
      submit(typed);
      return;
    }
    if (key.return) {
      submit(text);
      return;
    }
    if (key.backspace || key.delete) {
      setText((before) => before.slice(0, -1));
      return;
    }
    if (key.ctrl && input === 'u') {
      setText('');
      return;
    }
    if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) return;
    if (input) {
      setProblem(undefined);
      setText((before) => (before + input).slice(0, 500));
    }
  });
  return (
    <Box flexDirection="column" borderStyle="round" width={width} paddingX={1}>
      <Text bold wrap="truncate-end">
        {spec.title}
      </Text>
      <Text wrap="truncate-start">
        {spec.label}: {text}
        <Text inverse> </Text>
      </Text>
      {problem ? <Text bold>! {problem}</Text> : <Text dimColor>Enter submit · Esc cancel</Text>}
    </Box>
  );
}
