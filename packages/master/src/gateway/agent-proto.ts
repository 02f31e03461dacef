/** The contract lives in @skiff/rpc; re-exported for the gateway's modules. */
export * from '@skiff/rpc';
