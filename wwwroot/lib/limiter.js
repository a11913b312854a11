// Runs at most `limit` tasks at once, in the order they were scheduled. The service computes each
// request on the CPU, so a few at a time finish sooner than all at once, and the first cells fill first.

export function createLimiter(limit) {
  let running = 0;
  const waiting = [];

  function startNext() {
    while (running < limit && waiting.length > 0) {
      const { task, signal, resolve, reject } = waiting.shift();
      if (signal?.aborted) {
        reject(signal.reason);
        continue;
      }
      running++;
      Promise.resolve()
        .then(task)
        .then(resolve, reject)
        .finally(() => {
          running--;
          startNext();
        });
    }
  }

  /** Schedules task(); a task aborted while it waits never starts. */
  return function schedule(task, signal) {
    return new Promise((resolve, reject) => {
      waiting.push({ task, signal, resolve, reject });
      startNext();
    });
  };
}
