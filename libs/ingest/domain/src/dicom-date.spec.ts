import { dicomDateToIso, isoToDicomDate } from './dicom-date';

describe('dicomDateToIso', () => {
  it.each([
    ['20250301', '2025-03-01'],
    ['20240229', '2024-02-29'],
    ['2004.01.19', '2004-01-19'],
    [' 19991231 ', '1999-12-31'],
  ])('converts %s', (da, iso) => expect(dicomDateToIso(da)).toBe(iso));

  it.each(['20250230', '20230229', '20251301', '20250000', '2025030', 'abcdefgh', '', '17000101'])('drops %s', (da) => {
    expect(dicomDateToIso(da)).toBeUndefined();
  });

  it('ignores non-strings and converts back', () => {
    expect(dicomDateToIso(20250301)).toBeUndefined();
    expect(isoToDicomDate('2025-03-01')).toBe('20250301');
  });
});
