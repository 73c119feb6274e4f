import { Module } from '@nestjs/common';
import type { MeshConfig } from '@triage/config';
import { MESH_CONFIG } from '@triage/nest-platform';
import { HeatmapStore } from './heatmap.repository';
import { HeatmapsHttpController } from './heatmaps.http.controller';
import { InferenceMessageController } from './inference.message.controller';
import { INFERENCE_OPTIONS, loadInferenceOptions, type InferenceOptions } from './inference.options';
import { InferenceService } from './inference.service';
import { DicomwebInstanceSource, INSTANCE_SOURCE } from './instance.repository';
import { ModelRegistry } from './model-registry.service';

/** The inference service: model registry, DICOMweb pixel retrieval, ONNX runs, heatmaps over HTTP, `inference.completed`. */
@Module({
  controllers: [InferenceMessageController, HeatmapsHttpController],
  providers: [
    { provide: INFERENCE_OPTIONS, useFactory: (config: MeshConfig) => loadInferenceOptions(process.env, config), inject: [MESH_CONFIG] },
    { provide: INSTANCE_SOURCE, useFactory: (o: InferenceOptions) => new DicomwebInstanceSource(o.fetchTimeoutMs, o.allowedOrigins), inject: [INFERENCE_OPTIONS] },
    ModelRegistry,
    HeatmapStore,
    InferenceService,
  ],
  exports: [InferenceService, ModelRegistry, HeatmapStore],
})
export class InferenceFeatureModule {}
