#!/usr/bin/env bash
# Every GPU check in one run: the CUDA tests (CUDA against CPU, bf16 autocast, device-side
# augmentation), then `strl bench --device cuda` for the pointnet-cls and dgcnn-cls presets.
#
#   bash benchmarks/gpu_check.sh [OUT_DIR]      # logs and JSON go to OUT_DIR (default: gpu-check)
#
# Needs a CUDA build of torch and strl installed (pip install -e '.[test]').
set -u
out=${1:-gpu-check}
mkdir -p "$out"
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.cuda.get_device_name())" || exit 1
status=0
python -m pytest -q -rs tests -k cuda 2>&1 | tee "$out/cuda-tests.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
for preset in pointnet-cls dgcnn-cls; do
    strl bench --device cuda --preset "$preset" --steps 5 --json "$out/$preset.json" 2>&1 | tee "$out/$preset.txt"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
exit $status
