import { parseReaders, type Reader } from './reader.schema';

const ALWAYS = { kind: 'weekly', timeZone: 'UTC', days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '00:00', end: '00:00' } as const;

/**
 * The reader directory shipped for trying the mesh: a neuroradiologist, a chest and a general radiologist
 * and a supervisor, licensed for the demo site `DEMO` and on shift around the clock. Sites replace it
 * with their own directory (ROUTING_READERS_FILE).
 */
export const DEFAULT_READERS: Reader[] = parseReaders([
  { id: 'neuro-1', name: 'Demo Neuroradiologist', subspecialties: ['neuro'], licences: [{ site: 'DEMO' }], shifts: [ALWAYS], maxConcurrent: 10 },
  { id: 'chest-1', name: 'Demo Chest Radiologist', subspecialties: ['chest', 'general'], licences: [{ site: 'DEMO' }], shifts: [ALWAYS], maxConcurrent: 10 },
  { id: 'general-1', name: 'Demo General Radiologist', subspecialties: ['general'], licences: [{ site: 'DEMO' }], shifts: [ALWAYS], maxConcurrent: 10 },
  { id: 'supervisor-1', name: 'Demo Supervising Radiologist', subspecialties: ['general'], licences: [{ site: 'DEMO' }], shifts: [ALWAYS], maxConcurrent: 5, supervisor: true },
]);
