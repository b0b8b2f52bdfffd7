"""PyTorch cross-check fixture for the convolutional ops of src/nn/conv.ts (float64 reference).

  /usr/bin/python3 bench/reference/conv_check.py [--out test/fixtures/nn/conv-torch.json]

For each case: random inputs, weights and bias (rounded to float32 values, so both sides start from
identical numbers), the output, and the gradients of sum(output * R) for a random R, from
torch.nn.functional in float64; batch norm also records its running statistics after the step.
test/nn/conv-torch.test.ts compares both of our backends to it without torch at run time.
"""
import argparse
import json

import torch
import torch.nn.functional as F

torch.manual_seed(16)


def rnd(*shape, scale=1.0):
    # float32-exact values held in float64
    return (torch.randn(*shape, dtype=torch.float64) * scale).float().double()


def enc(t, digits=7):
    # 9 significant digits give float32 inputs back exactly; 7 are plenty for float32 comparisons
    return {"shape": list(t.shape), "data": [float(f"{v:.{digits}g}") for v in t.detach().reshape(-1).tolist()]}


def run(name, op, options, inputs, fn, extra=None):
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    out = fn(leaves)
    R = rnd(*out.shape)
    (out * R).sum().backward()
    case = {
        "name": name, "op": op, "options": options,
        "inputs": {k: enc(v, 9) for k, v in inputs.items()},
        "R": enc(R, 9), "output": enc(out),
        "grads": {k: enc(v.grad) for k, v in leaves.items()},
    }
    if extra:
        case.update(extra())
    return case


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="test/fixtures/nn/conv-torch.json")
    a = ap.parse_args()
    cases = []
    for s, p, k in [(1, 0, 3), (1, 1, 3), (2, 1, 3), (2, 1, 4), (1, 2, 5)]:
        cases.append(run(f"conv2d k{k} s{s} p{p}", "conv2d", {"stride": s, "padding": p},
                         {"x": rnd(2, 2, 5, 6), "weight": rnd(3, 2, k, k, scale=0.3), "bias": rnd(3)},
                         lambda t, s=s, p=p: F.conv2d(t["x"], t["weight"], t["bias"], stride=s, padding=p)))
    cases.append(run("conv2d no bias", "conv2d", {"stride": 1, "padding": 1},
                     {"x": rnd(2, 2, 5, 5), "weight": rnd(3, 2, 3, 3, scale=0.3)},
                     lambda t: F.conv2d(t["x"], t["weight"], None, stride=1, padding=1)))
    for s, p, k, op_ in [(2, 1, 4, 0), (2, 1, 3, 1), (1, 0, 3, 0), (3, 1, 3, 2)]:
        cases.append(run(f"convTranspose2d k{k} s{s} p{p} op{op_}", "convTranspose2d", {"stride": s, "padding": p, "outputPadding": op_},
                         {"x": rnd(2, 2, 3, 4), "weight": rnd(2, 2, k, k, scale=0.3), "bias": rnd(2)},
                         lambda t, s=s, p=p, op_=op_: F.conv_transpose2d(t["x"], t["weight"], t["bias"], stride=s, padding=p, output_padding=op_)))
    for k, s, p in [(2, 2, 0), (3, 2, 1), (3, 1, 1)]:
        cases.append(run(f"maxPool2d k{k} s{s} p{p}", "maxPool2d", {"kernel": k, "stride": s, "padding": p},
                         {"x": rnd(2, 2, 6, 5)}, lambda t, k=k, s=s, p=p: F.max_pool2d(t["x"], k, s, p)))
        cases.append(run(f"avgPool2d k{k} s{s} p{p}", "avgPool2d", {"kernel": k, "stride": s, "padding": p},
                         {"x": rnd(2, 2, 6, 5)}, lambda t, k=k, s=s, p=p: F.avg_pool2d(t["x"], k, s, p, count_include_pad=True)))
    for training in [True, False]:
        rm0 = rnd(3, scale=0.5)
        rv0 = rnd(3).abs() + 0.5
        rm, rv = rm0.clone(), rv0.clone()

        def bn(t, rm=rm, rv=rv, training=training):
            return F.batch_norm(t["x"], rm, rv, t["gamma"], t["beta"], training=training, momentum=0.1, eps=1e-5)

        cases.append(run(f"batchNorm2d training={training}", "batchNorm2d", {"training": training, "momentum": 0.1, "eps": 1e-5},
                         {"x": rnd(3, 3, 4, 4, scale=2.0) + 1.0, "gamma": rnd(3), "beta": rnd(3)}, bn,
                         lambda rm=rm, rv=rv, rm0=rm0, rv0=rv0: {"runningMeanBefore": enc(rm0, 9), "runningVarBefore": enc(rv0, 9),
                                                                 "runningMeanAfter": enc(rm), "runningVarAfter": enc(rv)}))
    doc = {"source": "bench/reference/conv_check.py", "torch": torch.__version__, "dtype": "float64", "loss": "sum(output * R)", "cases": cases}
    with open(a.out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"{a.out}: {len(cases)} cases")


if __name__ == "__main__":
    main()
