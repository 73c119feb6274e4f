/**
 * The DICOM PS3.15 Annex E Basic Application Level Confidentiality Profile as an action per attribute
 * (table E.1-1, "Basic Profile" column, no options). Where the table allows a choice (X/Z, Z/D, X/Z/D) the
 * choice that keeps a valid instance is taken: Z for attributes that are type 2 in the common IODs, else X.
 * Rules by VR and group (applied after the table, see `actionFor`) cover the long tail the table lists one
 * by one: every UID outside the DICOM root is replaced (U), dates and times are emptied, person names are
 * emptied, private attributes, curves (50xx) and overlay data / comments (60xx) are removed.
 */
export type DeidAction = 'X' | 'Z' | 'U' | 'K' | 'P';

/** P: replaced by the patient's pseudonym (PatientName, PatientID). */
const TABLE: Record<string, DeidAction> = {
  '00100010': 'P', // PatientName
  '00100020': 'P', // PatientID
  '00080050': 'Z', // AccessionNumber
  '00080090': 'Z', // ReferringPhysicianName
  '00100030': 'Z', // PatientBirthDate
  '00100040': 'Z', // PatientSex
  '00200010': 'Z', // StudyID
  '00402016': 'Z', // PlacerOrderNumberImagingServiceRequest
  '00402017': 'Z', // FillerOrderNumberImagingServiceRequest
  '00080080': 'X', // InstitutionName
  '00080081': 'X', // InstitutionAddress
  '00080082': 'X', // InstitutionCodeSequence
  '00080092': 'X', // ReferringPhysicianAddress
  '00080094': 'X', // ReferringPhysicianTelephoneNumbers
  '00080096': 'X', // ReferringPhysicianIdentificationSequence
  '00080201': 'X', // TimezoneOffsetFromUTC
  '00081010': 'X', // StationName
  '00081030': 'X', // StudyDescription
  '0008103E': 'X', // SeriesDescription
  '00081040': 'X', // InstitutionalDepartmentName
  '00081048': 'X', // PhysiciansOfRecord
  '00081049': 'X', // PhysiciansOfRecordIdentificationSequence
  '00081050': 'X', // PerformingPhysicianName
  '00081052': 'X', // PerformingPhysicianIdentificationSequence
  '00081060': 'X', // NameOfPhysiciansReadingStudy
  '00081062': 'X', // PhysiciansReadingStudyIdentificationSequence
  '00081070': 'X', // OperatorsName
  '00081072': 'X', // OperatorIdentificationSequence
  '00081080': 'X', // AdmittingDiagnosesDescription
  '00081084': 'X', // AdmittingDiagnosesCodeSequence
  '00081110': 'X', // ReferencedStudySequence
  '00081111': 'X', // ReferencedPerformedProcedureStepSequence
  '00081120': 'X', // ReferencedPatientSequence
  '00082111': 'X', // DerivationDescription
  '00100021': 'X', // IssuerOfPatientID
  '00100032': 'X', // PatientBirthTime
  '00100050': 'X', // PatientInsurancePlanCodeSequence
  '00100101': 'X', // PatientPrimaryLanguageCodeSequence
  '00101000': 'X', // OtherPatientIDs
  '00101001': 'X', // OtherPatientNames
  '00101002': 'X', // OtherPatientIDsSequence
  '00101005': 'X', // PatientBirthName
  '00101010': 'X', // PatientAge
  '00101020': 'X', // PatientSize
  '00101030': 'X', // PatientWeight
  '00101040': 'X', // PatientAddress
  '00101060': 'X', // PatientMotherBirthName
  '00101080': 'X', // MilitaryRank
  '00101081': 'X', // BranchOfService
  '00101090': 'X', // MedicalRecordLocator
  '00102000': 'X', // MedicalAlerts
  '00102110': 'X', // Allergies
  '00102150': 'X', // CountryOfResidence
  '00102152': 'X', // RegionOfResidence
  '00102154': 'X', // PatientTelephoneNumbers
  '00102160': 'X', // EthnicGroup
  '00102180': 'X', // Occupation
  '001021A0': 'X', // SmokingStatus
  '001021B0': 'X', // AdditionalPatientHistory
  '001021C0': 'X', // PregnancyStatus
  '001021F0': 'X', // PatientReligiousPreference
  '00102203': 'X', // PatientSexNeutered
  '00102297': 'X', // ResponsiblePerson
  '00102299': 'X', // ResponsibleOrganization
  '00104000': 'X', // PatientComments
  '00181000': 'X', // DeviceSerialNumber
  '00181004': 'X', // PlateID
  '00181005': 'X', // GeneratorID
  '00181007': 'X', // CassetteID
  '00181008': 'X', // GantryID
  '00181030': 'X', // ProtocolName
  '00181400': 'X', // AcquisitionDeviceProcessingDescription
  '00184000': 'X', // AcquisitionComments
  '0018700A': 'X', // DetectorID
  '00189424': 'X', // AcquisitionProtocolDescription
  '00204000': 'X', // ImageComments
  '00321032': 'X', // RequestingPhysician
  '00321033': 'X', // RequestingService
  '00321060': 'X', // RequestedProcedureDescription
  '00321070': 'X', // RequestedContrastAgent
  '00324000': 'X', // StudyComments
  '00380010': 'X', // AdmissionID
  '00380300': 'X', // CurrentPatientLocation
  '00380400': 'X', // PatientInstitutionResidence
  '00380500': 'X', // PatientState
  '00384000': 'X', // VisitComments
  '00400001': 'X', // ScheduledStationAETitle
  '00400006': 'X', // ScheduledPerformingPhysicianName
  '00400007': 'X', // ScheduledProcedureStepDescription
  '00400010': 'X', // ScheduledStationName
  '00400011': 'X', // ScheduledProcedureStepLocation
  '00400241': 'X', // PerformedStationAETitle
  '00400242': 'X', // PerformedStationName
  '00400243': 'X', // PerformedLocation
  '00400253': 'X', // PerformedProcedureStepID
  '00400254': 'X', // PerformedProcedureStepDescription
  '00400275': 'X', // RequestAttributesSequence
  '00400280': 'X', // CommentsOnThePerformedProcedureStep
  '00401001': 'X', // RequestedProcedureID
  '00401004': 'X', // PatientTransportArrangements
  '00401005': 'X', // RequestedProcedureLocation
  '00401010': 'X', // NamesOfIntendedRecipientsOfResults
  '00401400': 'X', // RequestedProcedureComments
  '00402001': 'X', // ReasonForTheImagingServiceRequest
  '00402008': 'X', // OrderEnteredBy
  '00402009': 'X', // OrderEntererLocation
  '00402010': 'X', // OrderCallbackPhoneNumber
  '00402400': 'X', // ImagingServiceRequestComments
  '0040A123': 'X', // PersonName
  '0040A730': 'X', // ContentSequence
  '00880200': 'X', // IconImageSequence
  '04000561': 'X', // OriginalAttributesSequence
  '40000010': 'X', // Arbitrary
  '40004000': 'X', // TextComments
  FFFAFFFA: 'X', // DigitalSignaturesSequence
  // Class and scheme identifiers name no one; kept even under a vendor root (only instance UIDs are replaced).
  '00080016': 'K', // SOPClassUID
  '0008001A': 'K', // RelatedGeneralSOPClassUID
  '0008001B': 'K', // OriginalSpecializedSOPClassUID
  '00081150': 'K', // ReferencedSOPClassUID
  '0008010C': 'K', // CodingSchemeUID
  '0008010D': 'K', // ContextGroupExtensionCreatorUID
  '00080118': 'K', // MappingResourceUID
  '00080018': 'U', // SOPInstanceUID
  '0020000D': 'U', // StudyInstanceUID
  '0020000E': 'U', // SeriesInstanceUID
};

