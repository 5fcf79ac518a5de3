"""Exports models and data the way a user would, for the tests of `torchscript` models and
`tensors` data. None of these models is one of lrsweep's: they are written here, in Python.

    python3 export_user_model.py OUT_DIR

Writes to OUT_DIR:
  tagger.pt          Conv1d classifier over [4, 16] sequences, 5 classes; batch norm, dropout,
                     a `backbone`/`head` split and a loss(inputs, targets) method
  regressor.pt       MLP with LayerNorm, [8] -> [2], no loss method
  cls-{train,val,test}.pt, reg-{train,val}.pt   dicts of "inputs" and "targets"
  broken/*.pt        files lrsweep must reject with a clear message
  reference.json     PyTorch's own eval-mode losses of the untrained models on the val sets
"""
import json
import os
import sys

import torch
import torch.nn.functional as F


class Tagger(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = torch.nn.Sequential(
            torch.nn.Conv1d(4, 12, 3, padding=1), torch.nn.BatchNorm1d(12), torch.nn.GELU(),
            torch.nn.Dropout(0.2), torch.nn.Conv1d(12, 12, 3, padding=1), torch.nn.GELU())
        self.head = torch.nn.Linear(12, 5)

    def forward(self, x):
        return self.head(self.backbone(x).mean(dim=2))

    @torch.jit.export
    def loss(self, x, y):
        return F.cross_entropy(self.forward(x), y)


class Regressor(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.LayerNorm(32),
                                        torch.nn.Tanh(), torch.nn.Linear(32, 2))

    def forward(self, x):
        return self.body(x)


def sequences(n, g):
    labels = torch.randint(0, 5, (n,), generator=g)
    t = torch.arange(16).float()
    phase = torch.rand(n, 4, 1, generator=g) * 6.28
    freq = (labels.float() + 1).view(n, 1, 1) * 0.35
    x = torch.sin(freq * t.view(1, 1, 16) + phase) + 0.6 * torch.randn(n, 4, 16, generator=g)
    return {"inputs": x, "targets": labels}


def regression(n, g, w):
    x = torch.randn(n, 8, generator=g)
    y = torch.tanh(x @ w) + 0.05 * torch.randn(n, 2, generator=g)
    return {"inputs": x, "targets": y}


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "broken"), exist_ok=True)
    torch.manual_seed(3)
    tagger, regressor = Tagger(), Regressor()
    torch.jit.script(tagger).save(os.path.join(out, "tagger.pt"))
    torch.jit.script(regressor).save(os.path.join(out, "regressor.pt"))
    g = torch.Generator().manual_seed(11)
    cls = {split: sequences(n, g) for split, n in (("train", 1200), ("val", 300), ("test", 300))}
    w = torch.randn(8, 2, generator=g)
    reg = {split: regression(n, g, w) for split, n in (("train", 1000), ("val", 250))}
    for split, data in cls.items():
        torch.save(data, os.path.join(out, f"cls-{split}.pt"))
    for split, data in reg.items():
        torch.save(data, os.path.join(out, f"reg-{split}.pt"))

    x = torch.randn(10, 3)
    torch.save(x, os.path.join(out, "broken", "not-a-dict.pt"))
    torch.save({"inputs": x}, os.path.join(out, "broken", "no-targets.pt"))
    torch.save({"inputs": x, "targets": torch.zeros(9, dtype=torch.long)},
               os.path.join(out, "broken", "mismatch.pt"))
    torch.save({"inputs": x, "targets": [1, 2]}, os.path.join(out, "broken", "list-targets.pt"))
    torch.save({"inputs": x, "targets": torch.zeros(10, dtype=torch.long)},
               os.path.join(out, "broken", "legacy.pt"), _use_new_zipfile_serialization=False)
    torch.save(regressor.state_dict(), os.path.join(out, "broken", "state-dict-model.pt"))

    tagger.eval()
    regressor.eval()
    with torch.no_grad():
        reference = {
            "tagger_val_cross_entropy": F.cross_entropy(tagger(cls["val"]["inputs"]),
                                                        cls["val"]["targets"]).item(),
            "tagger_val_accuracy": (tagger(cls["val"]["inputs"]).argmax(1) ==
                                    cls["val"]["targets"]).float().mean().item(),
            "regressor_val_mse": F.mse_loss(regressor(reg["val"]["inputs"]),
                                            reg["val"]["targets"]).item(),
        }
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1)


if __name__ == "__main__":
    main()
