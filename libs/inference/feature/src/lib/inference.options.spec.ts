import { loadInferenceOptions } from './inference.options';

describe('loadInferenceOptions: where pixels may be fetched from', () => {
  it('defaults to the origin of INGEST_PUBLIC_URL, or to anywhere when it is unset', () => {
    expect(loadInferenceOptions({}, { MODELS_DIR: 'm', INGEST_PUBLIC_URL: 'http://triage-ingest:8080/base' }).allowedOrigins).toEqual(['http://triage-ingest:8080']);
    expect(loadInferenceOptions({}, { MODELS_DIR: 'm', INGEST_PUBLIC_URL: undefined }).allowedOrigins).toEqual([]);
  });

  it('takes an explicit list and rejects a malformed entry', () => {
    const env = { INFERENCE_DICOMWEB_ALLOWED_ORIGINS: 'https://pacs.example, http://10.0.0.5:8042' };
    expect(loadInferenceOptions(env, { MODELS_DIR: 'm', INGEST_PUBLIC_URL: 'http://x:1' }).allowedOrigins).toEqual(['https://pacs.example', 'http://10.0.0.5:8042']);
    expect(() => loadInferenceOptions({ INFERENCE_DICOMWEB_ALLOWED_ORIGINS: 'not a url' }, { MODELS_DIR: 'm', INGEST_PUBLIC_URL: undefined })).toThrow(/INFERENCE_DICOMWEB_ALLOWED_ORIGINS/);
  });
});

describe('loadInferenceOptions: manifest reload', () => {
  it('watches with a 30 s rescan and a 500 ms debounce by default, and takes overrides', () => {
    expect(loadInferenceOptions({}, { MODELS_DIR: 'm', INGEST_PUBLIC_URL: undefined }).reload).toEqual({ watch: true, rescanMs: 30_000, debounceMs: 500 });
    const env = { MODELS_RELOAD_WATCH: 'false', MODELS_RELOAD_RESCAN_MS: '0', MODELS_RELOAD_DEBOUNCE_MS: '50' };
    expect(loadInferenceOptions(env, { MODELS_DIR: 'm', INGEST_PUBLIC_URL: undefined }).reload).toEqual({ watch: false, rescanMs: 0, debounceMs: 50 });
    expect(() => loadInferenceOptions({ MODELS_RELOAD_RESCAN_MS: '-1' }, { MODELS_DIR: 'm', INGEST_PUBLIC_URL: undefined })).toThrow(/MODELS_RELOAD_RESCAN_MS/);
  });
});
