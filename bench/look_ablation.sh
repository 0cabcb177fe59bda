#!/usr/bin/env bash
# The 2D look's ablation at 128 px (README, Results, "The 2D look"): every row trains the same
# U-Net (base 32, resize upsampling; _full rows with --full-size-head) on toyworld at 128 px,
# batch 4, 1800 steps (4 epochs of 450), then is scored by `python -m trainer.evaluate`. Re-run
# it to go on: a finished row is skipped, an interrupted one resumes from its checkpoint.
# Results: runs/eval_NAME.json.
#   bash bench/look_ablation.sh            # from the repository root
set -u
cd "$(dirname "$0")/.."
DATA=${DATA:-data/toyworld128}
[ -f "$DATA/manifest.jsonl" ] || python -m trainer.data toyworld --out "$DATA" --count 2000 --size 128 --sequences 2
COMMON="--data $DATA --image-size 128 --base-filters 32 --batch-size 4 --upsample resize --lr-decay --checkpoint-every 150"
row() {  # name, trainer module, its flags...
  local name=$1 module=$2; shift 2
  if [ ! -d "runs/$name/model" ]; then
    if [ -f "runs/$name/config.json" ]; then python -m "$module" --out "runs/$name" --resume --epochs 4 >> "runs/$name.log" 2>&1
    else python -m "$module" $COMMON --epochs 4 "$@" --out "runs/$name" > "runs/$name.log" 2>&1; fi
  fi
  [ -f "runs/eval_$name.json" ] || python -m trainer.evaluate --model "runs/$name/model" --data "$DATA" --no-fid \
      --out "runs/eval_$name.json" > "runs/eval_$name.log" 2>&1
}
row p2p128 trainer.pix2pix                                                    # the paired ceiling
row cg128 trainer.cyclegan --adversarial-loss lsgan --pool-size 50             # today's demo recipe
row cg128_full trainer.cyclegan --adversarial-loss lsgan --pool-size 50 --full-size-head
row fastcut128_full_edge trainer.cyclegan --adversarial-loss lsgan --objective fastcut --full-size-head \
    --edge-promoting-weight 1
row cg128_full_edge trainer.cyclegan --adversarial-loss lsgan --pool-size 50 --full-size-head --edge-promoting-weight 1
row p2p128_full trainer.pix2pix --full-size-head                               # the ceiling, same net
row cut128_full_edge trainer.cyclegan --adversarial-loss lsgan --objective cut --full-size-head --edge-promoting-weight 1
