import type { Duplex } from 'node:stream';
import type { AgentSession } from './agent-tunnels';
import { exitStatus, failureStatus } from './channel-protocol';
import { SpdySession, type SpdyStream } from './spdy/spdy-session';

/** The SPDY exec/attach protocols we speak (v5 over SPDY is v4: SPDY closes streams by itself). */
export const SPDY_EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
const STREAM_WAIT_MS = 30_000;

/** The protocol of a SPDY upgrade request we serve, from X-Stream-Protocol-Version. */
export function pickSpdyExecProtocol(header: string | string[] | undefined): string | undefined {
  const offered = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((p) => p.trim());
  return SPDY_EXEC_PROTOCOLS.find((p) => offered.includes(p));
}

interface Expect { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }

/**
 * exec/attach after `Upgrade: SPDY/3.1` (kubectl's fallback, and older
 * clients): the client opens one stream per channel (headers `streamType`:
 * error, stdin, stdout, stderr, resize); the final Status goes on the error
 * stream as JSON, then every stream ends and the connection closes.
 */
export function serveSpdyExec(socket: Duplex, head: Buffer, protocol: string, session: AgentSession, expect: Expect, track: (close: () => void) => () => void): void {
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
  const spdy = new SpdySession(socket);
  const untrack = track(() => spdy.close());
  const streams = new Map<string, SpdyStream>();
  const want = ['error', ...(expect.stdin ? ['stdin'] : []), ...(expect.stdout ? ['stdout'] : []), ...(expect.stderr && !expect.tty ? ['stderr'] : []), ...(expect.tty ? ['resize'] : [])];
  let started = false;
  const timer = setTimeout(() => { if (!started) spdy.close(); }, STREAM_WAIT_MS);

  spdy.on('close', () => {
    clearTimeout(timer);
    untrack();
    session.end();
  });
  spdy.on('stream', (s: SpdyStream) => {
    s.on('error', () => undefined);
    s.reply();
    const type = s.headers.streamtype ?? '';
    if (!want.includes(type) || streams.has(type)) {
      s.reset();
      return;
    }
    streams.set(type, s);
    if (!started && want.every((t) => streams.has(t))) {
      started = true;
      clearTimeout(timer);
      relay(spdy, streams, session, expect.tty);
    }
  });
  spdy.feed(head);
}

function relay(spdy: SpdySession, streams: Map<string, SpdyStream>, session: AgentSession, tty: boolean): void {
  const error = streams.get('error')!;
  const stdin = streams.get('stdin');
  const stdout = streams.get('stdout');
  const stderr = streams.get('stderr');
  const resize = streams.get('resize');
  error.resume();

  if (stdin) {
    stdin.on('data', (chunk: Buffer) => {
      if (!session.write({ stdin: chunk })) {
        stdin.pause();
        void session.drained().then(() => stdin.resume());
      }
    });
    stdin.on('end', () => session.write({ close_stdin: {} }));
  }
  if (resize) {
    let pending = '';
    resize.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          const size = JSON.parse(line) as { Width?: number; Height?: number };
          if (size.Width && size.Height) session.write({ resize: { width: size.Width, height: size.Height } });
        } catch {
          // Not a size: ignored, as the kubelet does.
        }
      }
    });
  }

  const write = (s: SpdyStream | undefined, data: Buffer): void => {
    if (!s || !s.writable) return;
    if (!s.write(data)) {
      session.pause();
      s.once('drain', () => session.resume());
    }
  };
  let done = false;
  const finish = (status: Record<string, unknown>): void => {
    if (done) return;
    done = true;
    for (const s of [stdout, stderr]) if (s?.writable) s.end();
    if (error.writable) error.end(JSON.stringify(status));
    session.end();
    // The kubelet closes the connection once the status is out; the streams' FINs go first.
    setTimeout(() => spdy.goAway(), 50);
  };
  session.onFrame((f) => {
    if (f.frame === 'stdout' && f.stdout?.length) write(stdout, f.stdout);
    else if (f.frame === 'stderr' && f.stderr?.length) write(tty ? stdout : stderr, f.stderr);
    else if (f.frame === 'exit') finish(exitStatus(f.exit?.exit_code ?? 0));
    else if (f.frame === 'failure') finish(failureStatus(f.failure?.message ?? 'the agent failed', f.failure?.reason || 'InternalError', f.failure?.code || 500));
  });
  session.onEnd((err) => finish(failureStatus(`the node ended the session without an exit status${err ? `: ${err.message}` : ''}`)));
}
