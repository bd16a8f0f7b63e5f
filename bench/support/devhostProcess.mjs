/**
 * Resolves with devhost's base URL once the spawned process prints its `ready at` line (rejects if it exits
 * first), then keeps draining its stdout so a chatty devhost never blocks on a full pipe.
 */
export function waitForReady(child) {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (c) => {
      out += c;
      const m = /ready at (http:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`devhost exited (${code}):\n${out}`)));
  });
}
