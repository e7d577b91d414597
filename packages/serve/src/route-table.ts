/** The server's paths and the methods each answers: for 405 with `Allow`, the 404 message and metric labels. */
export class RouteTable {
  private readonly paths = new Map<string, string[]>();

  /** Records that `path` answers `method` (GET also answers HEAD). */
  add(method: string, path: string): void {
    const methods = this.paths.get(path) ?? [];
    for (const m of method === 'GET' ? ['GET', 'HEAD'] : [method]) if (!methods.includes(m)) methods.push(m);
    this.paths.set(path, methods);
  }

  /** Adds a method every path answers (OPTIONS, with CORS on). */
  addToAll(method: string): void {
    for (const path of this.paths.keys()) this.add(method, path);
  }

  has(path: string): boolean {
    return this.paths.has(path);
  }

  /** The methods `path` answers, or undefined when it is no endpoint. */
  methods(path: string): string[] | undefined {
    return this.paths.get(path);
  }

  /** "POST /predict, GET /healthz, ..." for messages. */
  describe(): string {
    return [...this.paths].map(([path, methods]) => `${methods[0]} ${path}`).join(', ');
  }
}
