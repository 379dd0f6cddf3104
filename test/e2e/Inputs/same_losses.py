# same_losses.py BASE.json OTHER.json...: every report's train and test loss
# is within 1e-5 (relative) of the first one's. Leaving out an optimization
# pass may change the rounding of sums (FMA or not, vector or scalar
# accumulation), never the math: after 32 steps such differences stay near
# 1e-7 (measured), while a wrong lowering moves the loss by far more.
import json
import sys

base = json.load(open(sys.argv[1]))
bad = []
for path in sys.argv[2:]:
    r = json.load(open(path))
    for key in ("train_loss", "test_loss"):
        if abs(r[key] - base[key]) > 1e-5 * abs(base[key]):
            bad.append("%s: %s %.6f vs %.6f" % (path, key, r[key], base[key]))
print("base train_loss %.6f test_loss %.6f; %d others compared"
      % (base["train_loss"], base["test_loss"], len(sys.argv) - 2))
sys.exit("\n".join(bad) if bad else 0)
