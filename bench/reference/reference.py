"""PyTorch reference implementations of the samplify sequence networks (SASRec, GRU4Rec).

These exist for two reasons only:
  1. timing: how fast does PyTorch (CPU, 2 threads) run one training step / one Beauty epoch;
  2. cross-checking: export a tiny deterministic float64 case (weights, inputs, loss, gradients,
     eval scores) as JSON fixtures that the TypeScript tests compare against.

The networks here are written to be *identical* to src/models/sasrec.ts and src/models/gru4rec.ts
(layer order, masking, losses). Parameter names are the TypeScript parameter names.

SASRec layout (the CoSeRec / ICLRec / S3-Rec family, post-LN, GELU(erf) FFN):
  e   = Dropout(LN(E[ids] + P[0..L-1]))
  per block:
    a = LN1(e + Dropout(Wo . MHA(Wq e, Wk e, Wv e; causal & key-padding mask, attn-dropout)))
    e = LN2(a + Dropout(W2 . GELU(W1 a)))
  logits = h . E[item]^T (shared input/output embedding)
Masking: additive -1e4 on masked keys (causal or padding), as CoSeRec.
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

LN_EPS = 1e-12
MASK_VALUE = -1e4


# ----------------------------------------------------------------------------------------------
# SASRec
# ----------------------------------------------------------------------------------------------
def sasrec_param_specs(num_items, hidden, blocks, max_len):
    """(name, shape, kind) in the TypeScript parameter order. kind: normal | one | zero."""
    d = hidden
    specs = [
        ("item_emb", (num_items + 1, d), "normal"),
        ("pos_emb", (max_len, d), "normal"),
        ("emb_ln.g", (d,), "one"),
        ("emb_ln.b", (d,), "zero"),
    ]
    for i in range(blocks):
        p = f"block{i}."
        specs += [
            (p + "q.w", (d, d), "normal"), (p + "q.b", (d,), "zero"),
            (p + "k.w", (d, d), "normal"), (p + "k.b", (d,), "zero"),
            (p + "v.w", (d, d), "normal"), (p + "v.b", (d,), "zero"),
            (p + "o.w", (d, d), "normal"), (p + "o.b", (d,), "zero"),
            (p + "ln1.g", (d,), "one"), (p + "ln1.b", (d,), "zero"),
            (p + "ffn1.w", (4 * d, d), "normal"), (p + "ffn1.b", (4 * d,), "zero"),
            (p + "ffn2.w", (d, 4 * d), "normal"), (p + "ffn2.b", (d,), "zero"),
            (p + "ln2.g", (d,), "one"), (p + "ln2.b", (d,), "zero"),
        ]
    return specs


def init_params(specs, std, dtype, gen, randomize_all=False):
    params = {}
    for name, shape, kind in specs:
        if randomize_all:
            # For cross-checks: every tensor random so that no term is silently zero.
            t = torch.randn(shape, generator=gen, dtype=dtype) * std
            if kind == "one":
                t = t + 1.0
        elif kind == "normal":
            t = torch.randn(shape, generator=gen, dtype=dtype) * std
        elif kind == "one":
            t = torch.ones(shape, dtype=dtype)
        elif kind == "zero":
            t = torch.zeros(shape, dtype=dtype)
        elif kind == "xavier_normal":
            fan_out, fan_in = shape[0], shape[1]
            t = torch.randn(shape, generator=gen, dtype=dtype) * math.sqrt(2.0 / (fan_in + fan_out))
        elif kind == "xavier_uniform":
            fan_out, fan_in = shape[0], shape[1]
            a = math.sqrt(6.0 / (fan_in + fan_out))
            t = (torch.rand(shape, generator=gen, dtype=dtype) * 2 - 1) * a
        else:
            raise ValueError(kind)
        params[name] = t.clone().requires_grad_(True)
    return params


def layer_norm(x, g, b):
    # biased variance, eps inside the square root (= CoSeRec's TF-style LayerNorm), fused kernel
    return F.layer_norm(x, (x.shape[-1],), g, b, LN_EPS)


def gelu(x):
    # exact (erf) GELU: 0.5 x (1 + erf(x / sqrt 2)), as CoSeRec's `gelu`
    return F.gelu(x)


def sasrec_hidden(P, ids, cfg, training):
    """ids: LongTensor [B, L] left-padded. Returns hidden states [B, L, d]."""
    B, L = ids.shape
    d, H = cfg["hidden"], cfg["heads"]
    hd = d // H
    p_drop = cfg["dropout"] if training else 0.0
    a_drop = cfg["attnDropout"] if training else 0.0
    valid = (ids > 0)  # [B, L] valid keys
    causal = torch.tril(torch.ones(L, L, dtype=torch.bool))
    allowed = valid[:, None, None, :] & causal[None, None, :, :]  # [B,1,L,L]
    add_mask = torch.zeros(allowed.shape, dtype=P["item_emb"].dtype).masked_fill(~allowed, MASK_VALUE)

    x = P["item_emb"][ids] + P["pos_emb"][:L][None, :, :]
    x = layer_norm(x, P["emb_ln.g"], P["emb_ln.b"])
    x = F.dropout(x, p_drop, training)
    for i in range(cfg["blocks"]):
        p = f"block{i}."
        q = F.linear(x, P[p + "q.w"], P[p + "q.b"]).view(B, L, H, hd).transpose(1, 2)
        k = F.linear(x, P[p + "k.w"], P[p + "k.b"]).view(B, L, H, hd).transpose(1, 2)
        v = F.linear(x, P[p + "v.w"], P[p + "v.b"]).view(B, L, H, hd).transpose(1, 2)
        scores = q @ k.transpose(-1, -2) / math.sqrt(hd) + add_mask
        probs = torch.softmax(scores, dim=-1)
        probs = F.dropout(probs, a_drop, training)
        ctx = (probs @ v).transpose(1, 2).reshape(B, L, d)
        o = F.dropout(F.linear(ctx, P[p + "o.w"], P[p + "o.b"]), p_drop, training)
        x = layer_norm(o + x, P[p + "ln1.g"], P[p + "ln1.b"])
        f = F.linear(gelu(F.linear(x, P[p + "ffn1.w"], P[p + "ffn1.b"])), P[p + "ffn2.w"], P[p + "ffn2.b"])
        f = F.dropout(f, p_drop, training)
        x = layer_norm(f + x, P[p + "ln2.g"], P[p + "ln2.b"])
    return x


# ----------------------------------------------------------------------------------------------
# GRU4Rec (RecBole layout: embedding -> dropout -> GRU without biases -> [dense] -> dot with E)
# ----------------------------------------------------------------------------------------------
def gru4rec_param_specs(num_items, embedding, hidden):
    specs = [
        ("item_emb", (num_items + 1, embedding), "xavier_normal"),
        ("gru.w_ih", (3 * hidden, embedding), "xavier_uniform"),
        ("gru.w_hh", (3 * hidden, hidden), "xavier_uniform"),
    ]
    if hidden != embedding:
        specs += [("dense.w", (embedding, hidden), "xavier_normal"), ("dense.b", (embedding,), "zero")]
    return specs


def gru4rec_hidden(P, ids, cfg, training):
    """GRU with PyTorch gate order (r, z, n), no biases, h0 = 0. Padding rows are zeroed so that
    the state stays exactly 0 through left padding (padding invariance)."""
    B, L = ids.shape
    h_size = cfg["hidden"]
    keep = (ids > 0).to(P["item_emb"].dtype)[:, :, None]
    x = P["item_emb"][ids] * keep
    x = F.dropout(x, cfg["dropout"] if training else 0.0, training)
    w_ih, w_hh = P["gru.w_ih"], P["gru.w_hh"]
    if cfg.get("fastGru"):
        # timing path: PyTorch's fused GRU kernel (same maths as the loop below)
        out, _ = torch._VF.gru(x, torch.zeros(1, B, h_size, dtype=x.dtype), [w_ih, w_hh], False, 1, 0.0, training, False, True)
        if "dense.w" in P:
            out = F.linear(out, P["dense.w"], P["dense.b"])
        return out
    gi = x @ w_ih.t()  # [B, L, 3h]
    h = torch.zeros(B, h_size, dtype=x.dtype)
    outs = []
    for t in range(L):
        gh = h @ w_hh.t()
        r = torch.sigmoid(gi[:, t, :h_size] + gh[:, :h_size])
        z = torch.sigmoid(gi[:, t, h_size:2 * h_size] + gh[:, h_size:2 * h_size])
        n = torch.tanh(gi[:, t, 2 * h_size:] + r * gh[:, 2 * h_size:])
        h = (1 - z) * n + z * h
        outs.append(h)
    out = torch.stack(outs, dim=1)
    if "dense.w" in P:
        out = F.linear(out, P["dense.w"], P["dense.b"])
    return out


# ----------------------------------------------------------------------------------------------
# Losses (identical for both networks)
# ----------------------------------------------------------------------------------------------
def batch_loss(P, h, targets, negatives, loss):
    """h [B,L,d]; targets/negatives LongTensor [B,L]. Output projection only at target>0 rows."""
    d = h.shape[-1]
    flat_t = targets.reshape(-1)
    rows = torch.nonzero(flat_t > 0).reshape(-1)
    hr = h.reshape(-1, d)[rows]
    E = P["item_emb"]
    tgt = flat_t[rows]
    if loss == "bce":
        # CoSeRec `cross_entropy`: mean over positions of [-log s(pos) - log(1 - s(neg))]
        neg = negatives.reshape(-1)[rows]
        pos_logit = (hr * E[tgt]).sum(-1)
        neg_logit = (hr * E[neg]).sum(-1)
        return (F.softplus(-pos_logit) + F.softplus(neg_logit)).mean()
    if loss == "ce":
        logits = hr @ E[1:].t()  # padding column dropped; class c -> item c+1
        return F.cross_entropy(logits, tgt - 1)
    raise ValueError(loss)


def score_next(P, hidden_fn, histories, cfg, max_len):
    ids = torch.zeros(len(histories), max_len, dtype=torch.long)
    for i, hst in enumerate(histories):
        hst = hst[-max_len:]
        if hst:
            ids[i, max_len - len(hst):] = torch.tensor(hst)
    with torch.no_grad():
        h = hidden_fn(P, ids, cfg, False)[:, -1, :]
        return h @ P["item_emb"].t()


# ----------------------------------------------------------------------------------------------
# Data (Beauty) for timing
# ----------------------------------------------------------------------------------------------
def load_beauty():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.normpath(os.path.join(here, "..", "..", "..", "shared", "data", "beauty", "Beauty.txt"))
    seqs = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if parts:
                seqs.append([int(v) for v in parts[1:]])
    num_items = max(max(s) for s in seqs)
    return seqs, num_items


def make_batch(seqs, idx, max_len, num_items, gen):
    B = len(idx)
    inputs = torch.zeros(B, max_len, dtype=torch.long)
    targets = torch.zeros(B, max_len, dtype=torch.long)
    for r, u in enumerate(idx):
        s = seqs[u]
        inp, tgt = s[:-3][-max_len:], s[1:-2][-max_len:]
        n = len(inp)
        if n:
            inputs[r, max_len - n:] = torch.tensor(inp)
            targets[r, max_len - n:] = torch.tensor(tgt)
    # negatives: uniform over items, resampled when equal to the target (timing only)
    neg = torch.randint(1, num_items + 1, (B, max_len), generator=gen)
    clash = neg == targets
    while clash.any():
        neg[clash] = torch.randint(1, num_items + 1, (int(clash.sum()),), generator=gen)
        clash = neg == targets
    neg = neg * (targets > 0)
    return inputs, targets, neg


def timing(model, loss_kind, steps=20, warmup=3):
    torch.set_num_threads(2)
    seqs, num_items = load_beauty()
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    if model == "sasrec":
        cfg = {"hidden": 64, "blocks": 2, "heads": 2, "dropout": 0.5, "attnDropout": 0.5, "maxLen": 50}
        specs = sasrec_param_specs(num_items, 64, 2, 50)
        hidden_fn = sasrec_hidden
        std = 0.02
    else:
        cfg = {"embedding": 64, "hidden": 64, "dropout": 0.3, "maxLen": 50, "fastGru": True}
        specs = gru4rec_param_specs(num_items, 64, 64)
        hidden_fn = gru4rec_hidden
        std = 0.0
    P = init_params(specs, std, torch.float32, gen)
    opt = torch.optim.Adam(list(P.values()), lr=1e-3, betas=(0.9, 0.999))
    B, L = 256, 50

    def step(inputs, targets, neg):
        opt.zero_grad(set_to_none=True)
        h = hidden_fn(P, inputs, cfg, True)
        loss = batch_loss(P, h, targets, neg, loss_kind)
        loss.backward()
        opt.step()
        return float(loss)

    perm = torch.randperm(len(seqs), generator=gen).tolist()
    batch = make_batch(seqs, perm[:B], L, num_items, gen)
    for _ in range(warmup):
        step(*batch)
    times = []
    for i in range(steps):
        batch = make_batch(seqs, perm[(i % 80) * B:(i % 80 + 1) * B], L, num_items, gen)
        t0 = time.perf_counter()
        step(*batch)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    step_ms = times[len(times) // 2]

    t0 = time.perf_counter()
    perm = torch.randperm(len(seqs), generator=gen).tolist()
    n_steps, last = 0, 0.0
    for s in range(0, len(perm), B):
        last = step(*make_batch(seqs, perm[s:s + B], L, num_items, gen))
        n_steps += 1
    epoch_s = time.perf_counter() - t0
    return {
        "model": model, "loss": loss_kind, "torch": torch.__version__, "threads": torch.get_num_threads(),
        "batch": B, "maxLen": L, "config": cfg, "stepMedianMs": step_ms, "stepTimesMs": times,
        "epochSeconds": epoch_s, "epochSteps": n_steps, "epochLastLoss": last, "users": len(seqs),
    }


# ----------------------------------------------------------------------------------------------
# Cross-check fixtures
# ----------------------------------------------------------------------------------------------
def export_case(model, loss_kind, out_dir):
    torch.manual_seed(1234)
    dtype = torch.float64
    gen = torch.Generator().manual_seed(20240 + (0 if model == "sasrec" else 7) + (0 if loss_kind == "bce" else 1))
    num_items, L = 7, 6
    if model == "sasrec":
        cfg = {"hidden": 8, "blocks": 2, "heads": 2, "dropout": 0.0, "attnDropout": 0.0, "maxLen": L, "loss": loss_kind}
        specs = sasrec_param_specs(num_items, 8, 2, L)
        hidden_fn = sasrec_hidden
    else:
        cfg = {"embedding": 8, "hidden": 6, "dropout": 0.0, "maxLen": L, "loss": loss_kind}
        specs = gru4rec_param_specs(num_items, 8, 6)
        hidden_fn = gru4rec_hidden
    P = init_params(specs, 0.5, dtype, gen, randomize_all=True)
    # three left-padded rows: short, medium, full
    inputs = torch.tensor([
        [0, 0, 0, 0, 3, 5],
        [0, 0, 1, 7, 2, 4],
        [6, 2, 7, 1, 3, 5],
    ], dtype=torch.long)
    targets = torch.tensor([
        [0, 0, 0, 0, 5, 2],
        [0, 0, 7, 2, 4, 6],
        [2, 7, 1, 3, 5, 4],
    ], dtype=torch.long)
    negatives = torch.tensor([
        [0, 0, 0, 0, 1, 7],
        [0, 0, 3, 5, 1, 2],
        [4, 1, 6, 2, 7, 3],
    ], dtype=torch.long)
    h = hidden_fn(P, inputs, cfg, False)
    loss = batch_loss(P, h, targets, negatives, loss_kind)
    loss.backward()
    histories = [[3], [1, 7, 2, 4], [6, 2, 7, 1, 3, 5, 4, 2], []]
    scores = score_next(P, hidden_fn, histories, cfg, L)
    fixture = {
        "model": model,
        "generator": "bench/reference/reference.py (PyTorch %s, float64)" % torch.__version__,
        "numItems": num_items,
        "config": cfg,
        "batch": {
            "size": inputs.shape[0], "maxLen": L,
            "inputs": inputs.reshape(-1).tolist(), "targets": targets.reshape(-1).tolist(),
            "negatives": negatives.reshape(-1).tolist(),
        },
        "parameters": [
            {"name": n, "shape": list(P[n].shape), "values": P[n].detach().reshape(-1).tolist()} for n, _, _ in specs
        ],
        "loss": float(loss),
        "gradients": [
            {"name": n, "values": P[n].grad.reshape(-1).tolist()} for n, _, _ in specs
        ],
        "hiddenLast": h[:, -1, :].detach().reshape(-1).tolist(),
        "histories": histories,
        "scores": scores.reshape(-1).tolist(),
    }
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{model}-{loss_kind}.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(fixture, f, indent=None, separators=(",", ":"))
        f.write("\n")
    os.replace(tmp, path)
    return path


def main(model, argv):
    if "--export" in argv:
        out_dir = argv[argv.index("--export") + 1]
        for loss_kind in ("bce", "ce"):
            print(export_case(model, loss_kind, out_dir))
        return
    if "--timing" in argv:
        loss_kind = argv[argv.index("--loss") + 1] if "--loss" in argv else "bce"
        steps = int(argv[argv.index("--steps") + 1]) if "--steps" in argv else 20
        res = timing(model, loss_kind, steps=steps)
        if "--no-epoch-times" in argv:
            res.pop("stepTimesMs", None)
        print(json.dumps(res))
        return
    print(f"usage: {os.path.basename(sys.argv[0])} --timing [--loss bce|ce] [--steps N] | --export <dir>", file=sys.stderr)
    sys.exit(2)
