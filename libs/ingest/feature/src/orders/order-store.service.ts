import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { MeshConfig } from '@triage/config';
import type { PriorStudy } from '@triage/contracts';
import { encounterApplies, mergeOrder, type OrderRecord } from '@triage/ingest-domain';
import { HealthRegistry, MESH_CONFIG, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { writeFileAtomic } from '../atomic-file';

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

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * Durable store of orders, encounters, message receipts, priors and announcements under `${DATA_DIR}/orders/`: one
 * JSON file per item (named by a sha256 of its key, so no sender-controlled text reaches a path), written
 * with fsync before the listener acknowledges. Kept in memory too; loaded at start-up.
 */
@Injectable()
export class OrderStore implements OnModuleInit {
  private readonly root: string;
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
    this.log = logger.child({ component: 'order-store' });
  }

  async onModuleInit(): Promise<void> {
    await this.load();
    this.health.register('orders', () => this.checkWritable());
  }

  async load(): Promise<void> {
    for (const kind of ['orders', 'encounters', 'messages', 'announced', 'priors'] as Kind[]) {
      const dir = join(this.root, kind);
      await fs.mkdir(dir, { recursive: true });
      for (const name of await fs.readdir(dir)) {
        if (!/^[0-9a-f]{64}\.json$/.test(name)) continue;
        try {
          const item = JSON.parse(await fs.readFile(join(dir, name), 'utf8')) as { key: string; value: unknown };
          this.remember(kind, item.key, item.value);
        } catch (err) {
          this.log.error({ kind, file: name, reason: (err as Error).message }, 'order store file unreadable; skipped');
        }
      }
    }
    this.log.info({ orders: this.orders.size, encounters: this.encounters.size, receipts: this.receipts.size }, 'order store loaded');
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

  /** Stores an order (merged onto the one with the same key) or an encounter durably; returns what is stored now. */
  async saveRecord(record: OrderRecord): Promise<OrderRecord> {
    if (record.kind === 'encounter') {
      const key = OrderStore.patientKey(record.patient);
      if (!key) throw new Error('encounter without a patient identifier');
      await this.write('encounters', key, record);
      return record;
    }
    let key = OrderStore.orderKey(record);
    // An order first known by its study UID and now by its accession number stays one order.
    if (record.accessionNumber && !this.orders.has(key) && record.studyInstanceUid) key = this.byStudyUid.get(record.studyInstanceUid) ?? key;
    const merged = mergeOrder(this.orders.get(key), record);
    await this.write('orders', key, merged);
    return merged;
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

  async saveReceipt(key: string, receipt: MessageReceipt): Promise<void> {
    await this.write('messages', key, receipt);
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
    await writeFileAtomic(join(this.root, kind, `${sha(`${kind}\n${key}`)}.json`), JSON.stringify({ key, value }));
    this.remember(kind, key, value);
  }

  private remember(kind: Kind, key: string, value: unknown): void {
    switch (kind) {
      case 'orders': {
        const order = value as OrderRecord;
        this.orders.set(key, order);
        if (order.accessionNumber) this.byAccession.set(order.accessionNumber, key);
        if (order.studyInstanceUid) this.byStudyUid.set(order.studyInstanceUid, key);
        return;
      }
      case 'encounters':
        this.encounters.set(key, value as OrderRecord);
        return;
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
