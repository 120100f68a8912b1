/** The public client library: `import { Gateway } from 'hoop-shell'`. */
export { Gateway, DEFAULT_GATEWAY_URL, type GatewayClientOptions, type OpenSessionOptions, type ConnectionInfo } from './gateway.js';
export { ClientSession, type RunResult, type RunOptions, type RunHandle, type RunDecision } from './session.js';
export { ClientError } from './errors.js';
export { PROTOCOL_VERSION, Stream, type ServerMessage, type ClientMessageInput } from '../protocol/messages.js';
export { approvalCalls, type Approval, type ApprovalStatus, type Abilities, type SessionRecord, type CommandRecord, type LiveSessionInfo } from './approvals.js';
export { LiveConnection, type LiveEvents } from './live.js';
