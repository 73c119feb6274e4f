/**
 * The part of the WebAssembly JavaScript API that the kernels use. Node has the global at run time, but this
 * workspace compiles without the DOM lib and @types/node does not declare it; if the DOM or WebWorker lib is
 * ever added to tsconfig.base.json, delete this file (the declarations would clash).
 */
declare namespace WebAssembly {
  type Exports = Record<string, unknown>;
  interface ModuleExportDescriptor {
    kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
    name: string;
  }
  class Module {
    constructor(bytes: BufferSource);
    static exports(module: Module): ModuleExportDescriptor[];
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Exports;
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number; shared?: boolean });
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  function validate(bytes: BufferSource): boolean;
}
