;; Matrix-vector kernels for Linear layers with large weight matrices (the LoRA generator's heads, the trunk).
;;
;; Layout (byte offsets into the imported memory, chosen by LinearKernel.ts): w and gw are row-major float32
;; matrices of rows x cols (PyTorch's (out, in)), b and gb float32 vectors of rows, x and dx float64 vectors of cols,
;; y (and dy) float64 vectors of rows. Activations stay float64 as in Linear.ts; only the loads of float32 weights
;; are widened. Plain JavaScript runs these loops one scalar at a time with a bounds check per element; with 128-bit
;; SIMD and four independent accumulators the forward pass of a 32768 x 256 head runs >10x faster (measured in
;; `npm run bench`, "hypernetwork forward").
;;
;; The memory is shared (32768 pages = LinearKernel.ts's byte limit) so that KernelThreads.ts's helper threads can run
;; `forward` on other rows of the same layer: a call for a row range passes the range's offsets of w, b and y.
(module
  (memory (import "env" "memory") 1 32768 shared)

  ;; y[o] = b[o] + sum_i w[o, i] * x[i]. The sum is accumulated in float64 in four pairs of lanes, so it differs
  ;; from Linear.ts's scalar loop only in the order of the additions.
  (func (export "forward")
    (param $rows i32) (param $cols i32) (param $w i32) (param $b i32) (param $x i32) (param $y i32)
    (local $o i32) (local $i i32) (local $row i32) (local $wp i32) (local $xp i32) (local $vecEnd i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $s f64)
    (local.set $vecEnd (i32.and (local.get $cols) (i32.const -8)))
    (block $done
      (loop $rowLoop
        (br_if $done (i32.ge_u (local.get $o) (local.get $rows)))
        (local.set $a0 (v128.const i64x2 0 0))
        (local.set $a1 (v128.const i64x2 0 0))
        (local.set $a2 (v128.const i64x2 0 0))
        (local.set $a3 (v128.const i64x2 0 0))
        (local.set $row (i32.add (local.get $w) (i32.shl (i32.mul (local.get $o) (local.get $cols)) (i32.const 2))))
        (local.set $i (i32.const 0))
        ;; eight weights per step: four float64x2 products, one per accumulator
        (block $vecDone
          (loop $vecLoop
            (br_if $vecDone (i32.ge_u (local.get $i) (local.get $vecEnd)))
            (local.set $wp (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2))))
            (local.set $xp (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3))))
            (local.set $a0 (f64x2.add (local.get $a0)
              (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero offset=0 (local.get $wp))) (v128.load offset=0 (local.get $xp)))))
            (local.set $a1 (f64x2.add (local.get $a1)
              (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $wp))) (v128.load offset=16 (local.get $xp)))))
            (local.set $a2 (f64x2.add (local.get $a2)
              (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero offset=16 (local.get $wp))) (v128.load offset=32 (local.get $xp)))))
            (local.set $a3 (f64x2.add (local.get $a3)
              (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero offset=24 (local.get $wp))) (v128.load offset=48 (local.get $xp)))))
            (local.set $i (i32.add (local.get $i) (i32.const 8)))
            (br $vecLoop)))
        (local.set $a0 (f64x2.add (f64x2.add (local.get $a0) (local.get $a1)) (f64x2.add (local.get $a2) (local.get $a3))))
        (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0))))
        ;; the last cols mod 8 weights, one at a time
        (block $tailDone
          (loop $tailLoop
            (br_if $tailDone (i32.ge_u (local.get $i) (local.get $cols)))
            (local.set $s (f64.add (local.get $s)
              (f64.mul
                (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2)))))
                (f64.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3)))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $tailLoop)))
        (f64.store (i32.add (local.get $y) (i32.shl (local.get $o) (i32.const 3)))
          (f64.add (f64.promote_f32 (f32.load (i32.add (local.get $b) (i32.shl (local.get $o) (i32.const 2))))) (local.get $s)))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $rowLoop))))

  ;; For each row o with dy[o] != 0: gb[o] += dy[o]; gw[o, i] += dy[o] * x[i]; and, when $needDx is non-zero,
  ;; dx[i] += w[o, i] * dy[o] (dx is zeroed by the caller). Every element is computed with the same operations in the
  ;; same order as Linear.ts's scalar loop (float64 arithmetic, rounded to float32 where a float32 is stored), so the
  ;; result is bit-identical to it.
  (func (export "backward")
    (param $rows i32) (param $cols i32) (param $w i32) (param $gw i32) (param $gb i32) (param $x i32) (param $dy i32)
    (param $dx i32) (param $needDx i32)
    (local $o i32) (local $i i32) (local $offset i32) (local $wp i32) (local $gp i32) (local $xp i32) (local $vecEnd i32)
    (local $g f64) (local $gv v128) (local $gbp i32)
    (local.set $vecEnd (i32.and (local.get $cols) (i32.const -4)))
    (block $done
      (loop $rowLoop
        (br_if $done (i32.ge_u (local.get $o) (local.get $rows)))
        (local.set $g (f64.load (i32.add (local.get $dy) (i32.shl (local.get $o) (i32.const 3)))))
        (if (f64.ne (local.get $g) (f64.const 0))
          (then
            (local.set $gbp (i32.add (local.get $gb) (i32.shl (local.get $o) (i32.const 2))))
            (f32.store (local.get $gbp) (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $gbp))) (local.get $g))))
            (local.set $gv (f64x2.splat (local.get $g)))
            (local.set $offset (i32.shl (i32.mul (local.get $o) (local.get $cols)) (i32.const 2)))
            ;; gw's row, four at a time: widen, add g * x, narrow back
            (local.set $i (i32.const 0))
            (block $vecDone
              (loop $vecLoop
                (br_if $vecDone (i32.ge_u (local.get $i) (local.get $vecEnd)))
                (local.set $gp (i32.add (i32.add (local.get $gw) (local.get $offset)) (i32.shl (local.get $i) (i32.const 2))))
                (local.set $xp (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3))))
                (v128.store64_lane offset=0 0 (local.get $gp)
                  (f32x4.demote_f64x2_zero (f64x2.add
                    (f64x2.promote_low_f32x4 (v128.load64_zero offset=0 (local.get $gp)))
                    (f64x2.mul (local.get $gv) (v128.load offset=0 (local.get $xp))))))
                (v128.store64_lane offset=8 0 (local.get $gp)
                  (f32x4.demote_f64x2_zero (f64x2.add
                    (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $gp)))
                    (f64x2.mul (local.get $gv) (v128.load offset=16 (local.get $xp))))))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (br $vecLoop)))
            (block $tailDone
              (loop $tailLoop
                (br_if $tailDone (i32.ge_u (local.get $i) (local.get $cols)))
                (local.set $gp (i32.add (i32.add (local.get $gw) (local.get $offset)) (i32.shl (local.get $i) (i32.const 2))))
                (f32.store (local.get $gp) (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $gp)))
                  (f64.mul (local.get $g) (f64.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3))))))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $tailLoop)))
            ;; dx += w's row * g
            (if (local.get $needDx)
              (then
                (local.set $i (i32.const 0))
                (block $dxVecDone
                  (loop $dxVecLoop
                    (br_if $dxVecDone (i32.ge_u (local.get $i) (local.get $vecEnd)))
                    (local.set $wp (i32.add (i32.add (local.get $w) (local.get $offset)) (i32.shl (local.get $i) (i32.const 2))))
                    (local.set $xp (i32.add (local.get $dx) (i32.shl (local.get $i) (i32.const 3))))
                    (v128.store offset=0 (local.get $xp) (f64x2.add (v128.load offset=0 (local.get $xp))
                      (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero offset=0 (local.get $wp))) (local.get $gv))))
                    (v128.store offset=16 (local.get $xp) (f64x2.add (v128.load offset=16 (local.get $xp))
                      (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $wp))) (local.get $gv))))
                    (local.set $i (i32.add (local.get $i) (i32.const 4)))
                    (br $dxVecLoop)))
                (block $dxTailDone
                  (loop $dxTailLoop
                    (br_if $dxTailDone (i32.ge_u (local.get $i) (local.get $cols)))
                    (local.set $xp (i32.add (local.get $dx) (i32.shl (local.get $i) (i32.const 3))))
                    (f64.store (local.get $xp) (f64.add (f64.load (local.get $xp))
                      (f64.mul (f64.promote_f32 (f32.load (i32.add (i32.add (local.get $w) (local.get $offset)) (i32.shl (local.get $i) (i32.const 2)))))
                        (local.get $g))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $dxTailLoop)))))))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $rowLoop)))))