/** The UID root of DICOM itself: SOP classes, transfer syntaxes, coding schemes. Kept as they are. */
const DICOM_ROOT = '1.2.840.10008.';

/** What the profile does with one attribute, given its tag (8 hex digits, upper case), VR and value. */
export function actionFor(tag: string, vr: string, value: unknown): DeidAction {
  const listed = TABLE[tag];
  if (listed) return listed;
  const group = parseInt(tag.slice(0, 4), 16);
  if (group % 2 === 1) return 'X'; // private attributes (and private creators)
  if (tag.startsWith('50')) return 'X'; // curves (retired)
  if (tag.startsWith('60') && (tag.endsWith('3000') || tag.endsWith('4000'))) return 'X'; // overlay data, comments
  if (tag.startsWith('4008')) return 'X'; // interpretation (retired)
  if (vr === 'UI') return typeof value === 'string' && value.startsWith(DICOM_ROOT) ? 'K' : 'U';
  if (vr === 'DA' || vr === 'DT' || vr === 'TM') return 'Z';
  if (vr === 'PN') return 'Z';
  if (vr === 'AS') return 'X';
  return 'K';
}

/** (0012,0064) De-identification Method Code Sequence item for the Basic Profile (CID 7050, DCM 113100). */
export const BASIC_PROFILE_CODE = { CodeValue: '113100', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Basic Application Confidentiality Profile' };
