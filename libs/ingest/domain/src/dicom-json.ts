import type { DcmjsDict } from './dcmjs.facade';
import type { DicomJsonDataset } from './stow-response.builder';

const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
const PIXEL_DATA = '7FE00010';
/** Binary values above this are left out of metadata instead of being inlined. */
const MAX_INLINE_BINARY = 64 * 1024;

function toBase64(values: unknown[]): string | undefined {
  const parts = values.filter((v): v is ArrayBuffer => v instanceof ArrayBuffer).map((v) => Buffer.from(v));
  const total = parts.reduce((n, p) => n + p.length, 0);
  return total <= MAX_INLINE_BINARY ? Buffer.concat(parts).toString('base64') : undefined;
}

/**
 * Converts a dcmjs dictionary to DICOM JSON (PS3.18 F.2) for WADO-RS metadata: dcmjs internals dropped,
 * small binary values inlined as base64, pixel data and large binaries left out.
 */
export function toDicomJson(dict: DcmjsDict): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const tag of Object.keys(dict).sort()) {
    if (tag === PIXEL_DATA || tag.startsWith('0002')) continue;
    const el = dict[tag];
    const values = Array.isArray(el.Value) ? el.Value : [];
    if (BINARY_VRS.has(el.vr)) {
      const inline = toBase64(values);
      if (inline === undefined) continue;
      out[tag] = inline ? { vr: el.vr, InlineBinary: inline } : { vr: el.vr };
    } else if (el.vr === 'SQ') {
      out[tag] = values.length ? { vr: 'SQ', Value: values.map((item) => toDicomJson(item as DcmjsDict)) } : { vr: 'SQ' };
    } else {
      const clean = values.filter((v) => v !== undefined && v !== null && v !== '');
      out[tag] = clean.length ? { vr: el.vr, Value: clean } : { vr: el.vr };
    }
  }
  return out;
}
