export { quantile } from "./quantile.ts";
export { sweepThresholds, routesStrong, type SweepThreshold } from "./thresholdSweep.ts";
export { pgr, apgr, cpt, trapezoid, sortCurve, type CurvePoint } from "./routingCurve.ts";
export { strongCallShare } from "./strongCallShare.ts";
export { paretoFront, areaUnderFront, type FrontPoint } from "./paretoFront.ts";
