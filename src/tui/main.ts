/** `hoop-tui`: the approver's console (issue 7). */
export async function main(): Promise<void> {
  process.stderr.write('hoop-tui: the approver console arrives in a later release; use `hoop-shell sessions` meanwhile\n');
  process.exitCode = 1;
}
