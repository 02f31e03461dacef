/** Endpoints (core/v1) and EndpointSlice (discovery.k8s.io/v1) validation. */
import { isIP } from 'node:net';
import type { JsonObject } from '../object';
import { childPath, duplicate, IMMUTABLE, indexPath, invalid, notSupported, required, tooMany } from './field-errors';
import {
  isDNS1123Label, isDNS1123Subdomain, isFullyQualifiedDomainName, isQualifiedName, isValidIP, isValidIPv4, isValidIPv6,
  isValidPortNum, nameIsDNSSubdomain,
} from './name-rules';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta';
import { peek, type Reader } from './typed-read';

export interface NetworkingValidationOptions {
  /**
   * Reject unspecified, loopback and link-local endpoint addresses, as Kubernetes does.
   * Off by default: Skiff's single-machine mode publishes the apiserver at 127.0.0.1.
   */
  rejectSpecialEndpointIPs?: boolean;
}

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function ipv4Octets(ip: string): number[] {
  return ip.split('.').map(Number);
}

/** ValidateNonSpecialIP: an endpoint may not be unspecified, loopback or link-local. */
export function specialIPError(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 4) {
    const [a, b, c] = ipv4Octets(ip);
    if (ip === '0.0.0.0') return `may not be unspecified (${ip})`;
    if (a === 127) return 'may not be in the loopback range (127.0.0.0/8, ::1/128)';
    if (a === 169 && b === 254) return 'may not be in the link-local range (169.254.0.0/16, fe80::/10)';
    if (a === 224 && b === 0 && c === 0) return 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)';
  } else if (family === 6) {
    const lower = ip.toLowerCase();
    if (lower === '::' || /^0*:0*:0*:0*:0*:0*:0*:0*$/.test(lower)) return `may not be unspecified (${ip})`;
    if (lower === '::1') return 'may not be in the loopback range (127.0.0.0/8, ::1/128)';
    if (/^fe[89ab]/.test(lower)) return 'may not be in the link-local range (169.254.0.0/16, fe80::/10)';
    if (lower.startsWith('ff02:')) return 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)';
  }
  return undefined;
}

function endpointPort(r: Reader, port: JsonObject, requireName: boolean, path: string): void {
  const name = r.str(port.name, childPath(path, 'name')) ?? '';
  if (requireName && !name) r.add(required(childPath(path, 'name')));
  else if (name) for (const m of isDNS1123Label(name)) r.add(invalid(childPath(path, 'name'), name, m));
  const num = r.int(port.port, childPath(path, 'port')) ?? 0;
  for (const m of isValidPortNum(num)) r.add(invalid(childPath(path, 'port'), num, m));
  const protocol = r.str(port.protocol, childPath(path, 'protocol'));
  if (protocol === '') r.add(required(childPath(path, 'protocol')));
  else if (protocol !== undefined && !PROTOCOLS.includes(protocol)) r.add(notSupported(childPath(path, 'protocol'), protocol, PROTOCOLS));
  const appProtocol = r.str(port.appProtocol, childPath(path, 'appProtocol'));
  if (appProtocol !== undefined) for (const m of isQualifiedName(appProtocol)) r.add(invalid(childPath(path, 'appProtocol'), appProtocol, m));
}

export function validateEndpoints(r: Reader, ep: JsonObject, opts: NetworkingValidationOptions = {}): void {
  validateObjectMeta(r, ep.metadata, 'metadata', nameIsDNSSubdomain);
  for (const { item: subset, path } of r.objList(ep.subsets, 'subsets')) {
    const addresses = r.objList(subset.addresses, childPath(path, 'addresses'));
    const notReady = r.objList(subset.notReadyAddresses, childPath(path, 'notReadyAddresses'));
    if (addresses.length === 0 && notReady.length === 0) r.add(required(path, 'must specify `addresses` or `notReadyAddresses`'));
    for (const { item, path: p } of [...addresses, ...notReady]) {
      const ip = r.str(item.ip, childPath(p, 'ip')) ?? '';
      const ipErrs = isValidIP(ip);
      for (const m of ipErrs) r.add(invalid(childPath(p, 'ip'), ip, m));
      const hostname = r.str(item.hostname, childPath(p, 'hostname')) ?? '';
      if (hostname) for (const m of isDNS1123Label(hostname)) r.add(invalid(childPath(p, 'hostname'), hostname, m));
      const nodeName = r.str(item.nodeName, childPath(p, 'nodeName'));
      if (nodeName !== undefined) for (const m of isDNS1123Subdomain(nodeName)) r.add(invalid(childPath(p, 'nodeName'), nodeName, m));
      const special = ipErrs.length === 0 && opts.rejectSpecialEndpointIPs === true ? specialIPError(ip) : undefined;
      if (special) r.add(invalid(childPath(p, 'ip'), ip, special));
    }
    const ports = r.objList(subset.ports, childPath(path, 'ports'));
    for (const { item, path: p } of ports) endpointPort(r, item, ports.length > 1, p);
  }
}

