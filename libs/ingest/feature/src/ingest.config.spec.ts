import { IngestConfigError, loadIngestConfig } from './ingest.config';

describe('ingest configuration', () => {
  it('leaves the DIMSE acceptor off by default and gives the documented defaults', () => {
    const config = loadIngestConfig({});
    expect(config.DIMSE_PORT).toBeUndefined();
    expect(config).toMatchObject({ DIMSE_HOST: '127.0.0.1', DIMSE_AE_TITLE: 'TRIAGE_MESH', DIMSE_SOURCES: '*', DIMSE_MAX_ASSOCIATIONS: 16, DIMSE_MAX_PDU_BYTES: 262144, STUDY_QUIET_PERIOD_MS: 10000 });
  });

  it('lists every bad DIMSE setting at once', () => {
    let err: unknown;
    try {
      loadIngestConfig({ DIMSE_PORT: '70000', DIMSE_AE_TITLE: 'A\\B', DIMSE_SOURCES: 'PACS1=5000,NOT VALID TITLE OVER 16' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IngestConfigError);
    const problems = (err as IngestConfigError).problems.join('\n');
    expect(problems).toContain('DIMSE_PORT');
    expect(problems).toContain('DIMSE_AE_TITLE');
    expect(problems).toContain('DIMSE_SOURCES');
  });
});
