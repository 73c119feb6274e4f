export * from './mesh.client';
export * from './xhr';
