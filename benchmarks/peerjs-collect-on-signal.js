// Preloaded into the PeerJS server by signaling-load.sh (node --expose-gc -r this file): SIGUSR2 runs a full
// collection, so the load tool's --collect readings see the same thing for Node as for our servers, and prints what
// is live after it (V8's heap in use, and the memory outside it that JavaScript objects hold: sockets' buffers), the
// counterpart of a .NET server's GC heap after a collection.
process.on('SIGUSR2', () => {
  globalThis.gc();
  const m = process.memoryUsage();
  console.log(`live after collection: heapUsed ${m.heapUsed} external ${m.external} arrayBuffers ${m.arrayBuffers} rss ${m.rss}`);
});
