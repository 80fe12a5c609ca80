/**
 * Macro-averaged F1 over the labels that occur in either list (scikit-learn's f1_score(average="macro"); a label
 * with no true or predicted positive scores 0).
 */
export function macroF1(labels: readonly number[], predictions: readonly number[]): number {
  if (labels.length !== predictions.length) throw new Error(`macroF1: ${labels.length} labels but ${predictions.length} predictions`);
  if (labels.length === 0) throw new Error("macroF1: no labels");
  const classes = [...new Set([...labels, ...predictions])];
  let sum = 0;
  for (const c of classes) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    labels.forEach((y, i) => {
      const p = predictions[i];
      if (p === c && y === c) tp++;
      else if (p === c) fp++;
      else if (y === c) fn++;
    });
    sum += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  }
  return sum / classes.length;
}
