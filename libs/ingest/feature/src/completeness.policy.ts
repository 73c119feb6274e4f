import { Inject, Injectable } from '@nestjs/common';
import { matchSource, parseDimseSources, type DimseSource } from '@triage/ingest-domain';
import { INGEST_CONFIG, type IngestConfig } from './ingest.config';

/** The configured DIMSE sources and their quiet periods (from DIMSE_SOURCES and STUDY_QUIET_PERIOD_MS). */
@Injectable()
export class CompletenessPolicy {
  readonly sources: { sources: DimseSource[]; any: boolean };

  constructor(@Inject(INGEST_CONFIG) private readonly config: IngestConfig) {
    const { sources, any } = parseDimseSources(config.DIMSE_SOURCES);
    this.sources = { sources, any };
  }

  /** The quiet period for a calling AE (its own, else the default). */
  quietPeriodMs(callingAe: string | undefined): number {
    const source = callingAe === undefined ? undefined : this.sources.sources.find((s) => s.aeTitle === callingAe.trim());
    return source?.quietPeriodMs ?? this.config.STUDY_QUIET_PERIOD_MS;
  }

  /** The source a calling AE from an address matches; `null` when the allow-list refuses it. */
  admit(callingAe: string, peerAddress: string | undefined): DimseSource | undefined | null {
    return matchSource(this.sources, callingAe, peerAddress);
  }
}
