"""Exports a model and a dataset the way you export your own, for sweeps/own-model.yaml.

    /usr/bin/python3 sweeps/examples/export_spirals.py            # writes sweeps/examples/spirals/
    /usr/bin/python3 sweeps/examples/export_spirals.py OUT_DIR

The model is a small residual MLP with batch norm and dropout (so train()/eval() matter) and a
`loss` method; the data is three interleaved noisy spirals, saved as dicts of tensors with
"inputs" and "targets", the format lrsweep's `tensors` data reads.
"""
import math
import os
import sys

import torch


class SpiralNet(torch.nn.Module):
    def __init__(self, hidden: int = 64, classes: int = 3):
        super().__init__()
        self.encoder = torch.nn.Sequential(torch.nn.Linear(2, hidden), torch.nn.ReLU())
        self.block = torch.nn.Sequential(
            torch.nn.Linear(hidden, hidden), torch.nn.BatchNorm1d(hidden), torch.nn.ReLU(),
            torch.nn.Dropout(0.1))
        self.head = torch.nn.Linear(hidden, classes)

    def forward(self, x):
        h = self.encoder(x)
        return self.head(h + self.block(h))

    @torch.jit.export
    def loss(self, x, y):
        # What `loss: method` calls: here cross entropy with a little label smoothing.
        return torch.nn.functional.cross_entropy(self.forward(x), y, label_smoothing=0.05)


def spirals(n: int, generator: torch.Generator):
    labels = torch.randint(0, 3, (n,), generator=generator)
    radius = torch.rand(n, generator=generator)
    angle = 3.5 * math.pi * radius + labels.float() * (2 * math.pi / 3)
    points = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
    points += 0.04 * torch.randn(n, 2, generator=generator)
    return {"inputs": points, "targets": labels}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "spirals")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    torch.jit.script(SpiralNet()).save(os.path.join(out, "spiral-net.pt"))
    generator = torch.Generator().manual_seed(1)
    for split, n in (("train", 6000), ("val", 1000), ("test", 1000)):
        torch.save(spirals(n, generator), os.path.join(out, f"spirals-{split}.pt"))
    print(f"wrote {out}/spiral-net.pt and spirals-{{train,val,test}}.pt")


if __name__ == "__main__":
    main()