export function validateEndpointsUpdate(r: Reader, ep: JsonObject, old: JsonObject, opts: NetworkingValidationOptions = {}): void {
  validateObjectMetaUpdate(r, ep.metadata, old.metadata, 'metadata');
  validateEndpoints(r, ep, opts);
}

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];

export function validateEndpointSlice(r: Reader, slice: JsonObject, opts: NetworkingValidationOptions = {}): void {
  validateObjectMeta(r, slice.metadata, 'metadata', nameIsDNSSubdomain);
  const addressType = r.str(slice.addressType, 'addressType') ?? '';
  if (!addressType) r.add(required('addressType'));
  else if (!ADDRESS_TYPES.includes(addressType)) r.add(notSupported('addressType', addressType, ADDRESS_TYPES));
  const endpoints = r.objList(slice.endpoints, 'endpoints');
  if (endpoints.length > 1000) r.add(tooMany('endpoints', endpoints.length, 1000));
  for (const { item, path } of endpoints) {
    const ap = childPath(path, 'addresses');
    const addresses = r.strList(item.addresses, ap) ?? [];
    if (addresses.length === 0) r.add(required(ap, 'must contain at least 1 address'));
    else if (addresses.length > 100) r.add(tooMany(ap, addresses.length, 100));
    addresses.forEach((a, i) => {
      const p = indexPath(ap, i);
      let errs: string[] = [];
      if (addressType === 'IPv4') errs = isValidIPv4(a);
      else if (addressType === 'IPv6') errs = isValidIPv6(a);
      else if (addressType === 'FQDN') errs = isFullyQualifiedDomainName(a);
      for (const m of errs) r.add(invalid(p, a, m));
      const special = errs.length === 0 && addressType !== 'FQDN' && opts.rejectSpecialEndpointIPs === true ? specialIPError(a) : undefined;
      if (special) r.add(invalid(p, a, special));
    });
    const conditions = r.obj(item.conditions, childPath(path, 'conditions'));
    if (conditions) for (const k of ['ready', 'serving', 'terminating']) r.bool(conditions[k], childPath(path, 'conditions', k));
    const nodeName = r.str(item.nodeName, childPath(path, 'nodeName'));
    if (nodeName !== undefined) for (const m of isDNS1123Subdomain(nodeName)) r.add(invalid(childPath(path, 'nodeName'), nodeName, m));
    const hostname = r.str(item.hostname, childPath(path, 'hostname'));
    if (hostname !== undefined) for (const m of isDNS1123Label(hostname)) r.add(invalid(childPath(path, 'hostname'), hostname, m));
    r.obj(item.targetRef, childPath(path, 'targetRef'));
  }
  const ports = r.objList(slice.ports, 'ports');
  if (ports.length > 20000) r.add(tooMany('ports', ports.length, 20000));
  const names = new Set<string>();
  for (const { item, path } of ports) {
    const name = r.str(item.name, childPath(path, 'name')) ?? '';
    if (name) for (const m of isDNS1123Label(name)) r.add(invalid(childPath(path, 'name'), name, m));
    if (names.has(name)) r.add(duplicate(childPath(path, 'name'), name));
    else names.add(name);
    const protocol = r.str(item.protocol, childPath(path, 'protocol'));
    if (protocol !== undefined && !PROTOCOLS.includes(protocol)) r.add(notSupported(childPath(path, 'protocol'), protocol, PROTOCOLS));
    const port = r.int(item.port, childPath(path, 'port'));
    if (port !== undefined) for (const m of isValidPortNum(port)) r.add(invalid(childPath(path, 'port'), port, m));
    const appProtocol = r.str(item.appProtocol, childPath(path, 'appProtocol'));
    if (appProtocol !== undefined) for (const m of isQualifiedName(appProtocol)) r.add(invalid(childPath(path, 'appProtocol'), appProtocol, m));
  }
}

export function validateEndpointSliceUpdate(r: Reader, slice: JsonObject, old: JsonObject, opts: NetworkingValidationOptions = {}): void {
  validateObjectMetaUpdate(r, slice.metadata, old.metadata, 'metadata');
  validateEndpointSlice(r, slice, opts);
  const now = peek.str(slice.addressType) ?? '';
  if (now !== (peek.str(old.addressType) ?? '')) r.add(invalid('addressType', now, IMMUTABLE));
}
