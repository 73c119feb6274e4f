/** dicomweb-client speaks XMLHttpRequest; Node has none, so the xhr2 implementation is installed once. */
export function ensureXmlHttpRequest(): void {
  const g = globalThis as { XMLHttpRequest?: unknown };
  if (!g.XMLHttpRequest) {
    g.XMLHttpRequest = require('xhr2');
  }
}
