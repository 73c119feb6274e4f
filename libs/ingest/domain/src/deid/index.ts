export * from './basic-profile';
export * from './deidentify';
export * from './pseudonym-map';
