// Download progress in a terminal: one bar per file (bytes, speed, time left) on a TTY; on a pipe or a CI log, a line
// at every tenth of the file instead of redraws.
import cliProgress from "cli-progress";
import type { DownloadProgress } from "../../core/download/downloadModel.ts";
import { formatBytes, formatEta } from "../../core/download/formatDownload.ts";

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
