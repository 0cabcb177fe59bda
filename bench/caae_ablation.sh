#!/usr/bin/env bash
# The CAAE's look at 128 px (docs/results.md, "The CAAE's look at 128 px"): each row trains a
# CAAE on toyworld at 128 px (base 32, batch 8, 1 pretraining + 3 adversarial epochs of 450
# steps: 1,800 steps), then `python -m trainer.evaluate` scores it on the held-out cel pairs
# (3d renders restyled under their cel pair's labels; runs/celeval_NAME.json). Rows add one
# change at a time to today's demo recipe. Re-run it to go on: a finished row is skipped, an
# interrupted one resumes from its checkpoint. ROWS="a b" runs only those.
#   bash bench/caae_ablation.sh            # from the repository root
set -u
cd "$(dirname "$0")/.."
DATA=${DATA:-data/toyworld128}
[ -f "$DATA/manifest.jsonl" ] || python -m trainer.data toyworld --out "$DATA" --count 2000 --size 128 --sequences 2
COMMON="--data $DATA --image-size 128 --base-filters 32 --batch-size 8 --latent spatial --upsample resize \
 --label-adversary medium,studio --adversarial-weight 0.01 --tv-weight 1 --ssim-weight 50 --learning-rate 5e-4 \
 --pretrain-epochs 1 --epochs 3 --checkpoint-every 150"
DEMO="--stages 3 --latent-dim 2048 --style-classifier-weight 1"   # today's demo recipe: 16x16 cells of 8
UNET="--stages 4 --latent-dim 1024 --film --skips"                # 8x8 cells of 16, skips at every size
evaluate() {  # name, model folder
  [ -f "runs/celeval_$1.json" ] || python -m trainer.evaluate --model "$2" --data "$DATA" --no-fid \
      --domain-a medium=3d --domain-b medium=2d,studio=cel --out "runs/celeval_$1.json" > "runs/celeval_$1.log" 2>&1
}
row() {  # name, trainer flags...
  local name=$1; shift
  case " ${ROWS:-$name} " in *" $name "*) ;; *) return ;; esac
  if [ ! -f "runs/$name/model/config.json" ]; then  # the export writes config.json last
    if [ -f "runs/$name/config.json" ]; then python -m trainer.caae --out "runs/$name" --resume >> "runs/$name.log" 2>&1
    else python -m trainer.caae $COMMON "$@" --out "runs/$name" > "runs/$name.log" 2>&1; fi
  fi
  evaluate "$name" "runs/$name/model"
}
row caae128_demo $DEMO                                                       # today's recipe at 128 px
row caae128_film $DEMO --film                                                # the label at every decoder scale
row caae128_skips $UNET                                                      # + skips the label modulates
row caae128_targets $UNET --paired-targets scene                             # + the scene pair as target
row caae128_s0 $UNET --paired-targets scene --line-weight 10 --seed 0        # + lines counted 11 times
row caae128_s1 $UNET --paired-targets scene --line-weight 10 --seed 1        # the same, another seed
row caae128_pair $UNET --paired-targets scene --line-weight 10 --paired-adversarial-weight 1  # + pix2pix's D
row caae128_pair_s1 $UNET --paired-targets scene --line-weight 10 --paired-adversarial-weight 1 --seed 1
# three times as long (10 epochs, 4,500 steps); its run was started from caae128_pair's checkpoint at step
# 1,800 (--resume --epochs 9), which an uninterrupted run reaches exactly (the CAAE's rate is constant)
row caae128_pair_long $UNET --paired-targets scene --line-weight 10 --paired-adversarial-weight 1 --epochs 9
# the same for seed 1, started from caae128_pair_s1's checkpoint
row caae128_pair_s1_long $UNET --paired-targets scene --line-weight 10 --paired-adversarial-weight 1 --epochs 9 \
    --seed 1
row caae128_proj $UNET --paired-targets scene --line-weight 10 --projection-discriminator \
    --restyled-adversarial-weight 0.05                                       # + D judges restyled images by label
