/** The broker prompt for kubernetes connections (issue 3): one kubectl command per line. */
import type { ClientSession } from '../client/session.js';
import type { ConnectOptions } from './connect.js';

export async function runBrokerPrompt(session: ClientSession, options: ConnectOptions): Promise<number> {
  options.stderr.write(`hoop-shell: ${session.connection} is a kubernetes connection; its prompt is not available in this build\n`);
  await session.close();
  return 1;
}
