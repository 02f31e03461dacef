export * from './chain-names';
export * from './service-ports';
export * from './render-iptables';
export * from './iptables-runner';
export * from './builtin-jumps';
export * from './conntrack';
export * from './proxier';
