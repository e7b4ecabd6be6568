import { startServe, type RunningCli } from '../../helpers/cli-process.js';

/**
 * A `flashsale serve` process the test may SIGKILL and start again on the same database. Each
 * start is a new generation with its own URL (`--port 0`). Clients ask `whenUp()` for the current
 * URL and, after a request was cut, `whenUpAfter(generation)` for the next instance's.
 */
export class ServeUnderTest {
  #running: RunningCli | undefined;
  #generation = 0;
  #waiters: (() => void)[] = [];
  /** Generations the test killed on purpose: a request cut in one of these was cut by the test. */
  readonly killed = new Set<number>();
  /** Exits the test did not cause (a real crash): the test fails on any. */
  readonly unexpectedExits: string[] = [];

  constructor(
    private readonly args: string[],
    private readonly env: Record<string, string> = {},
  ) {}

  get generation(): number {
    return this.#generation;
  }

  get up(): boolean {
    return this.#running !== undefined;
  }

  get current(): RunningCli | undefined {
    return this.#running;
  }

  async start(): Promise<RunningCli> {
    const running = await startServe(this.args, { env: this.env });
    const generation = ++this.#generation;
    void running.exited.then(({ code, signal }) => {
      if (!this.killed.has(generation)) {
        this.unexpectedExits.push(`generation ${generation} exited on its own (code ${code}, signal ${signal}):\n${running.output().stderr}`);
      }
    });
    this.#running = running;
    for (const wake of this.#waiters.splice(0)) wake();
    return running;
  }

  /** kill -9: no signal handler runs, no request finishes, no connection is closed politely. */
  async kill9(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const running = this.#running;
    if (!running) throw new Error('no server to kill');
    this.killed.add(this.#generation);
    this.#running = undefined;
    running.child.kill('SIGKILL');
    return running.exited;
  }

  /** The URL of the running instance, waiting for a restart when there is none. */
  async whenUp(): Promise<{ url: string; generation: number }> {
    while (!this.#running) await new Promise<void>((wake) => this.#waiters.push(wake));
    return { url: this.#running.url, generation: this.#generation };
  }

  /** The URL of an instance newer than `generation` (the one a request was cut in). */
  async whenUpAfter(generation: number): Promise<{ url: string; generation: number }> {
    while (!this.#running || this.#generation <= generation) await new Promise<void>((wake) => this.#waiters.push(wake));
    return { url: this.#running.url, generation: this.#generation };
  }

  /** Ends it (SIGKILL: its state is the database's, nothing to flush) at the end of a test. */
  async stop(): Promise<void> {
    const running = this.#running;
    if (!running) return;
    this.killed.add(this.#generation);
    this.#running = undefined;
    if (running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
  }
}
