import { dcmjs } from './dcmjs.facade';

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
const IMPLEMENTATION_CLASS_UID = '2.25.176294736126937392781043256711592880771';
const IMPLEMENTATION_VERSION = 'TRIAGE_MESH_1';

/** A naturalized dcmjs data set (keyword → value); `_vrMap` names VRs dcmjs cannot infer (PixelData). */
export type NaturalDataset = Record<string, unknown>;

/** Serialises a naturalized data set as a Part 10 file (preamble, DICM, file meta, data set). */
export function writePart10(dataset: NaturalDataset, transferSyntaxUid = EXPLICIT_VR_LITTLE_ENDIAN): Buffer {
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: transferSyntaxUid,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION,
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return Buffer.from(dict.write());
}
