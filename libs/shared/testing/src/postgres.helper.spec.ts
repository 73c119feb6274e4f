import { redactDatabaseUrl, testDatabaseUrl } from './postgres.helper';

describe('testDatabaseUrl', () => {
  it('defaults to triage_test on the local server and honours DATABASE_URL', () => {
    expect(testDatabaseUrl({})).toBe('postgresql://postgres@127.0.0.1:5432/triage_test');
    expect(testDatabaseUrl({ DATABASE_URL: 'postgresql://u@h:1/d' })).toBe('postgresql://u@h:1/d');
  });
});

describe('redactDatabaseUrl', () => {
  it('masks a password and never echoes an unparseable value', () => {
    expect(redactDatabaseUrl('postgresql://u:secret@h:5432/d')).toBe('postgresql://u:***@h:5432/d');
    expect(redactDatabaseUrl('not a url')).not.toContain('not a url');
  });
});
