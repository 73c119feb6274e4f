import { onnx } from 'onnx-proto';

/**
 * A tiny builder for ONNX graphs written by hand. Everything it emits is a pure function of its inputs
 * (no timestamps, no random names), so the encoded bytes are the same on every build.
 */

export const OPSET = 13;
export const IR_VERSION = 7; // ONNX 1.8+, the IR that opset 13 belongs to

type Attr = number | number[] | string;

export interface GraphSpec {
  name: string;
  doc: string;
  input: { name: string; shape: number[] };
  output: { name: string; shape: number[] };
  /** Further outputs (heatmaps, measurements), after the main one. */
  extraOutputs?: { name: string; shape: number[] }[];
  nodes: onnx.INodeProto[];
  initializers: onnx.ITensorProto[];
}

export function floatTensor(name: string, dims: number[], values: number[]): onnx.ITensorProto {
  const data = new Float32Array(values);
  return {
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

export function int64Tensor(name: string, dims: number[], values: number[]): onnx.ITensorProto {
  const data = new BigInt64Array(values.map((v) => BigInt(v)));
  return {
    name,
    dims,
    dataType: onnx.TensorProto.DataType.INT64,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

function attribute(name: string, value: Attr): onnx.IAttributeProto {
  if (typeof value === 'string') {
    return { name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(value) };
  }
  if (Array.isArray(value)) return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: value };
  if (Number.isInteger(value)) return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
  return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value };
}

export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, Attr> = {}): onnx.INodeProto {
  return {
    opType,
    input: inputs,
    output: outputs,
    name: `${opType}_${outputs[0]}`,
    attribute: Object.keys(attrs)
      .sort()
      .map((k) => attribute(k, attrs[k])),
  };
}

function valueInfo(name: string, shape: number[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: shape.map((d) => ({ dimValue: d })) },
      },
    },
  };
}

/** Encodes a graph as an ONNX ModelProto (bytes). */
export function encodeModel(spec: GraphSpec, version: string): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'triage-mesh build-reference-models',
    producerVersion: version,
    domain: 'org.triage-mesh.reference',
    modelVersion: 1,
    docString: spec.doc,
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: spec.name,
      node: spec.nodes,
      initializer: spec.initializers,
      input: [valueInfo(spec.input.name, spec.input.shape)],
      output: [spec.output, ...(spec.extraOutputs ?? [])].map((o) => valueInfo(o.name, o.shape)),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
