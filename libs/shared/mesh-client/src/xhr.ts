/** dicomweb-client speaks XMLHttpRequest; Node has none, so the xhr2 implementation is installed once. */
export function ensureXmlHttpRequest(): void {
  const g = globalThis as { XMLHttpRequest?: unknown };
  if (!g.XMLHttpRequest) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    g.XMLHttpRequest = require('xhr2');
  }
}
