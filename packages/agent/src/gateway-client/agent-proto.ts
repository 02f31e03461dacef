/** The contract lives in @skiff/rpc; re-exported for the client adapter's modules. */
export * from '@skiff/rpc';
