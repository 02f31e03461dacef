export { run } from './main';
export * from './kubeconfig';
export * from './client';
export * from './discovery';
export { tabwrite } from './printers/tabwriter';
export { toGoYaml } from './printers/goyaml';
export { goJson, printJson } from './printers/gojson';
export { jsonpath } from './printers/jsonpath';
export { printTable, formatLabels } from './printers/table';
