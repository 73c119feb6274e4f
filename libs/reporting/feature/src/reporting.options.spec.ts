import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadReportingOptions } from './reporting.options';

describe('loadReportingOptions', () => {
  const config = { DATA_DIR: 'var' };

  it('turns delivery off unless a FHIR base URL or an MLLP peer is configured', () => {
    const o = loadReportingOptions({}, config);
    expect(o.fhir).toBeUndefined();
    expect(o.mllp).toBeUndefined();
    expect(o.dataDir).toBe(join('var', 'reporting'));
    expect(o.hl7.adtEvent).toBe('A08');
  });

  it('picks static or SMART auth from what is set, and reads the SMART key file', () => {
    expect(loadReportingOptions({ REPORTING_FHIR_BASE_URL: 'http://ehr/fhir', REPORTING_FHIR_TOKEN: 't' }, config).fhir?.auth).toEqual({ kind: 'static', token: 't' });
    const key = join(mkdtempSync(join(tmpdir(), 'smart-')), 'key.pem');
    writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n');
    const smart = loadReportingOptions(
      { REPORTING_FHIR_BASE_URL: 'http://ehr/fhir', REPORTING_SMART_TOKEN_URL: 'http://ehr/token', REPORTING_SMART_CLIENT_ID: 'mesh', REPORTING_SMART_KEY_FILE: key },
      config,
    ).fhir?.auth;
    expect(smart).toMatchObject({ kind: 'smart', clientId: 'mesh', alg: 'RS384', tokenUrl: 'http://ehr/token' });
  });

  it('lists every problem without echoing secret values', () => {
    let message = '';
    try {
      loadReportingOptions({ REPORTING_FHIR_BASE_URL: 'not a url', REPORTING_MLLP_HOST: 'h', REPORTING_HL7_ADT_EVENT: 'X1', REPORTING_FHIR_TOKEN: 'sekrit' }, config);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/REPORTING_FHIR_BASE_URL/);
    expect(message).toMatch(/REPORTING_HL7_ADT_EVENT/);
    expect(message).not.toContain('sekrit');
    expect(() => loadReportingOptions({ REPORTING_MLLP_HOST: 'h' }, config)).toThrow(/set both or neither/);
    expect(() => loadReportingOptions({ REPORTING_FHIR_AUTH: 'smart' }, config)).toThrow(/REPORTING_SMART_TOKEN_URL/);
  });
});
