/** A parsed media type: lower-case `type/subtype` and its parameters (names lower-case, values unquoted). */
export interface MediaType {
  type: string;
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Parses a Content-Type / Accept member per RFC 9110 (quoted strings, backslash escapes); undefined if malformed. */
export function parseMediaType(value: string | undefined): MediaType | undefined {
  if (!value) return undefined;
  let i = 0;
  const s = value.trim();
  const semi = s.indexOf(';');
  const type = (semi === -1 ? s : s.slice(0, semi)).trim().toLowerCase();
  if (!/^[^/\s]+\/[^/\s]+$/.test(type)) return undefined;
  const params: Record<string, string> = {};
  i = semi === -1 ? s.length : semi + 1;
  while (i < s.length) {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === ';')) i++;
    if (i >= s.length) break;
    const eq = s.indexOf('=', i);
    if (eq === -1) return undefined;
    const name = s.slice(i, eq).trim().toLowerCase();
    if (!TOKEN.test(name)) return undefined;
    i = eq + 1;
    let val = '';
    if (s[i] === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        val += s[i++];
      }
      if (s[i] !== '"') return undefined;
      i++;
    } else {
      const end = s.indexOf(';', i);
      val = (end === -1 ? s.slice(i) : s.slice(i, end)).trim();
      i = end === -1 ? s.length : end;
    }
    params[name] = val;
  }
  return { type, params };
}

/** Splits an Accept header into its members (commas inside quoted strings are kept). */
export function splitAcceptHeader(value: string | undefined): MediaType[] {
  if (!value) return [];
  const members: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      members.push(current);
      current = '';
    } else current += ch;
  }
  members.push(current);
  return members.map((m) => parseMediaType(m)).filter((m): m is MediaType => m !== undefined);
}
