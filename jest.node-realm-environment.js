// Jest runs each test file in its own realm, so a Float32Array made by ONNX Runtime's native addon (in
// Node's realm) fails the runtime's own `instanceof Float32Array` check inside the test realm. Test
// files run in this environment (the default of every tier), which shares Node's typed-array constructors.
const { TestEnvironment } = require('jest-environment-node');

class OnnxTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of [
      'ArrayBuffer', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array',
      'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Uint8ClampedArray', 'DataView',
    ]) {
      this.global[name] = globalThis[name];
    }
  }
}

module.exports = OnnxTestEnvironment;
