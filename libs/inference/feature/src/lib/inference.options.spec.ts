import { loadInferenceOptions } from './inference.options';

describe('loadInferenceOptions: where pixels may be fetched from', () => {
  it('defaults to the origin of INGEST_PUBLIC_URL, or to anywhere when it is unset', () => {
    expect(loadInferenceOptions({}, { MODELS_DIR: 'm', DATA_DIR: 'var', INGEST_PUBLIC_URL: 'http://triage-ingest:8080/base' }).allowedOrigins).toEqual(['http://triage-ingest:8080']);
    expect(loadInferenceOptions({}, { MODELS_DIR: 'm', DATA_DIR: 'var', INGEST_PUBLIC_URL: undefined }).allowedOrigins).toEqual([]);
  });

  it('takes an explicit list and rejects a malformed entry', () => {
    const env = { INFERENCE_DICOMWEB_ALLOWED_ORIGINS: 'https://pacs.example, http://10.0.0.5:8042' };
    expect(loadInferenceOptions(env, { MODELS_DIR: 'm', DATA_DIR: 'var', INGEST_PUBLIC_URL: 'http://x:1' }).allowedOrigins).toEqual(['https://pacs.example', 'http://10.0.0.5:8042']);
    expect(() => loadInferenceOptions({ INFERENCE_DICOMWEB_ALLOWED_ORIGINS: 'not a url' }, { MODELS_DIR: 'm', DATA_DIR: 'var', INGEST_PUBLIC_URL: undefined })).toThrow(/INFERENCE_DICOMWEB_ALLOWED_ORIGINS/);
  });
});

describe('loadInferenceOptions: manifest reload', () => {
  it('watches with a 30 s rescan and a 500 ms debounce by default, and takes overrides', () => {
    expect(loadInferenceOptions({}, { MODELS_DIR: 'm', DATA_DIR: 'var', INGEST_PUBLIC_URL: undefined }).reload).toEqual({ watch: true, rescanMs: 30_000, debounceMs: 500 });
    const env = { MODELS_RELOAD_WATCH: 'false', MODELS_RELOAD_RESCAN_MS: '0', MODELS_RELOAD_DEBOUNCE_MS: '50' };
    expect(loadInferenceOptions(env, { MODELS_DIR: 'm', DATA_DIR: 'var', INGEST_PUBLIC_URL: undefined }).reload).toEqual({ watch: false, rescanMs: 0, debounceMs: 50 });
    expect(() => loadInferenceOptions({ MODELS_RELOAD_RESCAN_MS: '-1' }, { MODELS_DIR: 'm', DATA_DIR: 'var', INGEST_PUBLIC_URL: undefined })).toThrow(/MODELS_RELOAD_RESCAN_MS/);
  });
});

describe('loadInferenceOptions: runtime and heatmaps', () => {
  const config = { MODELS_DIR: 'm', DATA_DIR: '/srv/triage', INGEST_PUBLIC_URL: undefined };
  it('writes heatmaps under DATA_DIR, with a 5 min run timeout and a queue of 256 by default', () => {
    const o = loadInferenceOptions({}, config);
    expect([o.heatmapsDir, o.runTimeoutMs, o.queueLimit, o.publicUrl]).toEqual(['/srv/triage/heatmaps', 300_000, 256, undefined]);
  });

  it('takes INFERENCE_PUBLIC_URL, INFERENCE_RUN_TIMEOUT_MS and INFERENCE_QUEUE_LIMIT, and rejects bad values', () => {
    const o = loadInferenceOptions({ INFERENCE_PUBLIC_URL: 'https://ai.example/', INFERENCE_RUN_TIMEOUT_MS: '1000', INFERENCE_QUEUE_LIMIT: '8' }, config);
    expect([o.publicUrl, o.runTimeoutMs, o.queueLimit]).toEqual(['https://ai.example/', 1000, 8]);
    expect(() => loadInferenceOptions({ INFERENCE_PUBLIC_URL: 'nope' }, config)).toThrow(/INFERENCE_PUBLIC_URL/);
    expect(() => loadInferenceOptions({ INFERENCE_QUEUE_LIMIT: '0' }, config)).toThrow(/INFERENCE_QUEUE_LIMIT/);
  });
});
