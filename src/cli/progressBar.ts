// Training and evaluation progress in a terminal: one bar per phase (phase, count, reward so far, episodes per
// second, time left) on a TTY; on a pipe or a CI log, a line per phase and per validation instead of redraws.
import cliProgress from "cli-progress";
import { phaseLabel, type TrainingProgress } from "../core/training/progress.ts";

export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): { update: (p: TrainingProgress) => void; stop: () => void } {
  const tty = stream.isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  let current = "";
  const stop = () => {
    bar?.stop();
    bar = null;
  };
  return {
    stop,
    update(p) {
      if (p.phase === "validate") {
        // A result worth a line of its own, between redraws.
        if (tty && bar) stream.write("\n");
        if (p.message) stream.write(`  ${p.seed != null ? `[seed ${p.seed}] ` : ""}${p.message}\n`);
        return;
      }
      const key = `${p.phase}|${p.seed ?? ""}`;
      const label = phaseLabel(p);
      const payload = {
        label,
        reward: p.reward == null ? "-" : p.reward.toFixed(3),
        rate: p.rolloutsPerSecond == null ? "-" : p.rolloutsPerSecond.toFixed(1),
        left: p.etaSeconds == null || !Number.isFinite(p.etaSeconds) ? "-" : `${Math.round(p.etaSeconds)}s`,
      };
      if (key !== current) {
        stop();
        current = key;
        if (p.message) stream.write(`${label}: ${p.message}\n`);
        if (!tty) {
          stream.write(`${label}: ${p.total} to do\n`);
          return;
        }
        bar = new cliProgress.SingleBar(
          { format: "{label} [{bar}] {value}/{total} | reward {reward} | {rate}/s | left {left}", stream, hideCursor: true, clearOnComplete: false },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.total, p.done, payload);
        return;
      }
      if (bar) bar.update(p.done, payload);
      else if (p.done === p.total) stream.write(`${label}: done (${p.done}), reward ${payload.reward}\n`);
    },
  };
}
