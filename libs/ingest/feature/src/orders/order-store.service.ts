import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { MeshConfig } from '@triage/config';
import type { PriorStudy } from '@triage/contracts';
import { encounterApplies, mergeOrder, type OrderRecord } from '@triage/ingest-domain';
import { HealthRegistry, MESH_CONFIG, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { Journal } from '../journal';

/** What the listener answered to one message control id, so a resend gets the same answer. */
export interface MessageReceipt {
  /** sha256 of the message with MSH-7 blanked: a resend may carry a new timestamp. */
  digest: string;
  ack: 'AA';
  receivedAt: string;
}

/** The context a study was last handed on with (study.received or study.updated). */
export interface Announcement {
  studyInstanceUid: string;
  /** contextFingerprint() of the announced context */
  fingerprint: string;
  /** priorsFingerprint() of the announced priors; absent when none were announced */
  priorsFingerprint?: string;
  /** 0 for study.received, then the study.updated revision. */
  revision: number;
}

type Kind = 'orders' | 'encounters' | 'messages' | 'announced' | 'priors';
type Entry = { kind: Kind; key: string; value: unknown };

/** Below this many lines the journal is not worth compacting. */
const COMPACT_MIN_LINES = 10_000;

/**
 * Durable store of orders, encounters, message receipts, priors and announcements: an append-only journal
 * (`${DATA_DIR}/orders/journal.jsonl`, group commit, fdatasync before the listener acknowledges; no
 * sender-controlled text reaches a path), replayed into memory at start-up and compacted there.
 */
@Injectable()
export class OrderStore implements OnModuleInit, OnApplicationShutdown {
  private readonly root: string;
  private readonly journal: Journal<Entry>;
  private readonly log: Logger;
  private readonly orders = new Map<string, OrderRecord>();
  private readonly byAccession = new Map<string, string>();
  private readonly byStudyUid = new Map<string, string>();
  private readonly encounters = new Map<string, OrderRecord>();
  private readonly receipts = new Map<string, MessageReceipt>();
  private readonly announced = new Map<string, Announcement>();
  private readonly priors = new Map<string, PriorStudy[]>();

  constructor(
    @Inject(MESH_CONFIG) config: MeshConfig,
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.root = join(resolve(config.DATA_DIR), 'orders');
    this.journal = new Journal<Entry>(join(this.root, 'journal.jsonl'));
    this.log = logger.child({ component: 'order-store' });
  }

  async onModuleInit(): Promise<void> {
    await this.load();
    this.health.register('orders', () => this.checkWritable());
  }

  async load(): Promise<void> {
    const { entries, unreadable } = await this.journal.open();
    for (const e of entries) this.remember(e.kind, e.key, e.value);
    if (unreadable > 0) this.log.error({ lines: unreadable }, 'order journal lines unreadable; skipped');
    const live = this.orders.size + this.encounters.size + this.receipts.size + this.announced.size + this.priors.size;
    // Every change appends a full record: once most lines are superseded, keep only the live ones.
    if (entries.length > COMPACT_MIN_LINES && entries.length > 2 * live) {
      await this.journal.compact(this.liveEntries());
      this.log.info({ before: entries.length, after: live }, 'order journal compacted');
    }
    this.log.info({ orders: this.orders.size, encounters: this.encounters.size, receipts: this.receipts.size }, 'order store loaded');
  }

  /** Last of the shutdown hooks: the MLLP listener has stopped and its messages are answered by then. */
  async onApplicationShutdown(): Promise<void> {
    await this.journal.close();
  }

  async checkWritable(): Promise<void> {
    await fs.access(this.root, fs.constants.W_OK);
  }

  static orderKey(o: Pick<OrderRecord, 'accessionNumber' | 'studyInstanceUid'>): string {
    return o.accessionNumber ? `acc:${o.accessionNumber}` : `uid:${o.studyInstanceUid ?? ''}`;
  }

  static patientKey(p: OrderRecord['patient']): string | undefined {
    return p.id ? `${p.issuer ?? ''}|${p.id}` : undefined;
  }

  /**
   * Stores orders / encounters (and, for an HL7 message, its receipt) in one journal append; returns the
   * records as they stand now. An order is merged onto the one with the same key when it is applied, in
   * journal order, so concurrent updates of one order are never lost and a replay gives the same result.
   */
  async saveRecords(records: OrderRecord[], receipt?: { key: string; value: MessageReceipt }): Promise<OrderRecord[]> {
    for (const r of records) if (r.kind === 'encounter' && !OrderStore.patientKey(r.patient)) throw new Error('encounter without a patient identifier');
    const entries: Entry[] = records.map((r) => ({ kind: r.kind === 'encounter' ? 'encounters' : 'orders', key: '', value: r }));
    if (receipt) entries.push({ kind: 'messages', key: receipt.key, value: receipt.value });
    await this.journal.append(entries);
    for (const e of entries) this.remember(e.kind, e.key, e.value);
    return records.map((r) => (r.kind === 'encounter' ? r : (this.orders.get(this.orderKeyOf(r)) ?? r)));
  }

  async saveRecord(record: OrderRecord): Promise<OrderRecord> {
    const [stored] = await this.saveRecords([record]);
    return stored;
  }

  /** The key an order is kept under: an order first known by its study UID and now by its accession stays one. */
  private orderKeyOf(record: OrderRecord): string {
    const key = OrderStore.orderKey(record);
    if (record.accessionNumber && !this.orders.has(key) && record.studyInstanceUid) return this.byStudyUid.get(record.studyInstanceUid) ?? key;
    return key;
  }

  findOrder(accessionNumber: string | undefined, studyInstanceUid: string): OrderRecord | undefined {
    const key = (accessionNumber && this.byAccession.get(accessionNumber)) || this.byStudyUid.get(studyInstanceUid);
    return key ? this.orders.get(key) : undefined;
  }

  /** The patient's latest encounter if it covers a study received at `studyReceivedAt`. */
  findEncounter(patient: { id?: string; issuer?: string }, studyReceivedAt: string): OrderRecord | undefined {
    const exact = OrderStore.patientKey(patient);
    if (!exact) return undefined;
    const found = this.encounters.get(exact) ?? (patient.issuer ? undefined : [...this.encounters.values()].find((e) => e.patient.id === patient.id));
    return found && encounterApplies(found, studyReceivedAt) ? found : undefined;
  }

  receipt(key: string): MessageReceipt | undefined {
    return this.receipts.get(key);
  }

  announcement(studyUid: string): Announcement | undefined {
    return this.announced.get(studyUid);
  }

  async saveAnnouncement(a: Announcement): Promise<void> {
    await this.write('announced', a.studyInstanceUid, a);
  }

  /** The priors found for a study (undefined: not looked up yet). */
  priorsOf(studyUid: string): PriorStudy[] | undefined {
    return this.priors.get(studyUid);
  }

  async savePriors(studyUid: string, priors: PriorStudy[]): Promise<void> {
    await this.write('priors', studyUid, priors);
  }

  private async write(kind: Kind, key: string, value: unknown): Promise<void> {
    await this.journal.append([{ kind, key, value }]);
    this.remember(kind, key, value);
  }

  private liveEntries(): Entry[] {
    const out: Entry[] = [];
    // Orders and encounters are keyed by their content when applied; their entries carry no key.
    const add = (kind: Kind, m: Map<string, unknown>) => m.forEach((value, key) => out.push({ kind, key: kind === 'orders' || kind === 'encounters' ? '' : key, value }));
    add('orders', this.orders);
    add('encounters', this.encounters);
    add('messages', this.receipts);
    add('announced', this.announced);
    add('priors', this.priors);
    return out;
  }

  private remember(kind: Kind, key: string, value: unknown): void {
    switch (kind) {
      case 'orders': {
        const record = value as OrderRecord;
        const orderKey = this.orderKeyOf(record);
        const order = mergeOrder(this.orders.get(orderKey), record);
        this.orders.set(orderKey, order);
        if (order.accessionNumber) this.byAccession.set(order.accessionNumber, orderKey);
        if (order.studyInstanceUid) this.byStudyUid.set(order.studyInstanceUid, orderKey);
        return;
      }
      case 'encounters': {
        const record = value as OrderRecord;
        this.encounters.set(OrderStore.patientKey(record.patient) ?? '', record);
        return;
      }
      case 'messages':
        this.receipts.set(key, value as MessageReceipt);
        return;
      case 'announced':
        this.announced.set(key, value as Announcement);
        return;
      case 'priors':
        this.priors.set(key, value as PriorStudy[]);
        return;
    }
  }
}
