;; The chunker's hot loop (engine/index/chunker.ts `scan`) in WebAssembly: roll the gear
;; hash h = (h << 1) + GEAR[byte] over memory[i, stop) and return the offset just past the
;; first byte where (h & mask) == 0, or -1 with the rolled state left in $last.
;;
;; Memory layout: GEAR (256 x i32, little endian) at offset 0, the bytes to scan after it.
;; Exactly the JavaScript loop's arithmetic (32-bit wrap-around), unrolled by four: the
;; same cut points, at about twice the speed (no bounds checks, no JIT warm-up).
;; Compiled into gear-wasm.ts by scripts/build-wasm.mjs; test/index-chunker.test.ts checks
;; both that the two agree and that gear-wasm.ts is this file's compilation.
(module
  (memory (export "mem") 33)
  (global $last (mut i32) (i32.const 0))
  (func (export "scan") (param $i i32) (param $stop i32) (param $mask i32) (param $h i32) (result i32)
    (local $stop4 i32)
    local.get $stop
    i32.const 3
    i32.sub
    local.set $stop4
    block $tail
      loop $four
        local.get $i
        local.get $stop4
        i32.ge_s
        br_if $tail
        local.get $h i32.const 1 i32.shl
        local.get $i i32.load8_u offset=0 i32.const 2 i32.shl i32.load
        i32.add local.tee $h local.get $mask i32.and i32.eqz
        if local.get $h global.set $last local.get $i i32.const 1 i32.add return end
        local.get $h i32.const 1 i32.shl
        local.get $i i32.load8_u offset=1 i32.const 2 i32.shl i32.load
        i32.add local.tee $h local.get $mask i32.and i32.eqz
        if local.get $h global.set $last local.get $i i32.const 2 i32.add return end
        local.get $h i32.const 1 i32.shl
        local.get $i i32.load8_u offset=2 i32.const 2 i32.shl i32.load
        i32.add local.tee $h local.get $mask i32.and i32.eqz
        if local.get $h global.set $last local.get $i i32.const 3 i32.add return end
        local.get $h i32.const 1 i32.shl
        local.get $i i32.load8_u offset=3 i32.const 2 i32.shl i32.load
        i32.add local.tee $h local.get $mask i32.and i32.eqz
        if local.get $h global.set $last local.get $i i32.const 4 i32.add return end
        local.get $i i32.const 4 i32.add local.set $i
        br $four
      end
    end
    block $done
      loop $one
        local.get $i local.get $stop i32.ge_s br_if $done
        local.get $h i32.const 1 i32.shl
        local.get $i i32.load8_u i32.const 2 i32.shl i32.load
        i32.add local.tee $h local.get $mask i32.and i32.eqz
        if local.get $h global.set $last local.get $i i32.const 1 i32.add return end
        local.get $i i32.const 1 i32.add local.set $i
        br $one
      end
    end
    local.get $h global.set $last
    i32.const -1)
  (func (export "last") (result i32) global.get $last))
