/** Facts known only once the process runs (the HTTP address after listen). */
export class RuntimeInfo {
  httpUrl: string | undefined;
}
