export type InferenceErrorCode =
  | 'MODEL_UNAVAILABLE'
  | 'RETRIEVE_FAILED'
  | 'RETRIEVE_UNAVAILABLE'
  | 'MODEL_OUTPUT_INVALID'
  | 'HEATMAP_STORE_FAILED'
  | 'RUN_TIMEOUT'
  | 'OVERLOADED';

/**
 * An inference failure. `retryable` tells the mesh transport whether redelivery can help: a peer that
 * is down or overloaded (retried, then dead-lettered) versus a request it refused (the run fails).
 * Messages carry model ids, UIDs and HTTP statuses, never patient data.
 */
export class InferenceException extends Error {
  constructor(
    readonly code: InferenceErrorCode,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'InferenceException';
  }
}
