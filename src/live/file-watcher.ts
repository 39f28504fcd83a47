/**
 * Watching ROOT for live reload: recursive fs.watch (inotify, FSEvents, ReadDirectoryChangesW),
 * or, with a poll interval (for network and container mounts where change events never come, or
 * when watching fails), a walk of the tree comparing sizes and modification times. Changes are
 * debounced: the batch is reported once nothing changed for 100 ms (at most 3 s after its first
 * change), so an editor's save or a build writing 200 files is one report. Names starting with
 * "." (unless dotfiles are served) and node_modules folders (until a page loads something from
 * one) are ignored: `npm install` writing thousands of files is no reason to reload.
 */
import { watch, type FSWatcher } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join, sep } from "node:path";

export interface WatchOptions {
  /** Report changes under dot-named folders and files too (serve --dotfiles). */
  readonly dotfiles: boolean;
  /** Poll every this many ms instead of fs.watch. */
  readonly pollMs?: number;
  /** True once changes under node_modules matter (a page has loaded a file from one). */
  readonly nodeModules?: () => boolean;
  /** Quiet time that ends a batch (default 100 ms). */
  readonly debounceMs?: number;
  /** fs.watch failed and polling took over, or a poll failed: one line for the log. */
  readonly onWarning?: (message: string) => void;
}

/**
 * Longest a batch waits after its first change, however busy the tree: a build that writes for
 * longer than this reloads once per this much time (a bundler's rebuild seldom takes longer).
 */
const MAX_BATCH_MS = 3000;
/** Polling stops walking past this many entries (a watch on a huge tree is a mistake). */
const MAX_POLLED_ENTRIES = 50_000;

/** Watches `root`; `onChange` gets each batch's relative paths. Returns a stop function. */
export function watchTree(
  root: string,
  options: WatchOptions,
  onChange: (paths: readonly string[]) => void,
): () => void {
  const batch = new Set<string>();
  let quiet: NodeJS.Timeout | undefined;
  let first = 0;
  const flush = (): void => {
    quiet = undefined;
    const paths = [...batch];
    batch.clear();
    if (paths.length > 0) onChange(paths);
  };
  const changed = (relative: string): void => {
    if (ignored(relative, options.dotfiles, options.nodeModules?.() ?? false)) return;
    if (batch.size === 0) first = Date.now();
    batch.add(relative);
    if (quiet !== undefined) clearTimeout(quiet);
    const wait = Math.min(
      options.debounceMs ?? 100,
      Math.max(0, first + MAX_BATCH_MS - Date.now()),
    );
    quiet = setTimeout(flush, wait);
  };
  let stopWatching: () => void;
  if (options.pollMs !== undefined) stopWatching = poll(root, options, options.pollMs, changed);
  else {
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(root, { recursive: true }, (_event, name) => {
        if (name !== null) changed(String(name));
      });
      watcher.on("error", (err) => {
        options.onWarning?.(
          `live reload: watching ${root} failed (${err.message}); polling every 1 s`,
        );
        watcher?.close();
        stopWatching = poll(root, options, 1000, changed);
      });
      stopWatching = () => watcher?.close();
    } catch (err) {
      options.onWarning?.(
        `live reload: cannot watch ${root} (${(err as Error).message}); polling every 1 s`,
      );
      stopWatching = poll(root, options, 1000, changed);
    }
  }
  return () => {
    if (quiet !== undefined) clearTimeout(quiet);
    stopWatching();
  };
}

/** True for paths under a dot-named segment or a node_modules folder, unless those are served. */
export function ignored(relative: string, dotfiles: boolean, nodeModules = false): boolean {
  for (const segment of relative.split(sep === "/" ? "/" : /[\\/]/)) {
    if (!nodeModules && segment === "node_modules") return true;
    if (!dotfiles && segment.startsWith(".")) return true;
  }
  return false;
}

/** Walks the tree every `everyMs`, reporting files whose size or mtime changed, or that came or went. */
function poll(
  root: string,
  options: WatchOptions,
  everyMs: number,
  changed: (relative: string) => void,
): () => void {
  let known: Map<string, string> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const round = async (): Promise<void> => {
    const now = new Map<string, string>();
    await walk(root, "", now, options).catch((err: Error) =>
      options.onWarning?.(`live reload: polling ${root} failed: ${err.message}`),
    );
    if (known !== undefined) {
      for (const [path, sig] of now) if (known.get(path) !== sig) changed(path);
      for (const path of known.keys()) if (!now.has(path)) changed(path);
    }
    known = now;
    if (!stopped) timer = setTimeout(() => void round(), everyMs);
  };
  void round();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}

async function walk(
  root: string,
  relative: string,
  into: Map<string, string>,
  options: WatchOptions,
): Promise<void> {
  const entries = await readdir(join(root, relative), { withFileTypes: true });
  for (const entry of entries) {
    if (into.size >= MAX_POLLED_ENTRIES) return;
    const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
    if (ignored(path, options.dotfiles, options.nodeModules?.() ?? false)) continue;
    if (entry.isDirectory()) await walk(root, path, into, options);
    else {
      const s = await stat(join(root, path)).catch(() => undefined);
      if (s !== undefined) into.set(path, `${s.size}:${s.mtimeMs}`);
    }
  }
}
