// Download progress in a terminal: one bar per file (bytes, speed, time left) on a TTY; on a pipe or a CI log, a line
// at every tenth of the file instead of redraws.
import cliProgress from "cli-progress";
import type { DownloadProgress } from "../../core/download/downloadModel.ts";

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return "0 B";
  const units = ["B", "KB", "MB", "GB", "TB"];
  const i = Math.min(units.length - 1, Math.floor(Math.log10(bytes) / 3));
  return `${(bytes / 1000 ** i).toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return "-";
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.round((seconds % 3600) / 60)).padStart(2, "0")}m`;
}

/** A progress printer for downloads; `update` takes the field (or name) the file is for and its progress. */
export function downloadBar(stream: NodeJS.WriteStream = process.stderr): { update: (label: string, p: DownloadProgress) => void; stop: () => void } {
  const tty = stream.isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  let current = "";
  let lastTenth = -1;
  const stop = () => {
    bar?.stop();
    bar = null;
  };
  return {
    stop,
    update(label, p) {
      const payload = {
        label,
        done: formatBytes(p.downloadedBytes),
        size: formatBytes(p.totalBytes),
        speed: p.bytesPerSecond > 0 ? `${formatBytes(p.bytesPerSecond)}/s` : "-",
        eta: formatEta(p.etaSeconds),
      };
      if (label !== current) {
        stop();
        current = label;
        lastTenth = -1;
        if (tty) {
          bar = new cliProgress.SingleBar(
            { format: "{label} [{bar}] {percentage}% | {done} of {size} | {speed} | left {eta}", stream, hideCursor: true, clearOnComplete: false },
            cliProgress.Presets.shades_classic,
          );
          bar.start(Math.max(1, p.totalBytes), p.downloadedBytes, payload);
          return;
        }
      }
      if (bar) {
        bar.setTotal(Math.max(1, p.totalBytes));
        bar.update(p.downloadedBytes, payload);
        return;
      }
      const tenth = p.totalBytes > 0 ? Math.floor((10 * p.downloadedBytes) / p.totalBytes) : 0;
      if (tenth > lastTenth) {
        lastTenth = tenth;
        stream.write(`${label}: ${payload.done} of ${payload.size} (${tenth * 10}%), ${payload.speed}, left ${payload.eta}\n`);
      }
    },
  };
}
