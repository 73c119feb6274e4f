import { z } from 'zod';

/** The five services of the mesh; every event names the one that produced it. */
export const SERVICES = ['ingest', 'inference', 'routing', 'reporting', 'audit'] as const;
export type ServiceName = (typeof SERVICES)[number];
export const ServiceNameSchema = z.enum(SERVICES);

/** DICOM UID (PS3.5 §9.1): dot-separated numeric components without leading zeros, at most 64 characters. */
export const DicomUidSchema = z
  .string()
  .max(64)
  .regex(/^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/, 'not a valid DICOM UID')
  .describe('DICOM UID (PS3.5 9.1), at most 64 characters');

export const CodingSchema = z
  .object({
    system: z.string().min(1).describe('Code system URI, e.g. http://snomed.info/sct or http://radelement.org'),
    code: z.string().min(1),
    display: z.string().optional(),
  })
  .describe('A coded concept (FHIR Coding shape)');
export type Coding = z.infer<typeof CodingSchema>;

export const PrioritySchema = z.enum(['critical', 'urgent', 'routine']).describe('Triage priority');
export type Priority = z.infer<typeof PrioritySchema>;

export const ModelModeSchema = z
  .enum(['active', 'shadow'])
  .describe('active results may change priority and alerts; shadow results are recorded and audited only');
export type ModelMode = z.infer<typeof ModelModeSchema>;

export const PatientSchema = z
  .object({
    id: z.string().min(1).max(64).optional().describe('PHI. PatientID (0010,0020) as sent by the source; absent when the source sent none'),
    issuer: z.string().max(64).optional().describe('PHI. IssuerOfPatientID (0010,0021)'),
    name: z.string().max(324).optional().describe('PHI. PatientName (0010,0010), DICOM PN with ^ separators'),
    birthDate: z.iso.date().optional().describe('PHI. PatientBirthDate as an ISO date'),
    sex: z.enum(['M', 'F', 'O', 'U']).optional().describe('PatientSex (0010,0040)'),
  })
  .describe('Patient demographics. Contains PHI: never log, never use as a metrics label.');
export type Patient = z.infer<typeof PatientSchema>;

export const ClinicalContextSchema = z
  .object({
    patientClass: z.enum(['emergency', 'inpatient', 'outpatient', 'unknown']).default('unknown'),
    orderPriority: z.enum(['stat', 'asap', 'routine', 'unknown']).default('unknown'),
    reasonForExam: z.string().max(1024).optional().describe('PHI-bearing free text from the order'),
    orderingProvider: z.string().max(256).optional(),
    site: z.string().max(64).optional().describe('Site / facility code the study belongs to'),
  })
  .describe('Order and encounter context joined onto the study (HL7 ORM/ADT, FHIR ServiceRequest)');
export type ClinicalContext = z.infer<typeof ClinicalContextSchema>;

export const PriorStudySchema = z
  .object({
    studyInstanceUid: DicomUidSchema,
    accessionNumber: z.string().max(16).optional(),
    studyDate: z.iso.date().optional(),
    studyDescription: z.string().max(64).optional(),
    modalities: z.array(z.string().min(1).max(16)).optional().describe('ModalitiesInStudy as the PACS reports it'),
    retrieveUrl: z.url().describe('WADO-RS URL of the prior study in the PACS it was found in'),
  })
  .describe("An earlier study of the same patient, found in the configured PACS through QIDO-RS, for comparison");
export type PriorStudy = z.infer<typeof PriorStudySchema>;

/** What every stage after ingest needs to know about a study; carried forward event to event. */
export const StudyRefSchema = z
  .object({
    studyInstanceUid: DicomUidSchema,
    accessionNumber: z.string().max(16).optional().describe('AccessionNumber (0008,0050)'),
    studyDate: z.iso.date().optional(),
    studyDescription: z.string().max(64).optional(),
    modalities: z.array(z.string().min(1).max(16)).min(1).describe('ModalitiesInStudy'),
    bodyPart: z.string().max(16).optional().describe('BodyPartExamined (0018,0015) of the first series that has one'),
    patient: PatientSchema,
    context: ClinicalContextSchema,
    priors: z.array(PriorStudySchema).max(50).optional().describe('Earlier studies of the patient (newest first); absent until looked up'),
    receivedAt: z.iso.datetime({ offset: true }).describe('When the mesh accepted the first instance'),
  })
  .describe('A study as known to the mesh');
export type StudyRef = z.infer<typeof StudyRefSchema>;
