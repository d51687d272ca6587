// Types of the miniperm Node API. The event and report shapes follow the JSON Schemas in
// docs/schemas/ of the miniperm repository (transcript.schema.json, explore-report.schema.json).

/** A JSON value as miniperm prints it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Why a run ended. */
export type EndReason = 'idle' | 'awaiting-answer' | 'error' | 'limit' | 'bad-input';

interface EventBase {
  /** The transcript's schema version (1). */
  schema_version: number;
}

export interface LaunchEvent extends EventBase { type: 'launch'; appid: string; profile: string; user: string }
export interface PageEvent extends EventBase {
  type: 'page';
  action: 'load' | 'show' | 'ready' | 'hide' | 'unload';
  route: string;
}
export interface TapEvent extends EventBase { type: 'tap'; route: string; handler: string }
export interface CallEvent extends EventBase {
  type: 'call';
  /** The API name without `wx.`, e.g. `getLocation`. */
  api: string;
  /** A JSON-safe copy of the options object, functions omitted. */
  args: Json;
  /** `file:line:col` of the call in the mini-program's source, when known. */
  at?: string;
}
export interface UiEvent extends EventBase {
  type: 'ui';
  /** authorize, system, privacy, modal, actionSheet, settings, toast, picker, … */
  ui: string;
  scope?: string;
  desc?: string;
  withPrivacy?: boolean;
  permission?: string;
  referrer?: string;
  source?: string;
  title?: string;
  content?: string;
  icon?: string;
  api?: string;
  items?: Json[];
  rows?: { scope: string; label?: string; state: string }[];
  [key: string]: Json | undefined;
}
export interface AnswerEvent extends EventBase { type: 'answer'; ui: string; answer: string }
export interface CallbackEvent extends EventBase {
  type: 'callback';
  api: string;
  kind: 'success' | 'fail' | 'complete' | 'resolve' | 'reject';
  /** The result, with `errMsg` (and `errno` when set). */
  res: Json;
  at?: string;
}
export interface NavigateEvent extends EventBase {
  type: 'navigate';
  action: 'navigateTo' | 'redirectTo' | 'navigateBack' | 'switchTab' | 'reLaunch';
  url: string;
}
export interface DataEvent extends EventBase { type: 'data'; route: string; patch: Json }
export interface LogEvent extends EventBase { type: 'log'; level: string; args: Json[] }
export interface WarningEvent extends EventBase { type: 'warning'; code: string; message: string; at?: string }
export interface ErrorEvent extends EventBase { type: 'error'; message: string; stack: string }
/** A visible node: an element, or a text node (`tag` `#text`, with `text`). */
export interface RenderNode { tag: string; attrs: { [name: string]: Json }; text: string | null; children: RenderNode[] }
export interface RenderEvent extends EventBase { type: 'render'; route: string; tree: RenderNode[] }
export interface EndEvent extends EventBase { type: 'end'; reason: EndReason; ui?: string }

/** One transcript event (one line of `miniperm run --json`). */
export type TranscriptEvent =
  | LaunchEvent
  | PageEvent
  | TapEvent
  | CallEvent
  | UiEvent
  | AnswerEvent
  | CallbackEvent
  | NavigateEvent
  | DataEvent
  | LogEvent
  | WarningEvent
  | ErrorEvent
  | RenderEvent
  | EndEvent;

/** What `run` resolves to. */
export interface Transcript {
  /** 0: idle or awaiting an answer; 1: an uncaught error in mini-program code, or a limit. */
  exitCode: number;
  /** Every event, in order; the last is `end`. */
  events: TranscriptEvent[];
  end: EndEvent;
  /** miniperm's warnings on stderr, if any. */
  stderr: string;
  /** The command that ran: the binary, then its arguments. */
  command: string[];
}

export type ScopeState = 'unset' | 'granted' | 'denied';
export type OsState = 'authorized' | 'denied' | 'not-determined';

/** The entry flags `run` and `explore` share. */
export interface EntryOptions {
  /** The page to open (default: app.json's first page). */
  page?: string;
  /** The page's query: `k=v&k2=v2`, or an object joined that way (values as given, not encoded). */
  query?: string | Record<string, string | number>;
  /** What to tap, in order: a page method's name or a selector (`#id`, `text=LABEL`, `open-type=openSetting`, …). */
  tap?: string | string[];
  /** Starting scope states: `{ 'scope.userLocation': 'denied' }` or `['scope.userLocation=denied']`. */
  state?: Record<string, ScopeState> | string[];
  /** Starting OS permissions of WeChat: `{ location: 'denied' }` or `['location=denied']`. */
  system?: Record<string, OsState> | string[];
  profile?: 'wechat' | 'wechat-android' | (string & {});
  timeoutMs?: number;
  memoryMb?: number;
  seed?: number;
  /** The virtual clock's start: RFC 3339, milliseconds since the epoch, or a Date. */
  now?: string | number | Date;
  baseLib?: string;
  /** Add `render` events (run) or render every leaf (explore). */
  render?: boolean;
}

