import { SdpError, type IceCandidate } from './session-description.js';

const TYPES = new Set(['host', 'srflx', 'prflx', 'relay']);

/**
 * `candidate:...` (RFC 8839 §5.1, the value of `a=candidate` and of RTCIceCandidate.candidate) to
 * the fields XEP-0176 carries. Extension attributes other than `generation` and `network-id`
 * (`ufrag`: on the transport; `network-cost`, `tcptype`) are not signalled.
 */
export function parseCandidate(line: string): IceCandidate {
  const text = line.replace(/^a=/, '').replace(/^candidate:/, '');
  const f = text.trim().split(/\s+/);
  if (f.length < 8 || f[6] !== 'typ') throw new SdpError(`not an ICE candidate: "${line}"`);
  const [foundation, component, protocol, priority, ip, port, , type] = f as [string, string, string, string, string, string, string, string];
  if (!TYPES.has(type)) throw new SdpError(`unknown candidate type "${type}" in "${line}"`);
  const c: IceCandidate = {
    foundation,
    component: toInt(component, 'component', line),
    protocol: protocol.toLowerCase(),
    priority: toInt(priority, 'priority', line),
    ip,
    port: toInt(port, 'port', line),
    type: type as IceCandidate['type'],
    generation: 0,
  };
  for (let i = 8; i + 1 < f.length; i += 2) {
    const [k, v] = [f[i]!, f[i + 1]!];
    if (k === 'raddr') c.relAddr = v;
    else if (k === 'rport') c.relPort = toInt(v, 'rport', line);
    else if (k === 'generation') c.generation = toInt(v, 'generation', line);
    else if (k === 'network-id') c.network = toInt(v, 'network-id', line);
  }
  return c;
}

/** The inverse of `parseCandidate`, without the `a=` prefix. */
export function writeCandidate(c: IceCandidate): string {
  let s = `candidate:${c.foundation} ${c.component} ${c.protocol} ${c.priority} ${c.ip} ${c.port} typ ${c.type}`;
  if (c.relAddr !== undefined && c.relPort !== undefined) s += ` raddr ${c.relAddr} rport ${c.relPort}`;
  s += ` generation ${c.generation}`;
  if (c.network !== undefined) s += ` network-id ${c.network}`;
  return s;
}

export function toInt(v: string, what: string, where: string): number {
  if (!/^\d+$/.test(v)) throw new SdpError(`${what} "${v}" is not a number in "${where}"`);
  return Number(v);
}
