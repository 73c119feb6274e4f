import { ageBandOf, ageInYears, studyDemographics } from './demographics';

describe('demographics', () => {
  it('counts whole years, the birthday itself included', () => {
    expect(ageInYears('1980-06-15', '2026-06-14')).toBe(45);
    expect(ageInYears('1980-06-15', '2026-06-15')).toBe(46);
    expect(ageInYears('2030-01-01', '2026-01-01')).toBeUndefined();
    expect(ageInYears('not-a-date', '2026-01-01')).toBeUndefined();
    expect(ageInYears(undefined, '2026-01-01')).toBeUndefined();
  });

  it.each([
    ['2020-01-01', '0-17'],
    ['2008-01-01', '18-39'],
    ['1987-01-02', '18-39'],
    ['1986-01-01', '40-64'],
    ['1961-01-01', '65+'],
    ['1920-01-01', '65+'],
    [undefined, 'unknown'],
  ])('born %s is in band %s on 2026-01-01', (birth, band) => {
    expect(ageBandOf(birth, '2026-01-01')).toBe(band);
  });

  it('uses the study date, else the arrival date; U sex is unknown', () => {
    expect(studyDemographics({ studyDate: '2026-01-01', receivedAt: '2030-05-05T00:00:00Z', patient: { birthDate: '2008-06-01', sex: 'F' }, context: { site: 'S1' } })).toEqual({
      ageBand: '0-17',
      sex: 'F',
      site: 'S1',
    });
    expect(studyDemographics({ receivedAt: '2030-05-05T00:00:00Z', patient: { birthDate: '2008-06-01', sex: 'U' }, context: {} })).toEqual({
      ageBand: '18-39',
      sex: null,
      site: null,
    });
  });
});
