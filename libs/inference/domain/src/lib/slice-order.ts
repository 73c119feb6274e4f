import type { DicomImage } from './dicom-image';

/** One 2-D slice to run a model on: a frame of an instance. */
export interface Slice {
  image: DicomImage;
  frame: number;
}

function cross(a: number[], b: number[]): [number, number, number] {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/**
 * Orders the slices of a series: by ImagePositionPatient projected on the slice normal (row x column
 * direction cosines) when every image has both, else by InstanceNumber, else as given. Frames of a
 * multi-frame instance keep their stored order.
 */
export function orderSlices(images: readonly DicomImage[]): Slice[] {
  const withGeometry = images.every((i) => i.imagePositionPatient && i.imageOrientationPatient);
  const key = (img: DicomImage, index: number): number => {
    if (withGeometry) {
      const iop = images[0].imageOrientationPatient as number[];
      const normal = cross(iop.slice(0, 3), iop.slice(3, 6));
      const p = img.imagePositionPatient as number[];
      return p[0] * normal[0] + p[1] * normal[1] + p[2] * normal[2];
    }
    return img.instanceNumber ?? index;
  };
  return images
    .map((image, index) => ({ image, index, k: key(image, index) }))
    .sort((a, b) => a.k - b.k || a.index - b.index)
    .flatMap(({ image }) => image.frames.map((_, frame) => ({ image, frame })));
}
