// Preloaded into the PeerJS server by signaling-load.sh (node --expose-gc -r this file): SIGUSR2 runs a full
// collection, so the load tool's --collect readings see the same thing for Node as for our servers.
process.on('SIGUSR2', () => globalThis.gc());
