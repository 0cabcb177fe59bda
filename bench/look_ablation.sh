#!/usr/bin/env bash
# The 2D look's ablation at 128 px (docs/results.md, "The 2D look at 128 px"): every row trains the same
# U-Net (base 32, resize upsampling; _full rows and the cartoon preset with --full-size-head) on toyworld
# at 128 px, batch 4, 1800 steps (4 epochs of 450; the b16 rows base 16), then `python -m trainer.evaluate` scores it
# on the held-out pairs twice: against every 2d render (runs/eval_NAME.json) and against the cel
# studio's only (runs/celeval_NAME.json). cel rows train towards the cel studio alone
# (--domain-b medium=2d,studio=cel). Re-run it to go on: a finished row is skipped, an
# interrupted one resumes from its checkpoint.
#   bash bench/look_ablation.sh            # from the repository root
set -u
cd "$(dirname "$0")/.."
DATA=${DATA:-data/toyworld128}
[ -f "$DATA/manifest.jsonl" ] || python -m trainer.data toyworld --out "$DATA" --count 2000 --size 128 --sequences 2
COMMON="--data $DATA --image-size 128 --base-filters 32 --batch-size 4 --upsample resize --lr-decay --checkpoint-every 150"
CEL="--domain-b medium=2d,studio=cel"
evaluate() {  # name, model folder, evaluate's flags...
  local name=$1 model=$2; shift 2
  [ -f "runs/eval_$name.json" ] || python -m trainer.evaluate --model "$model" --data "$DATA" --size 128 --no-fid \
      --domain-a medium=3d --domain-b medium=2d "$@" --out "runs/eval_$name.json" > "runs/eval_$name.log" 2>&1
  [ -f "runs/celeval_$name.json" ] || python -m trainer.evaluate --model "$model" --data "$DATA" --size 128 \
      --no-fid --domain-a medium=3d $CEL "$@" --out "runs/celeval_$name.json" > "runs/celeval_$name.log" 2>&1
}
row() {  # name, trainer module, its flags...
  local name=$1 module=$2; shift 2
  if [ ! -f "runs/$name/model/config.json" ]; then  # the export writes config.json last
    if [ -f "runs/$name/config.json" ]; then python -m "$module" --out "runs/$name" --resume --epochs 4 >> "runs/$name.log" 2>&1
    else python -m "$module" $COMMON --epochs 4 --steps-per-epoch 450 "$@" --out "runs/$name" > "runs/$name.log" 2>&1; fi
  fi
  evaluate "$name" "runs/$name/model"
}
evaluate demo space/demo_models/cyclegan-toyworld                              # today's demo (64 px) at 128
row p2p128 trainer.pix2pix                                                      # the paired ceiling
row cg128 trainer.cyclegan --adversarial-loss lsgan --pool-size 50               # today's demo recipe
row cg128_full trainer.cyclegan --adversarial-loss lsgan --pool-size 50 --full-size-head
row fastcut128_full_edge trainer.cyclegan --adversarial-loss lsgan --objective fastcut --full-size-head \
    --edge-promoting-weight 1
row cel128_recipe trainer.cyclegan --preset cartoon $CEL                          # towards one studio
row cel128_full trainer.cyclegan --preset cartoon $CEL --edge-promoting-weight 0  # without the edge loss
# At the demo's size (base 16: both generators fit the Space's folder twice, .keras and ONNX)
B16="--preset cartoon $CEL --base-filters 16"
row cel128_b16 trainer.cyclegan $B16
row cel128_b16_blur trainer.cyclegan $B16 --cycle-blur 1.5                         # no texture to hide
row cel128_recipe_tv trainer.cyclegan --preset cartoon $CEL --tv-weight 1         # against the grain
evaluate cel128_recipe_tv_flat runs/cel128_recipe_tv/model --flat-fills a2b      # the grain filtered away
row p2p128_cel_full trainer.pix2pix --full-size-head $CEL                         # the ceiling, same net
row cel128_recipe_tv_seed1 trainer.cyclegan --preset cartoon $CEL --tv-weight 1 --seed 1
evaluate cel128_recipe_tv_seed1_flat runs/cel128_recipe_tv_seed1/model --flat-fills a2b
row cel128_recipe_tv5 trainer.cyclegan --preset cartoon $CEL --tv-weight 5        # harder against it
row cg128_full_edge trainer.cyclegan --preset cartoon                             # the recipe, both 2d studios
row cel128_recipe_tv_d4 trainer.cyclegan --preset cartoon $CEL --tv-weight 1 --disc-layers 4 --no-onnx  # whole-frame D
evaluate cel128_recipe_tv_d4_raw runs/cel128_recipe_tv_d4/model --flat-fills none
