/**
 * The WebSocket "channel" protocols of exec and attach (`v5.channel.k8s.io`,
 * `v4.channel.k8s.io`): every binary message starts with a channel byte.
 */

export const CHANNEL_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
export type ChannelProtocol = (typeof CHANNEL_PROTOCOLS)[number];

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const ERROR = 3;
export const RESIZE = 4;
/** v5: `[255, <channel>]` closes that channel (`ff 00`: stdin EOF). */
export const CLOSE = 255;

/** The protocols a client offers (Sec-WebSocket-Protocol, comma separated). */
export function offeredProtocols(header: string | string[] | undefined): string[] {
  const raw = Array.isArray(header) ? header.join(',') : header ?? '';
  return raw.split(',').map((p) => p.trim()).filter(Boolean);
}

/** The first protocol we speak among those offered, in our order of preference. */
export function pickProtocol<T extends string>(offered: string[], supported: readonly T[]): T | undefined {
  return supported.find((p) => offered.includes(p));
}

export type ClientMessage =
  | { kind: 'stdin'; data: Buffer }
  | { kind: 'resize'; width: number; height: number }
  | { kind: 'close'; channel: number }
  | { kind: 'ignored' };

/** What one client message means. */
export function parseClientMessage(msg: Buffer, protocol: ChannelProtocol): ClientMessage {
  if (msg.length === 0) return { kind: 'ignored' };
  const ch = msg[0]!;
  const payload = msg.subarray(1);
  if (ch === STDIN) return payload.length ? { kind: 'stdin', data: payload } : { kind: 'ignored' };
  if (ch === RESIZE) {
    try {
      const size = JSON.parse(payload.toString('utf8')) as { Width?: unknown; Height?: unknown };
      const width = Number(size.Width);
      const height = Number(size.Height);
      if (Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0) return { kind: 'resize', width, height };
    } catch {
      // A malformed size is dropped, as the kubelet does.
    }
    return { kind: 'ignored' };
  }
  if (ch === CLOSE && protocol === 'v5.channel.k8s.io' && payload.length >= 1) return { kind: 'close', channel: payload[0]! };
  return { kind: 'ignored' };
}

export function channelMessage(channel: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return Buffer.concat([Buffer.from([channel]), body]);
}

/** The final Status on channel 3: Success for exit code 0, NonZeroExitCode with the code otherwise. */
export function exitStatus(code: number): Record<string, unknown> {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {}, status: 'Failure', message: `command terminated with non-zero exit code: exit status ${code}`,
    reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

export function failureStatus(message: string, reason = 'InternalError', code = 500): Record<string, unknown> {
  return { metadata: {}, status: 'Failure', message, reason, code };
}
