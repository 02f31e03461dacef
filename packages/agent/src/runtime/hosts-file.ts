import type { PodHosts } from './runtime';

/** The kubelet's managed /etc/hosts for a pod (pkg/kubelet/kubelet_pods.go managedHostsFileContent). */
export function renderHostsFile(h: PodHosts): string {
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  for (const ip of h.podIPs) {
    lines.push(h.fqdn ? `${ip}\t${h.fqdn}\t${h.hostname}` : `${ip}\t${h.hostname}`);
  }
  let out = lines.join('\n') + '\n';
  if (h.hostAliases && h.hostAliases.length > 0) {
    out += '\n# Entries added by HostAliases.\n';
    for (const a of h.hostAliases) out += `${a.ip}\t${a.hostnames.join('\t')}\n`;
  }
  return out;
}
