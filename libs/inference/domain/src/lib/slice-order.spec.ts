import type { DicomImage } from './dicom-image';
import { orderSlices } from './slice-order';

function img(n: number, ipp?: [number, number, number], iop?: DicomImage['imageOrientationPatient'], frames = 1): DicomImage {
  return {
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    rows: 1,
    columns: 1,
    photometric: 'MONOCHROME2',
    voiLutFunction: 'LINEAR',
    frames: Array.from({ length: frames }, (_, f) => Float32Array.from([n * 10 + f])),
    instanceNumber: n,
    imagePositionPatient: ipp,
    imageOrientationPatient: iop,
  };
}

const AXIAL: DicomImage['imageOrientationPatient'] = [1, 0, 0, 0, 1, 0];
const SAGITTAL: DicomImage['imageOrientationPatient'] = [0, 1, 0, 0, 0, -1];

describe('orderSlices', () => {
  it('orders axial slices by position along the normal, not by InstanceNumber or arrival', () => {
    const slices = [img(1, [0, 0, 20], AXIAL), img(2, [0, 0, -10], AXIAL), img(3, [0, 0, 5], AXIAL)];
    expect(orderSlices(slices).map((s) => s.image.instanceNumber)).toEqual([2, 3, 1]);
  });

  it('uses the slice normal for sagittal slices (position along x)', () => {
    const slices = [img(1, [30, 0, 0], SAGITTAL), img(2, [-30, 5, 5], SAGITTAL), img(3, [0, 100, 100], SAGITTAL)];
    // normal = row x col = (0,1,0) x (0,0,-1) = (-1,0,0): larger x comes first.
    expect(orderSlices(slices).map((s) => s.image.instanceNumber)).toEqual([1, 3, 2]);
  });

  it('falls back to InstanceNumber when geometry is missing and expands frames in order', () => {
    const slices = [img(3), img(1, undefined, undefined, 2), img(2, [0, 0, 1], AXIAL)];
    expect(orderSlices(slices).map((s) => s.image.frames[s.frame][0])).toEqual([10, 11, 20, 30]);
  });
});