/** How the binary is run. */
export interface ProcessOptions {
  /** The miniperm binary (default: $MINIPERM_BINARY, else the installed platform package's). */
  binary?: string;
  cwd?: string;
  /** Added to the environment. */
  env?: Record<string, string>;
  /** The most output `runSync`/`exploreSync` read (default 256 MiB). */
  maxBuffer?: number;
}

export interface RunOptions extends EntryOptions, ProcessOptions {
  /** Answers for the native UIs, in order: allow, deny, confirm, cancel, agree, disagree, sheet:N, pick, settings, settings:SCOPE=on|off. */
  answers?: string | string[];
  user?: string;
  channel?: 'develop' | 'trial' | 'release';
  /** A consent store file; without it the run uses a fresh in-memory store. */
  db?: string;
  /** Use a fresh in-memory store (the default unless `db` is given; false: the user's default store). */
  ephemeral?: boolean;
  /** What getLocation returns: `[lat, lng]` or `"lat,lng"`. */
  location?: [number, number] | string;
}

export interface ExploreOptions extends EntryOptions, ProcessOptions {
  /** Every page and every tap handler bound in its WXML. */
  all?: boolean;
  maxPaths?: number;
  maxDepth?: number;
  maxSettingsCombos?: number;
  threads?: number;
  /** A `--json` report of an earlier run: its findings are accepted. */
  baseline?: string;
  /** Exit 1 (see `exitCode`) on any finding not in the baseline, or a cut search. */
  strict?: boolean;
  /** Exit 1 on a finding with one of these codes. */
  deny?: FindingCode | FindingCode[];
}

export type FindingCode =
  | 'no-retry-after-settings'
  | 'opensetting-without-tap'
  | 'unset-treated-as-denied'
  | 'nag-loop'
  | 'silent-deny'
  | 'unhandled-fail'
  | 'uncaught-error'
  | 'prompt-on-launch'
  | 'missing-permission-desc'
  | 'missing-private-info'
  | 'retired-scope';

export interface Finding {
  code: FindingCode | (string & {});
  message: string;
  rule: string;
  location: { file: string; line: number; column: number } | null;
  entry: string;
  answers: string[];
  state: string[];
  /** A `miniperm run` command line that shows the finding. */
  replay: string;
  accepted: boolean;
}

export interface ReportNode {
  kind: 'ui' | 'leaf';
  ui?: string;
  edges?: { answers: string[]; child: ReportNode }[];
  succeeded?: string[];
  failed?: string[];
  page?: string;
  errors?: string[];
  end?: string;
  findings?: string[];
  render?: string;
}

/** What `explore` resolves to: the `--json` document. */
export interface ExploreReport {
  schema_version: number;
  tool: { name: 'miniperm'; version: string };
  command: string;
  duration_ms: number;
  paths: number;
  truncated: boolean;
  findings: Finding[];
  tree: {
    entry: string;
    paths: number;
    truncated: boolean;
    starts: string[];
    outcomes: { outcome: string; paths: number }[];
    branches: { starts: string[]; node: ReportNode }[];
  }[];
  /** Not in the document (non-enumerable): the exit code, 1 when `strict` or `deny` failed. */
  readonly exitCode: number;
}

/** A failed command (bad input: exit 2; I/O: exit 3), a missing binary, or unreadable output. */
export class MinipermError extends Error {
  name: 'MinipermError';
  exitCode: number | null;
  stderr: string;
  command: string[];
}

/** An event pattern: an object whose keys must match (RegExp for strings, nested objects), or a predicate. */
export type EventPattern = { [key: string]: unknown } | ((event: TranscriptEvent) => boolean);

export function run(project: string, options?: RunOptions): Promise<Transcript>;
export function runSync(project: string, options?: RunOptions): Transcript;
export function explore(project: string, options?: ExploreOptions): Promise<ExploreReport>;
export function exploreSync(project: string, options?: ExploreOptions): ExploreReport;

/** The command-line arguments `run` and `explore` pass (without the binary). */
export function runArgs(project: string, options?: RunOptions): string[];
export function exploreArgs(project: string, options?: ExploreOptions): string[];
/** Parse output you captured yourself. */
export function parseTranscript(stdout: string, exitCode?: number, stderr?: string, command?: string[]): Transcript;
export function parseReport(stdout: string, exitCode?: number, stderr?: string, command?: string[]): ExploreReport;
/** The binary `run` and `explore` use. */
export function binaryPath(options?: ProcessOptions): string;

export function eventsOf(t: Transcript | TranscriptEvent[]): TranscriptEvent[];
export function matches(value: unknown, pattern: unknown): boolean;
export function calls(t: Transcript | TranscriptEvent[], api?: string): CallEvent[];
export function indexOf(t: Transcript | TranscriptEvent[], pattern: EventPattern): number;
/** The events after the first one matching `pattern`, or undefined when none matches. */
export function after(t: Transcript, pattern: EventPattern): Transcript | undefined;
export function after(t: TranscriptEvent[], pattern: EventPattern): TranscriptEvent[] | undefined;
export function findings(report: ExploreReport, code?: FindingCode | (string & {})): Finding[];

export const SCHEMA_VERSIONS: { readonly transcript: number; readonly exploreReport: number };
export const PLATFORM_PACKAGES: { readonly [platformArch: string]: string };
