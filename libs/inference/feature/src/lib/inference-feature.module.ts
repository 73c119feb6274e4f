import { Module } from '@nestjs/common';
import type { MeshConfig } from '@triage/config';
import { MESH_CONFIG } from '@triage/nest-platform';
import { InferenceMessageController } from './inference.message.controller';
import { INFERENCE_OPTIONS, loadInferenceOptions, type InferenceOptions } from './inference.options';
import { InferenceService } from './inference.service';
import { DicomwebInstanceSource, INSTANCE_SOURCE } from './instance.repository';
import { ModelRegistry } from './model-registry.service';

/** The inference service: model registry, DICOMweb pixel retrieval, ONNX runs, `inference.completed`. */
@Module({
  controllers: [InferenceMessageController],
  providers: [
    { provide: INFERENCE_OPTIONS, useFactory: (config: MeshConfig) => loadInferenceOptions(process.env, config), inject: [MESH_CONFIG] },
    { provide: INSTANCE_SOURCE, useFactory: (o: InferenceOptions) => new DicomwebInstanceSource(o.fetchTimeoutMs, o.allowedOrigins), inject: [INFERENCE_OPTIONS] },
    ModelRegistry,
    InferenceService,
  ],
  exports: [InferenceService, ModelRegistry],
})
export class InferenceFeatureModule {}
