export { AgentTunnels, AgentSession, OPEN_TIMEOUT_MS } from './agent-tunnels';
export { PodStreamsService } from './pod-streams';
export { SpdySession, SpdyStream } from './spdy/spdy-session';
