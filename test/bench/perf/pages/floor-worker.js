// The floor for decide() and cold start: a bare module worker that answers every message at once.
// Nothing here but the platform's own cost of starting a worker and passing a message each way.
self.onmessage = (event) => self.postMessage(event.data);
