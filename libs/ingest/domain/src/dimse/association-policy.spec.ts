import { chooseTransferSyntax, isAeTitle, isStorageSopClass, matchSource, parseDimseSources, VERIFICATION_SOP_CLASS } from './association-policy';

describe('association policy', () => {
  it('knows storage SOP classes from other services', () => {
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.2')).toBe(true); // CT Image Storage
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.88.22')).toBe(true); // Enhanced SR
    expect(isStorageSopClass('1.2.840.10008.5.1.4.38.1')).toBe(true); // Hanging Protocol Storage
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.2.2.1')).toBe(false); // Study Root C-FIND
    expect(isStorageSopClass(VERIFICATION_SOP_CLASS)).toBe(false);
  });

  it('keeps the sender’s first acceptable syntax, implicit only as a last resort, never deflate (BAD-INPUTS 4)', () => {
    const ct = '1.2.840.10008.5.1.4.1.1.2';
    expect(chooseTransferSyntax(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1'], ct)).toBe('1.2.840.10008.1.2.1');
    expect(chooseTransferSyntax(['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.1'], ct)).toBe('1.2.840.10008.1.2.4.90');
    expect(chooseTransferSyntax(['1.2.840.10008.1.2'], ct)).toBe('1.2.840.10008.1.2');
    expect(chooseTransferSyntax(['1.2.840.10008.1.2.1.99'], ct)).toBeUndefined();
    expect(chooseTransferSyntax(['1.2.3.4.5'], ct)).toBeUndefined();
    expect(chooseTransferSyntax(['1.2.840.10008.1.2.4.50'], VERIFICATION_SOP_CLASS)).toBeUndefined();
  });

  it('parses DIMSE_SOURCES and matches calling AEs by title and host', () => {
    const parsed = parseDimseSources('PACS1@10.0.0.5=30000, CT_SCANNER, ORTHANC=1000');
    expect(parsed.problems).toEqual([]);
    expect(parsed.any).toBe(false);
    expect(parsed.sources).toEqual([{ aeTitle: 'PACS1', host: '10.0.0.5', quietPeriodMs: 30000 }, { aeTitle: 'CT_SCANNER' }, { aeTitle: 'ORTHANC', quietPeriodMs: 1000 }]);
    expect(matchSource(parsed, 'PACS1', '::ffff:10.0.0.5')).toEqual(parsed.sources[0]);
    expect(matchSource(parsed, 'PACS1', '10.0.0.6')).toBeNull();
    expect(matchSource(parsed, 'CT_SCANNER ', '127.0.0.1')).toEqual(parsed.sources[1]);
    expect(matchSource(parsed, 'INTRUDER', '127.0.0.1')).toBeNull();
    expect(matchSource(parseDimseSources('*'), 'ANYONE', '127.0.0.1')).toBeUndefined();
    expect(parseDimseSources('BAD\\AE,THIS_TITLE_IS_TOO_LONG=5').problems).toHaveLength(2);
    expect(isAeTitle('STORESCU')).toBe(true);
    expect(isAeTitle('    ')).toBe(false);
  });
});
