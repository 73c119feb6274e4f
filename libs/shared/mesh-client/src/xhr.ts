/** dicomweb-client speaks XMLHttpRequest; Node has none, so xhr2's is installed once, globally (any dicomweb-client user in Node calls this). */
export function ensureXmlHttpRequest(): void {
  const g = globalThis as { XMLHttpRequest?: unknown };
  if (!g.XMLHttpRequest) {
    g.XMLHttpRequest = require('xhr2');
  }
}
