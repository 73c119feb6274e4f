import type { ServerResponse } from 'node:http';

export const DICOM_JSON = 'application/dicom+json';

/** Sends a DICOM JSON body (Nest's @Res() mode: the handler owns the response). */
export function sendDicomJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': DICOM_JSON, 'Content-Length': String(data.length), ...headers });
  res.end(data);
}

/** A PS3.18 error answer: a short reason, never patient data. */
export function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const data = Buffer.from(JSON.stringify({ statusCode: status, message }));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(data.length), ...headers });
  res.end(data);
}
